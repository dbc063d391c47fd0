"""Signing flows: lay out the steps, start them, and move the flow on as each step is acted on.

When a step becomes ready the flow enqueues the work it needs by dotted path:
a SEAL step runs ``signing.jobs.seal_step``; a party's RECEIVE/SIGN step and a staff member's
APPROVE/SIGN step run ``notify.jobs.step_ready`` so the actor is told. Court staff and parties
act through :func:`complete_step` / :func:`refuse_step`; the signing jobs report back through
the same functions, so every transition is audited in one place.

Seal control lives here too (DESIGN: seal control), and every channel asks it:
- which document kinds need the seal keeper's approval before the seal is a per-court setting,
  enforced when a flow is created (:func:`approval_kinds`);
- the seal keeper approves only after re-authenticating (:func:`approve_seal`);
- a refused approval *returns* the flow: nothing after it runs, the document is never sealed or
  served, and staff upload a corrected version and start again (:func:`refuse_step`);
- the signing service asks :func:`seal_permitted` right before it applies a seal;
- a refusal to sign a sealed multi-signer document (a transcript) is written into the document
  itself: the court seals a note into the record page laid out at sealing (:func:`note_needed`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from court import audit, db, queue
from court.errors import Conflict, DomainError
from court.models import (
    Court,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    FlowStatus,
    FlowStep,
    Party,
    Seal,
    SigningFlow,
    Staff,
    StaffRole,
    StepAction,
    StepStatus,
)
from court.services import lifecycle, receipts
from court.services import staff as staff_service

SEAL_JOB = "signing.jobs.seal_step"
NOTE_JOB = "signing.jobs.refusal_note"
DEFAULT_APPROVAL_KINDS = (DocumentKind.JUDGMENT, DocumentKind.RULING, DocumentKind.MEDIATION_AGREEMENT)
NOTIFY_JOB = "notify.jobs.step_ready"
FINISHED_JOB = "notify.jobs.flow_finished"
ACTED = (StepStatus.DONE, StepStatus.REFUSED)


@dataclass
class StepInput:
    action: StepAction
    staff_id: int | None = None
    party_id: int | None = None
    page: int = -1
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None


def _check_steps(s: Session, doc: Document, steps: list[StepInput]) -> None:
    if not steps:
        raise DomainError("签署流程至少需要一个步骤", code="no_steps")
    actions = [st.action for st in steps]
    if actions.count(StepAction.SEAL) > 1:
        raise DomainError("一个流程只能加盖一次法院印章", code="two_seals")
    if StepAction.SEAL in actions:
        seal_at = actions.index(StepAction.SEAL)
        if any(a in (StepAction.SIGN, StepAction.RECEIVE) for a in actions[:seal_at]):
            raise DomainError("法院印章须在当事人签名之前加盖（认证签名）", code="seal_not_first")
        if any(a is StepAction.APPROVE for a in actions[seal_at:]):
            raise DomainError("用印审批须在加盖印章之前", code="approve_after_seal")
    for i, st in enumerate(steps, 1):
        if st.action is StepAction.SEAL:
            if st.staff_id or st.party_id:
                raise DomainError("加盖法院印章的步骤不需要指定签署人", code="seal_with_actor", step=i)
        elif bool(st.staff_id) == bool(st.party_id):
            raise DomainError("第{step}步须指定一名工作人员或一名当事人", code="step_actor", step=i)
        if st.party_id:
            party = s.get(Party, st.party_id)
            if party is None or party.case_id != doc.case_id:
                raise DomainError("第{step}步的当事人不属于本案", code="step_party", step=i)
            if st.action is StepAction.APPROVE:
                raise DomainError("当事人不能审批用印", code="party_approve", step=i)
        if st.staff_id:
            staff = s.get(Staff, st.staff_id)
            if staff is None or staff.court_id != doc.case.court_id:
                raise DomainError("第{step}步的工作人员不属于本院", code="step_staff", step=i)
            if st.action is StepAction.RECEIVE:
                raise DomainError("签收步骤只能由当事人完成", code="staff_receive", step=i)
            if st.action is StepAction.APPROVE and staff.role is not StaffRole.SEAL_APPROVER:
                raise DomainError("第{step}步的审批人不是用印审批人", code="approver_role", step=i)
        if st.page == 0 or (st.width is not None and st.width <= 0) or (st.height is not None and st.height <= 0):
            raise DomainError("第{step}步的签章位置不正确", code="step_position", step=i)


# ----------------------------------------------------------------------------- seal control

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


def _check_seal_rules(s: Session, doc: Document, steps: list[StepInput], seal_id: int | None) -> None:
    actions = [st.action for st in steps]
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


def seal_permitted(step: FlowStep) -> int | None:
    """Raise unless ``step`` (a SEAL step) may be applied now; returns the approving step's id.

    The signing service asks this right before it seals, so a flow that was returned, or a seal
    whose approval was refused, can never be stamped, whatever is still queued."""
    flow = step.flow
    if flow.status is not FlowStatus.RUNNING:
        raise Conflict("该签署流程已结束，不能加盖印章", code="flow_not_running")
    approvals = [st for st in flow.steps if st.action is StepAction.APPROVE and st.position < step.position]
    if any(st.status is not StepStatus.DONE for st in approvals):
        raise Conflict("用印审批未通过，不能加盖印章", code="not_approved")
    if not approvals and flow.document.kind in approval_kinds(flow.document.case.court):
        raise Conflict("该类文书须经用印审批后方可加盖印章", code="approval_required")
    return approvals[-1].id if approvals else None


def approve_seal(s: Session, step: FlowStep, staff: Staff, *, password: str | None) -> FlowStep:
    """The seal keeper approves the seal, re-authenticating at this moment (password again)."""
    if step.action is not StepAction.APPROVE:
        raise DomainError("该步骤不是用印审批", code="not_approval")
    if step.staff_id != staff.id:
        raise DomainError("该步骤不是由您办理", code="not_your_step", status=403)
    _actionable(step)
    method = staff_service.reauthenticate(s, staff, password)
    return complete_step(s, step, actor=f"staff:{staff.id}", details={"reauth": method})


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


def _settled(step: FlowStep) -> bool:
    if step.status is StepStatus.DONE:
        return True
    return step.status is StepStatus.REFUSED and (step.note_version_id is not None or not note_needed(step))


def note_recorded(s: Session, step: FlowStep, version: DocumentVersion, *, actor: str) -> None:
    """The court sealed the note of ``step``'s refusal into ``version``; the flow may now finish."""
    if step.note_version_id is not None:
        return
    step.note_version_id = version.id
    s.flush()
    audit.record(s, "step.refusal_noted", actor=actor, case_id=step.flow.document.case_id, subject=f"step:{step.id}",
                 details={"flow_id": step.flow_id, "version": version.number, "sha256": version.sha256})
    advance(s, step.flow)


