"""Signing flows: start one on a document, follow its steps, approve the seal, retry a failure."""
from __future__ import annotations

import base64
import binascii

from court import db
from court.errors import DomainError, NotFound
from court.models import FlowStep, SigningFlow, StaffRole
from court.services import documents as doc_service
from court.services import flow_steps
from court.services import flows as flow_service
from court.services.court_scope import court_row
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.cases import WRITERS
from staff.api.openapi import route
from staff.api.schemas import FlowIn, FlowOut, ReauthIn, RefuseIn, SignIn, SignQueued


def _flow(flow_id: int) -> SigningFlow:
    return court_row(db.session(), SigningFlow, flow_id, current_staff().court_id,
                     lambda f: f.document.case.court_id, NotFound("签署流程不存在", code="flow_not_found"))


def _step(flow_id: int, step_id: int) -> FlowStep:
    step = db.session().get(FlowStep, step_id)
    if step is None or step.flow_id != _flow(flow_id).id:
        raise NotFound("步骤不存在", code="step_not_found")
    return step


@route(bp, "/documents/<int:document_id>/flows", "POST", summary="启动签署流程 / start a signing flow",
       tag="flows", body=FlowIn, response=FlowOut, status=201, roles=WRITERS)
def start_flow(document_id: int, body: FlowIn) -> FlowOut:
    s = db.session()
    doc = doc_service.get_document(s, current_staff().court_id, document_id)
    steps = [flow_service.StepInput(**st.model_dump()) for st in body.steps]
    flow = flow_service.start_flow(s, doc, steps, ordered=body.ordered, actor=actor(), seal_id=body.seal_id)
    s.commit()
    return FlowOut.model_validate(flow)


@route(bp, "/flows/<int:flow_id>", summary="流程状态 / flow status", tag="flows", response=FlowOut)
def get_flow(flow_id: int) -> FlowOut:
    return FlowOut.model_validate(_flow(flow_id))


def _own_step(step: FlowStep) -> None:
    if step.staff_id != current_staff().id:
        raise DomainError("该步骤不是由您办理", code="not_your_step", status=403)


@route(bp, "/flows/<int:flow_id>/steps/<int:step_id>/approve", "POST", summary="审批用印 / approve the seal",
       tag="flows", body=ReauthIn, response=FlowOut, roles=(StaffRole.SEAL_APPROVER,))
def approve_step(flow_id: int, step_id: int, body: ReauthIn) -> FlowOut:
    """The seal keeper re-authenticates (password in the request) at the moment of approval."""
    s = db.session()
    step = _step(flow_id, step_id)
    flow_steps.approve_seal(s, step, current_staff(), password=body.password)
    s.commit()
    return FlowOut.model_validate(step.flow)


@route(bp, "/flows/<int:flow_id>/steps/<int:step_id>/sign", "POST",
       summary="工作人员签名（需再次验证身份）/ a judge or clerk signs their step", tag="flows", body=SignIn,
       response=SignQueued, status=202)
def sign_step(flow_id: int, step_id: int, body: SignIn) -> SignQueued:
    from signing import party

    s = db.session()
    step = _step(flow_id, step_id)
    png = None
    if body.signature:
        try:
            png = base64.b64decode(body.signature, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError("签名图片须为 base64 编码的 PNG", code="bad_signature") from None
    job_id = party.request_staff_sign(s, step, current_staff(), password=body.password, signature_png=png)
    s.commit()
    return SignQueued(job_id=job_id, flow=FlowOut.model_validate(step.flow))


@route(bp, "/flows/<int:flow_id>/steps/<int:step_id>/refuse", "POST", summary="拒绝（记录理由）/ refuse with a reason",
       tag="flows", body=RefuseIn, response=FlowOut)
def refuse_step(flow_id: int, step_id: int, body: RefuseIn) -> FlowOut:
    s = db.session()
    step = _step(flow_id, step_id)
    _own_step(step)
    flow_steps.refuse_step(s, step, body.reason, actor=actor())
    s.commit()
    return FlowOut.model_validate(step.flow)


@route(bp, "/flows/<int:flow_id>/steps/<int:step_id>/retry", "POST", summary="重试失败的步骤 / retry a failed step",
       tag="flows", response=FlowOut, roles=WRITERS)
def retry_step(flow_id: int, step_id: int) -> FlowOut:
    s = db.session()
    step = _step(flow_id, step_id)
    flow_steps.retry_step(s, step, actor=actor())
    s.commit()
    return FlowOut.model_validate(step.flow)
