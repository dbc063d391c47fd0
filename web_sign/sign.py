"""Signing (a receipt, a transcript, an agreement) with her handwritten signature, refusing to
sign, and the progress page while the job applies the signature.

Signing and refusing always need an identity check passed in this session just now
(``identity.face.require_fresh``); an agent acts only within their authority
(``court.services.agents``); the mark that a signature is being applied lives in
``court.services.party_documents``.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from court import db, ratelimit
from court.errors import DomainError, RateLimited
from court.i18n import _
from court.models import FlowStep, StepAction, StepStatus
from court.services import agents, flow_steps, party_documents, receipts, service_date
from identity.face import fresh, require_fresh
from signing import party as party_signing
from web_sign import access
from web_sign.blueprint import bp

MAX_SIGNATURE_BYTES = 1024 * 1024
SIGN_LIMIT = ratelimit.Limit(20, 3600)
SIGN_STARTED = "m_sign_started"  # the step and attempt this browser asked to sign (to tell a new failure)


def _actionable_step(document_id: int) -> tuple[access.Access, FlowStep]:
    """The document and the party's step on it that a page acts on; 404 without one, 403 for an
    agent acting beyond their authority."""
    acc = access.party_document(document_id)
    s = db.session()
    step = party_documents.step_for(s, acc.document, acc.party)
    if step is None or step.action not in (StepAction.SIGN, StepAction.RECEIVE):
        abort(404)
    try:
        agents.require(s, access.auth()["person_id"], acc.party, agents.act_for_step(step))  # type: ignore[index]
    except DomainError as exc:
        abort(Response(render_template("m/problem.html", title=_("无法代为办理"), text=exc.localized(), action=None),
                       status=403))
    return acc, step


def _face_again(document_id: int) -> ResponseReturnValue:
    return redirect(url_for("party.face", next=url_for("party.sign", document_id=document_id)))


@bp.get("/documents/<int:document_id>/sign")
@access.party_page()
def sign(document_id: int) -> ResponseReturnValue:
    acc, step = _actionable_step(document_id)
    if step.status not in (StepStatus.READY, StepStatus.RUNNING):
        return redirect(url_for("party.document", document_id=document_id))
    s = db.session()
    person = access.person(s)
    if person is None or fresh(s, person.id, access.holder() or "") is None:
        flash(_("为确认是您本人操作，签名前请再次完成人脸识别"))
        return _face_again(document_id)
    if party_documents.signing(step):
        return redirect(url_for("party.progress", document_id=document_id))
    rec = receipts.record_for(s, acc.party.id, document_id)
    return render_template("m/sign.html", doc=acc.document, step=step, flow=step.flow, rec=rec,
                           served=service_date.what_fixed(rec) if rec is not None else None)


def _decode_png(value: str) -> bytes:
    """The handwritten signature the page posts (a PNG data URL), bounded; else ``bad_signature``."""
    prefix = "data:image/png;base64,"
    if not value.startswith(prefix) or len(value) > MAX_SIGNATURE_BYTES * 4 // 3 + 100:
        raise DomainError("签名图片无效，请重新手写签名", code="bad_signature")
    try:
        data = base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("签名图片无效，请重新手写签名", code="bad_signature") from None
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise DomainError("签名图片无效，请重新手写签名", code="bad_signature")
    return data


@bp.post("/documents/<int:document_id>/sign")
@access.party_page(next_endpoint="party.sign")
def sign_submit(document_id: int) -> ResponseReturnValue:
    _acc, step = _actionable_step(document_id)
    s = db.session()
    person = access.person(s)
    assert person is not None
    try:
        require_fresh(s, person.id, access.holder() or "")
        ratelimit.hit("m-sign", str(person.id), SIGN_LIMIT)
        png = _decode_png(request.form.get("signature", ""))
        if not party_documents.start_signing(step):
            return redirect(url_for("party.progress", document_id=document_id))
        try:
            party_signing.request_sign(s, step, png, person_id=person.id)
            party_documents.sign_requested(s, step, person_id=person.id)
            s.commit()
        except BaseException:
            party_documents.signing_over(step)
            raise
    except (DomainError, RateLimited) as exc:
        s.rollback()
        flash(exc.localized(), "error")
        if getattr(exc, "code", "") == "face_check_needed":
            return _face_again(document_id)
        return redirect(url_for("party.sign", document_id=document_id))
    session[SIGN_STARTED] = {"step": step.id, "attempts": step.attempts}
    return redirect(url_for("party.progress", document_id=document_id))


@bp.post("/documents/<int:document_id>/refuse")
@access.party_page(next_endpoint="party.document")
def refuse(document_id: int) -> ResponseReturnValue:
    _acc, step = _actionable_step(document_id)
    if step.action is not StepAction.SIGN:
        abort(404)
    s = db.session()
    person = access.person(s)
    assert person is not None
    try:
        require_fresh(s, person.id, access.holder() or "")
        flow_steps.refuse_step(s, step, request.form.get("reason", "")[:1000], actor=f"person:{person.id}")
        s.commit()
    except DomainError as exc:
        s.rollback()
        flash(exc.localized(), "error")
        if exc.code == "face_check_needed":
            return _face_again(document_id)
        return redirect(url_for("party.sign", document_id=document_id))
    flash(_("您拒绝签名的意见和理由已记录"))
    return redirect(url_for("party.document", document_id=document_id))


@bp.get("/documents/<int:document_id>/progress")
@access.party_page(next_endpoint="party.document")
def progress(document_id: int) -> ResponseReturnValue:
    acc, step = _actionable_step(document_id)
    return render_template("m/progress.html", doc=acc.document, step=step)


@bp.get("/documents/<int:document_id>/status")
@access.party_page(refuse="json")
def status(document_id: int) -> ResponseReturnValue:
    """Polled by the progress page while the job applies the signature."""
    _acc, step = _actionable_step(document_id)
    out: dict[str, Any] = {"status": step.status.value, "done": False, "failed": False}
    if step.status is StepStatus.DONE:
        out["done"] = True
        done_page = "party.receipt" if step.action is StepAction.RECEIVE else "party.document"
        out["next"] = url_for(done_page, document_id=document_id)
        return jsonify(out)
    started = session.get(SIGN_STARTED) or {}
    tried = started.get("attempts", step.attempts) if started.get("step") == step.id else step.attempts
    if party_documents.sign_failed(step, tried):
        out["failed"] = True
        out["message"] = _("签名未能完成，请重新签名；如多次失败，请联系承办法院")
        out["next"] = url_for("party.sign", document_id=document_id)
        party_documents.signing_over(step, tried)
    return jsonify(out)