# ----------------------------------------------------------------------------- flows

def start_blocked(s: Session, doc: Document) -> Conflict | None:
    """Why no flow may start on ``doc`` now (the refusal, not raised), or None when one may. A flow is
    running (after the seal the document reads "sealed" while parties still sign), or the document
    is finished (sealed and served, a credential, archived): a second flow would seal it again."""
    from sqlalchemy import select

    running = s.scalar(select(SigningFlow.id).where(SigningFlow.document_id == doc.id,
                                                    SigningFlow.status == FlowStatus.RUNNING).limit(1))
    if doc.status is DocumentStatus.IN_FLOW or running is not None:
        return Conflict("该文书已有进行中的签署流程，流程结束后才能再启动", code="flow_running")
    if doc.kind is DocumentKind.CREDENTIAL:
        return Conflict("送达凭证由系统出具并盖章，不需要签署流程", code="flow_finished")
    if doc.status in (DocumentStatus.COMPLETED, DocumentStatus.SEALED, DocumentStatus.ARCHIVED):
        return Conflict("该文书的签署流程已完成，文书已定稿；如需修改，请上传新的文书", code="flow_finished")
    return None


def start_flow(
    s: Session, doc: Document, steps: list[StepInput], *, ordered: bool | None = None, actor: str = "system",
    seal_id: int | None = None,
) -> SigningFlow:
    """Lay out and start a flow. ``ordered`` defaults by kind: a transcript is signed in a set order
    (CPL art. 150: judges and clerk, then parties); parties receive other documents in parallel, so
    one party's SMS never waits for another party's signature."""
    if ordered is None:
        ordered = doc.kind is DocumentKind.TRANSCRIPT
    lifecycle.require_writable(doc.case)
    blocked = start_blocked(s, doc)
    if blocked is not None:
        raise blocked
    _check_steps(s, doc, steps)
    _check_seal_rules(s, doc, steps, seal_id)
    flow = SigningFlow(document_id=doc.id, ordered=ordered, seal_id=seal_id)
    if actor.startswith("staff:"):
        flow.created_by_id = int(actor.split(":")[1])
    s.add(flow)
    s.flush()
    for pos, st in enumerate(steps, 1):
        s.add(FlowStep(
            flow_id=flow.id, position=pos, action=st.action, staff_id=st.staff_id, party_id=st.party_id,
            page=st.page, x=st.x, y=st.y, width=st.width, height=st.height,
        ))
    doc.status = DocumentStatus.IN_FLOW
    doc.error = None
    s.flush()
    s.refresh(flow)
    audit.record(
        s, "flow.started", actor=actor, case_id=doc.case_id, subject=f"flow:{flow.id}",
        details={"document_id": doc.id, "steps": [st.action.value for st in steps], "ordered": ordered,
                 "version": doc.current.number, "sha256": doc.current.sha256, "seal_id": seal_id},
    )
    advance(s, flow)
    return flow


