"""Seal control (DESIGN: seal control): the rules every channel asks before a seal is applied.

Why its own module: these are the court's rules on its seal, asked from several places — when a
flow is created, by the signing service right before it seals, when a refusal must be written
into a sealed document — and none of them moves a flow; keeping them apart from the flow
machinery (:mod:`court.services.flows`, :mod:`court.services.flow_steps`) keeps the rules readable:
- which document kinds need the seal keeper's approval before the seal is a per-court setting,
  enforced when a flow is created (:func:`approval_kinds`);
- the seal keeper approves only after re-authenticating
  (:func:`court.services.flow_steps.approve_seal`);
- a refused approval *returns* the flow: nothing after it runs, the document is never sealed or
  served, and staff upload a corrected version and start again
  (:func:`court.services.flow_steps.refuse_step`);
- the signing service asks :func:`seal_permitted` right before it applies a seal;
- a refusal to sign a sealed multi-signer document (a transcript) is written into the document
  itself: the court seals a note into the record page laid out at sealing (:func:`note_needed`).
"""
from __future__ import annotations

import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from court import audit
from court.errors import Conflict, DomainError
from court.models import (
    AuditEvent,
    Court,
    Document,
    DocumentKind,
    FlowStatus,
    FlowStep,
    Seal,
    SigningFlow,
    Staff,
    StaffRole,
    StepAction,
    StepStatus,
)

DEFAULT_APPROVAL_KINDS = (DocumentKind.JUDGMENT, DocumentKind.RULING, DocumentKind.MEDIATION_AGREEMENT)


def approval_kinds(court: Court) -> list[DocumentKind]:
    """The document kinds this court seals only after the seal keeper's approval."""
    if court.approval_kinds is None:
        return list(DEFAULT_APPROVAL_KINDS)
    return [DocumentKind(k) for k in court.approval_kinds if k in DocumentKind._value2member_map_]


def set_approval_kinds(s: Session, court: Court, kinds: list[str], *, actor: str) -> list[DocumentKind]:
    """Change which kinds need approval (an administrator's decision; audited)."""
    try:
        parsed = list(dict.fromkeys(DocumentKind(k) for k in kinds))
    except ValueError:
        raise DomainError("文书类型不正确", code="bad_kind") from None
    before = [k.value for k in approval_kinds(court)]
    court.approval_kinds = [k.value for k in parsed]
    s.flush()
    audit.record(s, "court.approval_kinds_set", actor=actor, subject=f"court:{court.id}",
                 details={"before": before, "after": court.approval_kinds})
    return parsed


def check_seal_rules(s: Session, doc: Document, actions: list[StepAction], seal_id: int | None) -> None:
    """Refuse a flow whose steps (``actions``, in order) or chosen seal break the court's seal rules."""
    if StepAction.SEAL not in actions:
        if seal_id is not None:
            raise DomainError("流程中没有加盖印章的步骤，无需指定印章", code="seal_without_step")
        return
    if doc.kind in approval_kinds(doc.case.court) and StepAction.APPROVE not in actions:
        raise DomainError("本院规定该类文书须经用印审批后方可加盖印章", code="approval_required")
    if seal_id is not None:
        seal = s.get(Seal, seal_id)
        if seal is None or seal.court_id != doc.case.court_id or not seal.active:
            raise DomainError("所选印章不存在或已停用", code="seal_not_found")


def check_approver(staff: Staff, doc: Document, flow: SigningFlow) -> None:
    """Raise unless ``staff`` may approve the seal on ``doc`` *now* (asked by every channel at approval).

    The role named when the flow started is checked again: a keeper whose role was taken away or
    whose account was stopped since then no longer approves. Four eyes: nobody approves a seal
    they asked for themselves, as the one who uploaded the document or started the flow."""
    if not staff.active or staff.court_id != doc.case.court_id or staff.role is not StaffRole.SEAL_APPROVER:
        raise DomainError("您不是本院的用印审批人，不能批准用印", code="approver_role", status=403)
    if staff.id in (doc.created_by_id, flow.created_by_id):
        raise DomainError("用印须由申请人以外的审批人批准（不能审批自己上传或发起的文书）", code="four_eyes",
                          status=403)


