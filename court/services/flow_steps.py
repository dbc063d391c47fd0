"""Acting on a flow's steps: complete, refuse, fail, retry, and cancel the whole flow.

Why its own module: every actor — a party on her phone, a judge in the console, the seal keeper,
the signing jobs — acts through these few functions, so each transition is checked (is it this
step's turn, is the flow still running) and audited in one place. Starting a flow and opening
the next steps is :mod:`court.services.flows`; the seal rules are :mod:`court.services.flow_seal`.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from court import audit, db, events
from court.errors import Conflict, DomainError
from court.models import (
    DocumentStatus,
    DocumentVersion,
    FlowStatus,
    FlowStep,
    SigningFlow,
    Staff,
    StepAction,
    StepStatus,
)
from court.services import receipts
from court.services import staff as staff_service
from court.services.flow_seal import check_approver, note_needed
from court.services.flows import ACTED, advance


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
        events.emit(events.StepRefused(step.id), s)
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
    events.emit(events.FlowFinished(flow.id), s)
    return flow


def approve_seal(s: Session, step: FlowStep, staff: Staff, *, password: str | None) -> FlowStep:
    """The seal keeper approves the seal, re-authenticating at this moment (password again)."""
    if step.action is not StepAction.APPROVE:
        raise DomainError("该步骤不是用印审批", code="not_approval")
    if step.staff_id != staff.id:
        raise DomainError("该步骤不是由您办理", code="not_your_step", status=403)
    _actionable(step)
    doc = step.flow.document
    check_approver(staff, doc, step.flow)
    method = staff_service.reauthenticate(s, staff, password)
    # the approval names the exact bytes approved: the seal job seals only these (flow_seal.seal_permitted)
    return complete_step(s, step, actor=f"staff:{staff.id}", details={
        "reauth": method, "sha256": doc.current.sha256, "approved_version": doc.current.number})