def _ready_next(flow: SigningFlow) -> list[FlowStep]:
    """Which waiting steps may start now. Approvals and the seal always go in order; after the
    seal an unordered flow lets every signer act in parallel."""
    ready: list[FlowStep] = []
    for step in flow.steps:
        if step.status in ACTED:
            continue
        if step.status in (StepStatus.READY, StepStatus.RUNNING, StepStatus.FAILED):
            if flow.ordered or step.action in (StepAction.APPROVE, StepAction.SEAL):
                break
            continue
        if flow.ordered or step.action in (StepAction.APPROVE, StepAction.SEAL):
            if not ready:
                ready.append(step)
            break
        ready.append(step)
    return ready


def advance(s: Session, flow: SigningFlow) -> None:
    """Open the next steps, or finish the flow when every step has been acted on."""
    if flow.status is not FlowStatus.RUNNING:
        return
    for step in _ready_next(flow):
        step.status = StepStatus.READY
        s.flush()
        if step.action is StepAction.SEAL:
            queue.enqueue(SEAL_JOB, step.id, queue_name="signing", job_id=f"seal-step-{step.id}-{step.attempts}", session=s)
        else:
            queue.enqueue(NOTIFY_JOB, step.id, queue_name="notify", job_id=f"step-ready-{step.id}", session=s)
    if all(_settled(step) for step in flow.steps):
        flow.status = FlowStatus.COMPLETED
        flow.completed_at = db.utcnow()
        flow.document.status = DocumentStatus.COMPLETED
        refused = [st.id for st in flow.steps if st.status is StepStatus.REFUSED]
        audit.record(
            s, "flow.completed", case_id=flow.document.case_id, subject=f"flow:{flow.id}",
            details={"refused_steps": refused},
        )
        queue.enqueue(FINISHED_JOB, flow.id, queue_name="notify", job_id=f"flow-finished-{flow.id}", session=s)
    s.flush()


def _actionable(step: FlowStep) -> None:
    if step.flow.status is not FlowStatus.RUNNING:
        raise Conflict("该签署流程已结束", code="flow_not_running")
    if step.status in ACTED:
        raise Conflict("该步骤已完成", code="step_done")
    if step.status not in (StepStatus.READY, StepStatus.RUNNING):
        raise Conflict("还未轮到该步骤", code="step_not_ready")


def complete_step(
    s: Session, step: FlowStep, *, actor: str, version: DocumentVersion | None = None, details: dict[str, Any] | None = None
) -> FlowStep:
    """Record that ``step`` was done (optionally producing ``version``) and move the flow on."""
    if step.status is StepStatus.DONE and version is not None and step.result_version_id == version.id:
        return step  # a retried job reporting the same result
    _actionable(step)
    if step.action is StepAction.APPROVE and not (details or {}).get("reauth"):
        raise DomainError("批准用印前须再次验证身份", code="reauth_required")
    step.status = StepStatus.DONE
    step.acted_at = db.utcnow()
    step.error = None
    if version is not None:
        step.result_version_id = version.id
    if step.action is StepAction.SEAL:
        step.flow.document.status = DocumentStatus.SEALED
    s.flush()
    receipts.record_receipt(s, step, actor=actor)
    audit.record(
        s, f"step.{step.action.value}", actor=actor, case_id=step.flow.document.case_id, subject=f"step:{step.id}",
        details={"flow_id": step.flow_id, "version": version.number if version else None, **(details or {})},
    )
    advance(s, step.flow)
    return step