def _audited(flow: SigningFlow) -> list[AuditEvent]:
    """The genuine (keyed, unedited) audit rows of ``flow``'s start and of its approvals."""
    s = object_session(flow)
    if s is None:
        return []
    subjects = [f"flow:{flow.id}"] + [f"step:{st.id}" for st in flow.steps if st.action is StepAction.APPROVE]
    rows = s.scalars(select(AuditEvent).where(AuditEvent.action.in_(("step.approve", "flow.started")),
                                              AuditEvent.subject.in_(subjects)).order_by(AuditEvent.id))
    return [ev for ev in rows if ev.key_id is not None and hmac.compare_digest(audit.seal(ev) or "", ev.hash)]


def _sha(ev: AuditEvent | None) -> str | None:
    sha = (ev.details or {}).get("sha256") if ev is not None else None
    return sha if isinstance(sha, str) else None


def seal_permitted(step: FlowStep, sealing_sha256: str | None = None) -> int | None:
    """Raise unless ``step`` (a SEAL step) may be applied now; returns the approving step's id.

    The signing service asks this right before it seals, passing the SHA-256 of the bytes it is
    about to seal, so a flow that was returned, a seal whose approval was refused, an approval
    that is only a status column, or a document changed after its approval can never be stamped,
    whatever is still queued."""
    flow = step.flow
    if flow.status is not FlowStatus.RUNNING:
        raise Conflict("该签署流程已结束，不能加盖印章", code="flow_not_running")
    approvals = [st for st in flow.steps if st.action is StepAction.APPROVE and st.position < step.position]
    if any(st.status is not StepStatus.DONE for st in approvals):
        raise Conflict("用印审批未通过，不能加盖印章", code="not_approved")
    if not approvals and flow.document.kind in approval_kinds(flow.document.case.court):
        raise Conflict("该类文书须经用印审批后方可加盖印章", code="approval_required")
    # Why the audit rows and not the status columns: they are sealed with the audit key, so someone
    # who can only write to the database can mark a step done or insert a flow, but cannot forge
    # the start or the approval. Each names the SHA-256 of the bytes; only those are sealed.
    sealing = sealing_sha256 or flow.document.current.sha256
    genuine = _audited(flow)
    started = next((ev for ev in genuine if ev.action == "flow.started" and ev.subject == f"flow:{flow.id}"), None)
    if started is None:
        raise Conflict("找不到经审计记录证实的签署流程，不能加盖印章", code="flow_unverified")
    for approval in approvals:
        rows = [ev for ev in genuine if ev.action == "step.approve" and ev.subject == f"step:{approval.id}"
                and ev.actor == f"staff:{approval.staff_id}"]
        if not rows:
            raise Conflict("找不到经审计记录证实的用印审批，不能加盖印章", code="approval_unverified")
        approved = _sha(rows[-1]) or _sha(started)  # approvals recorded before they named their bytes
        if approved is None or not hmac.compare_digest(approved, sealing):
            raise Conflict("待盖章的文书与审批时的文书不一致，不能加盖印章", code="approval_mismatch")
    if not approvals and not hmac.compare_digest(_sha(started) or "", sealing):
        raise Conflict("待盖章的文书与启动流程时的文书不一致，不能加盖印章", code="document_changed")
    return approvals[-1].id if approvals else None


def record_page_steps(flow: SigningFlow) -> list[FlowStep]:
    """The signers who get a reserved note line on the record page laid out at sealing.

    Only documents several people sign (a transcript, a mediation agreement: SIGN steps after the
    seal) get a record page; a refusal by any signer after the seal is then sealed into it."""
    seal = next((st for st in flow.steps if st.action is StepAction.SEAL), None)
    if seal is None:
        return []
    after = [st for st in flow.steps if st.position > seal.position and st.action in (StepAction.SIGN, StepAction.RECEIVE)]
    return after if any(st.action is StepAction.SIGN for st in after) else []


def note_needed(step: FlowStep) -> bool:
    """Whether ``step``'s refusal must be written into the sealed document (CPL art. 150)."""
    seal = next((st for st in step.flow.steps if st.action is StepAction.SEAL), None)
    return (seal is not None and seal.status is StepStatus.DONE
            and any(st.id == step.id for st in record_page_steps(step.flow)))


def step_settled(step: FlowStep) -> bool:
    """Done, or refused with nothing left to record (a refusal after the seal needs its note first)."""
    if step.status is StepStatus.DONE:
        return True
    return step.status is StepStatus.REFUSED and (step.note_version_id is not None or not note_needed(step))
