"""Signing flows: lay out the steps, start them, and move the flow on as each step is acted on.

When a step becomes ready the flow emits the event that asks for the work it needs
(:mod:`court.events`): a SEAL step :class:`~court.events.SealRequested` (the signing room seals);
a party's RECEIVE/SIGN step and a staff member's APPROVE/SIGN step
:class:`~court.events.StepReady` (the actor is told). Court staff and parties
act through :func:`~court.services.flow_steps.complete_step` /
:func:`~court.services.flow_steps.refuse_step` (:mod:`court.services.flow_steps`); the signing
jobs report back through the same functions, so every transition is audited in one place.

This module starts a flow and orders its steps (:func:`start_flow`, :func:`advance`); seal
control, asked when a flow starts and before every seal, is :mod:`court.services.flow_seal`.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from court import audit, db, events
from court.errors import Conflict, DomainError
from court.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    FlowStatus,
    FlowStep,
    Party,
    SigningFlow,
    Staff,
    StaffRole,
    StepAction,
    StepStatus,
)
from court.services import lifecycle
from court.services.flow_seal import check_seal_rules, step_settled

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
    check_seal_rules(s, doc, [st.action for st in steps], seal_id)
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
            events.emit(events.SealRequested(step.id, str(step.attempts)), s)
        else:
            events.emit(events.StepReady(step.id), s)
    if all(step_settled(step) for step in flow.steps):
        flow.status = FlowStatus.COMPLETED
        flow.completed_at = db.utcnow()
        flow.document.status = DocumentStatus.COMPLETED
        refused = [st.id for st in flow.steps if st.status is StepStatus.REFUSED]
        audit.record(
            s, "flow.completed", case_id=flow.document.case_id, subject=f"flow:{flow.id}",
            details={"refused_steps": refused},
        )
        events.emit(events.FlowFinished(flow.id), s)
    s.flush()


def note_recorded(s: Session, step: FlowStep, version: DocumentVersion, *, actor: str) -> None:
    """The court sealed the note of ``step``'s refusal into ``version``; the flow may now finish."""
    if step.note_version_id is not None:
        return
    step.note_version_id = version.id
    s.flush()
    audit.record(s, "step.refusal_noted", actor=actor, case_id=step.flow.document.case_id, subject=f"step:{step.id}",
                 details={"flow_id": step.flow_id, "version": version.number, "sha256": version.sha256})
    advance(s, step.flow)