def refuse_step(s: Session, step: FlowStep, reason: str, *, actor: str) -> FlowStep:
    """A signer refuses (CPL art. 150: the refusal is recorded); the flow goes on, and on a sealed
    transcript the court seals a note of the refusal into the document. A refused *approval*
    returns the flow instead: nothing after it happens."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写拒绝签署的理由", code="reason_required")
    if step.action is StepAction.SEAL:
        raise DomainError("加盖印章的步骤不能拒绝", code="seal_refuse")
    _actionable(step)
    step.status = StepStatus.REFUSED
    step.acted_at = db.utcnow()
    step.refusal_reason = reason[:1000]
    s.flush()
    audit.record(
        s, "step.refused", actor=actor, case_id=step.flow.document.case_id, subject=f"step:{step.id}",
        details={"flow_id": step.flow_id, "reason": step.refusal_reason},
    )
    if step.action is StepAction.APPROVE:
        _return_flow(s, step)
        return step
    if note_needed(step):
        queue.enqueue(NOTE_JOB, step.id, queue_name="signing", job_id=f"refusal-note-{step.id}", session=s)
    advance(s, step.flow)
    return step


def _return_flow(s: Session, step: FlowStep) -> None:
    flow = step.flow
    flow.status = FlowStatus.RETURNED
    flow.completed_at = db.utcnow()
    flow.document.status = DocumentStatus.RETURNED
    s.flush()
    audit.record(
        s, "flow.returned", actor=f"staff:{step.staff_id}", case_id=flow.document.case_id, subject=f"flow:{flow.id}",
        details={"document_id": flow.document_id, "reason": step.refusal_reason, "approval_step_id": step.id},
    )


def fail_step(s: Session, step: FlowStep, error: str, *, final: bool) -> None:
    """Record a failure (shown to staff). ``final``: no retry will come; the flow stops."""
    step.error = error[:2000]
    step.attempts += 1
    doc = step.flow.document
    doc.error = error[:2000]
    if final:
        step.status = StepStatus.FAILED
        step.flow.status = FlowStatus.FAILED
        doc.status = DocumentStatus.FAILED
    s.flush()
    audit.record(
        s, "step.failed", case_id=doc.case_id, subject=f"step:{step.id}",
        details={"flow_id": step.flow_id, "error": error[:500], "final": final},
    )


def retry_step(s: Session, step: FlowStep, *, actor: str) -> None:
    """Staff restart a failed step after fixing its cause."""
    if step.status is not StepStatus.FAILED:
        raise Conflict("只有失败的步骤可以重试", code="step_not_failed")
    step.status = StepStatus.WAITING
    step.flow.status = FlowStatus.RUNNING
    step.flow.document.status = DocumentStatus.IN_FLOW
    step.flow.document.error = None
    s.flush()
    audit.record(s, "step.retried", actor=actor, case_id=step.flow.document.case_id, subject=f"step:{step.id}")
    advance(s, step.flow)


def cancel_flow(s: Session, flow: SigningFlow, reason: str, *, actor: str) -> SigningFlow:
    """Staff call off a running flow (a document served in error, a wrong party, a settlement).

    Nothing of the flow happens afterwards: :func:`seal_permitted` refuses a queued seal job,
    no step can be completed (so no receipt and no e-service credential), messages still waiting
    in the outbox are cancelled, and the parties' SMS links stop working at once. What was
    already done (a receipt signed, a date of service fixed) stays on record, as the law requires."""
    from sqlalchemy import update

    from court.models import Notification, NotificationStatus
    from court.services import service_actions

    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写取消的理由", code="reason_required")
    if flow.status is not FlowStatus.RUNNING:
        raise Conflict("该签署流程已结束，不能取消", code="flow_not_running")
    doc = flow.document
    flow.status = FlowStatus.CANCELLED
    flow.completed_at = db.utcnow()
    sealed = any(st.action is StepAction.SEAL and st.status is StepStatus.DONE for st in flow.steps)
    doc.status = DocumentStatus.SEALED if sealed else DocumentStatus.UPLOADED  # a new flow may start
    party_ids = [st.party_id for st in flow.steps if st.party_id is not None]
    cancelled = 0
    if party_ids:
        cancelled = db.rowcount(s.execute(update(Notification).where(
            Notification.document_id == doc.id, Notification.party_id.in_(party_ids),
            Notification.status == NotificationStatus.PENDING,
        ).values(status=NotificationStatus.CANCELLED, error="flow cancelled").execution_options(
            synchronize_session=False)))
    for pid in dict.fromkeys(party_ids):  # at once, not when the finishing job runs
        service_actions.revoke_where(s, party_id=pid, document_id=doc.id)
    s.flush()
    audit.record(s, "flow.cancelled", actor=actor, case_id=doc.case_id, subject=f"flow:{flow.id}",
                 details={"document_id": doc.id, "reason": reason[:500], "cancelled_notifications": cancelled,
                          "open_steps": [st.id for st in flow.steps if st.status not in ACTED]})
    queue.enqueue(FINISHED_JOB, flow.id, queue_name="notify", job_id=f"flow-finished-{flow.id}", session=s)
    return flow
