"""The party's pages under ``/m``: identity, consent, review, sign, progress, receipt, hand-off.

``identity`` and ``signing`` are imported inside the views that use them: the pages that do
not need them (lists, review, receipts) keep working on their own, and start-up never
depends on a provider being reachable.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from court import audit, crypto, db, ratelimit, redis_conn
from court.errors import DomainError, RateLimited
from court.i18n import _
from court.models import (
    Case,
    Document,
    DocumentKind,
    DocumentVersion,
    FlowStep,
    IdentityCheck,
    Party,
    Person,
    ServiceRecord,
    SigningFlow,
    StepAction,
    StepStatus,
)
from court.services import agents, binding, flow_steps, identity_checks, party_sessions
from court.services import documents as document_service
from signing import pages, qr
from web_sign import access

bp = Blueprint("party", __name__, url_prefix="/m", template_folder="templates",
               static_folder="static", static_url_path="/static")

OTP_PURPOSE = "web_sign"
MAX_SIGNATURE_BYTES = 1024 * 1024
PAGE_LIMIT = ratelimit.Limit(600, 3600)  # page images per person an hour
SIGN_LIMIT = ratelimit.Limit(20, 3600)
HANDOFF_LIMIT = ratelimit.Limit(10, 3600)
HANDOFF_SECONDS = 600
SIGNING_FLAG_SECONDS = 600

# Party-facing words for a step's state (kinds, roles and actions come from court.display via the
# app-wide ``label`` filter); source strings, translated per request by the templates.
STEP_LABELS = {"waiting": _("等待中"), "ready": _("待签"), "running": _("处理中"), "done": _("已签"), "refused": _("拒签"),
               "failed": _("失败")}
GROUPS = (("to_sign", _("待签署")), ("waiting", _("等待他人")), ("signed", _("已签署")), ("served", _("已送达")),
          ("refused", _("已拒签")))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"STEP_LABELS": STEP_LABELS, "m_auth": access.auth()}


@bp.after_request
def _private(resp: Response) -> Response:
    """Party pages hold personal documents: never cached, never sent on as a referrer."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _problem(title: str, text: str, status: int = 400, action: tuple[str, str] | None = None):  # type: ignore[no-untyped-def]
    return render_template("m/problem.html", title=title, text=text, action=action), status


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/m/") and "//" not in value else url_for("party.home")


# ---- getting in --------------------------------------------------------------------------------
def _link_party(s: Any) -> Party | None:
    data = access.link()
    return s.get(Party, data["party_id"]) if data else None


@bp.get("/")
@access.party_page()
def home():  # type: ignore[no-untyped-def]
    s = db.session()
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key, _label in GROUPS}
    cases: dict[int, Case] = {}
    for doc, party in access.documents_for(s, access.party_ids()):
        if doc.kind is DocumentKind.CREDENTIAL:
            continue
        status = _doc_state(s, doc, party)
        cases[doc.case_id] = doc.case
        groups[status].append({"doc": doc, "party": party})
    for items in groups.values():
        items.sort(key=lambda i: (i["doc"].case_id, i["doc"].kind.value, -i["doc"].id))
    return render_template("m/home.html", groups=[(k, _(label), groups[k]) for k, label in GROUPS], cases=cases)


def _doc_state(s: Any, doc: Document, party: Party) -> str:
    steps = access.steps_of(s, doc.id, {party.id})
    if any(st.status in (StepStatus.READY, StepStatus.RUNNING) for st in steps):
        return "to_sign"
    if any(st.status is StepStatus.REFUSED for st in steps):
        return "refused"
    if any(st.status is StepStatus.WAITING for st in steps):
        return "waiting"
    if steps and all(st.status is StepStatus.DONE for st in steps):
        return "signed"
    return "served"


@bp.get("/identity")
def identity():  # type: ignore[no-untyped-def]
    """The SMS-code step, drawn from the server's state every time (back, reload, reopening the
    link): done when this browser's live session already acts for the link's party; otherwise
    when another code may be asked for (a countdown, and the clock time for pages without JS)."""
    from identity import otp

    s = db.session()
    party = _link_party(s)
    if party is None:
        return access.gate(url_for("party.home")) or redirect(url_for("party.home"))
    if party.kind == "organisation":  # see _person_for: its people prove who they are on their own links
        return _problem(_("请使用您本人收到的链接"),
                        _("单位当事人请由法定代表人或委托诉讼代理人通过本人收到的短信链接办理"), 403)
    next_url = _safe_next(request.args.get("next"))
    done = access.current() is not None and party.id in access.party_ids()
    wait = otp.send_wait(party.phone) if party.phone and not done else 0
    return render_template("m/identity.html", party=party, court=party.case.court, next_url=next_url,
                           phone=crypto.mask_phone(party.phone) if party.phone else None,
                           sent=session.get("m_otp_sent") == party.id, done=done, wait=wait,
                           until=otp.until(wait) if wait else None)


def _person_for(s: Any, party: Party) -> Person:
    """The person behind the court's party record, registering them from it the first time."""
    from identity import registration

    if party.person_id is not None:
        person = s.get(Person, party.person_id)
        assert person is not None
        return person
    if party.kind == "organisation":  # an organisation acts through people who prove who they are
        raise DomainError("单位当事人请由法定代表人或委托诉讼代理人通过本人收到的短信链接办理", code="organisation_link")
    if not party.id_number_enc or not party.phone:
        raise DomainError("法院登记的信息不完整，无法在线核验身份，请联系承办法院", code="party_incomplete")
    return registration.for_court_record(s, real_name=party.name, id_number=crypto.decrypt(party.id_number_enc),
                                         phone=party.phone)


def _identity_request() -> tuple[Any, Party, str]:
    """Session, the party the SMS link names (403 without one) and where to go afterwards."""
    s = db.session()
    party = _link_party(s)
    if party is None:
        abort(403)
    return s, party, _safe_next(request.form.get("next"))


@bp.post("/identity/send")
def identity_send():  # type: ignore[no-untyped-def]
    from identity import otp

    s, party, next_url = _identity_request()
    try:
        person = _person_for(s, party)
        otp.send_code(s, party.phone or "", OTP_PURPOSE, person_id=person.id)
        s.commit()
    except (DomainError, RateLimited) as exc:
        s.rollback()
        flash(exc.localized(), "error")
        return redirect(url_for("party.identity", next=next_url))
    session["m_otp_sent"] = party.id
    flash(_("验证码已发送至 {phone}，5分钟内有效", phone=crypto.mask_phone(party.phone or "")))
    return redirect(url_for("party.identity", next=next_url))


@bp.post("/identity/verify")
def identity_verify():  # type: ignore[no-untyped-def]
    from identity import otp

    s, party, next_url = _identity_request()
    if access.current() is not None and party.id in access.party_ids():
        return redirect(next_url)  # this step is already done here (a re-submit, or back then 下一步)
    try:
        # who the court's record names is settled before the code is spent, so a problem there
        # never burns a right code (which would then be refused as used)
        person = _person_for(s, party)
        if party.person_id is not None and party.person_id != person.id:
            raise DomainError("身份信息与法院登记不一致，请联系承办法院", code="party_mismatch", status=403)
        otp.verify_code(s, party.phone or "", OTP_PURPOSE, request.form.get("code", "")[:16])
        s.commit()
    except (DomainError, RateLimited) as exc:
        s.commit()  # keep the counted attempt and the audit row
        flash(exc.localized(), "error")
        return redirect(url_for("party.identity", next=next_url))
    session.pop("m_otp_sent", None)
    row = access.set_auth(person, access.own_parties(s, person.id, [party.id]), "sms", proven_phone=party.phone)
    s.commit()
    if party_sessions.returning(s, row, party):
        # no face check to re-read what was served on her; the pages still ask for one before
        # anything new is read or signed (party_sessions.may_read, identity.face.require_fresh)
        return redirect(next_url)
    return redirect(url_for("party.face", next=next_url))


@bp.get("/face")
def face():  # type: ignore[no-untyped-def]
    holder, row = access.holder(), access.current()
    if holder is None or row is None:
        return access.gate(url_for("party.home"))
    from court.services import face_consent
    from identity.face import attempts_left, fresh, notice

    next_url = _safe_next(request.args.get("next"))
    s = db.session()
    if fresh(s, row.person_id, holder) is not None:  # passed here just now (back, reload): go on
        person = s.get(Person, row.person_id)
        assert person is not None
        return redirect(_after_face(s, person, next_url))
    if face_consent.current(s, person_id=row.person_id, holder_id=holder) is None:
        # separate consent first: no upload control, no camera, until 同意 (Face Recognition Measures 2025)
        return render_template("m/face_notice.html", next_url=next_url, notice=notice.current())
    return render_template("m/face.html", next_url=next_url, left=attempts_left(holder))


@bp.post("/face")
def face_upload():  # type: ignore[no-untyped-def]
    from identity import face as face_checks

    row, holder = access.current(), access.holder()
    if row is None or holder is None:
        abort(403)
    next_url = _safe_next(request.form.get("next"))
    upload = request.files.get("photo")
    image = upload.read(8 * 1024 * 1024 + 1) if upload else b""
    s = db.session()
    try:
        check = face_checks.request_check(s, row.person_id, image, holder_id=holder, channel="web")
        row.pending_check_id = check.id  # this session asks about this check, and only this one
        s.commit()
    except (DomainError, RateLimited) as exc:
        s.rollback()
        flash(exc.localized(), "error")
        return redirect(url_for("party.face", next=next_url))
    return redirect(url_for("party.face_wait", next=next_url))


@bp.get("/face/wait")
def face_wait():  # type: ignore[no-untyped-def]
    row = access.current()
    if row is None or row.pending_check_id is None:
        return redirect(url_for("party.face", next=_safe_next(request.args.get("next"))))
    return render_template("m/face_wait.html", next_url=_safe_next(request.args.get("next")))


@bp.get("/face/status")
def face_status():  # type: ignore[no-untyped-def]
    """Polled by the waiting page: has the check *this session* queued been decided? Only that
    check is looked at, never the person's latest one elsewhere (issue 10, finding 2)."""
    from identity.face import MESSAGES

    row, holder = access.current(), access.holder()
    s = db.session()
    check = s.get(IdentityCheck, row.pending_check_id) if row is not None and row.pending_check_id else None
    if row is None or holder is None or check is None or check.holder != holder:
        return jsonify(done=True, ok=False, message=_("请重新拍摄照片")), 403
    if check.status == identity_checks.PENDING:
        return jsonify(done=False)
    ok = check.status == identity_checks.PASS
    row.pending_check_id = None
    person = s.get(Person, row.person_id)
    assert person is not None
    if ok:
        binding.join_parties(s, person, row.party_ids or [], check, holder_id=holder, via=f"web_{row.via}")
        if row.proven_phone:
            binding.phone_proven(s, person, row.proven_phone, check=check, holder_id=holder)
        party_sessions.end_others(s, row)  # a new face check: any other browser of this person signs out
    s.commit()
    message = _(MESSAGES.get(check.result or "", MESSAGES["unavailable"]))
    return jsonify(done=True, ok=ok, message=message,
                   next=_after_face(s, person, _safe_next(request.args.get("next"))))


def _after_face(s: Any, person: Person, next_url: str) -> str:
    """Where to go after the face check: consent first for any case that has none."""
    from court.services import consent as consent_rules

    for party_id in access.party_ids():
        party = s.get(Party, party_id)
        if party is not None and not consent_rules.may_serve(s, party):
            return url_for("party.consent_page", case_id=party.case_id, next=next_url)
    return next_url


@bp.route("/consent/<int:case_id>", methods=["GET", "POST"])
@access.party_page()
def consent_page(case_id: int):  # type: ignore[no-untyped-def]
    """同意 or 不同意 electronic service for one case, and withdrawing an earlier consent."""
    from court.services import consent as consent_rules
    from court.services import consent_text

    next_url = _safe_next(request.values.get("next"))
    s = db.session()
    party = next((p for p in (s.get(Party, i) for i in access.party_ids()) if p and p.case_id == case_id), None)
    if party is None:
        abort(404)
    person = access.person(s)
    assert person is not None
    phone = person.phone or party.phone or ""
    channels = ["sms"]
    actor = f"person:{person.id}"
    if request.method == "POST":  # post/redirect/get: back and reload never re-send the form
        decision = request.form.get("decision", "")
        here = url_for("party.consent_page", case_id=case_id, next=next_url)
        try:
            if decision == "decline":
                consent_rules.decline(s, party, method="web", actor=actor, reason=request.form.get("reason", "")[:500])
                s.commit()
                flash(_("已记录您不同意电子送达。法院将通过邮寄等其他方式向您送达本案文书。如改变主意，可在本页重新选择同意。"))
                return redirect(here)
            if decision == "withdraw":
                consent_rules.withdraw_for(s, party, actor=actor)
                s.commit()
                flash(_("已撤回电子送达同意。撤回前已经完成的送达仍然有效，此后法院将通过其他方式向您送达本案文书。"))
                return redirect(here)
            if decision != "agree" and request.form.get("agree") != "yes":
                flash(_("请选择同意或不同意电子送达"), "error")
                return redirect(here)
            consent_rules.give(s, person, party.case, channels=channels, address={"sms": phone}, method="web",
                               party=party)
            s.commit()
            return redirect(next_url)
        except DomainError as exc:
            s.rollback()
            flash(exc.localized(), "error")
            return redirect(here)
    if party.kind == "organisation" or party.person_id != person.id:  # an agent answers for the party
        flash(_("您正在代 {party} 确认电子送达，确认记录将写明由您代为确认", party=party.name))
    text = consent_text.consent_text(party.case, channels, None, {"sms": phone})
    summary = consent_text.consent_summary(channels, None, {"sms": phone})
    return render_template("m/consent.html", text=text, summary=summary, case=party.case, next_url=next_url,
                           state=consent_rules.state(s, party))


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    access.sign_out()
    db.session().commit()
    for key in (*access.LINK_KEYS, "m_otp_sent"):
        session.pop(key, None)
    return redirect(url_for("party.logged_out"))


@bp.get("/logged-out")
def logged_out():  # type: ignore[no-untyped-def]
    """Where logging out lands (a GET, so back and reload show it again instead of re-posting)."""
    return _problem(_("已退出"), _("您已安全退出。再次查看文书请重新打开法院发送的链接。"), 200)


# ---- reading -----------------------------------------------------------------------------------
def _service_record(s: Any, party_id: int, document_id: int) -> ServiceRecord | None:
    return s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == party_id,
                                                ServiceRecord.document_id == document_id))


def _flow(s: Any, doc: Document) -> SigningFlow | None:
    return s.scalar(select(SigningFlow).where(SigningFlow.document_id == doc.id).order_by(SigningFlow.id.desc()))


def _my_step(s: Any, doc: Document, party: Party) -> FlowStep | None:
    steps = access.steps_of(s, doc.id, {party.id})
    for wanted in ((StepStatus.READY, StepStatus.RUNNING), (StepStatus.WAITING,), (StepStatus.DONE, StepStatus.REFUSED),
                   (StepStatus.FAILED,)):
        for st in steps:
            if st.status in wanted:
                return st
    return None


@bp.get("/documents/<int:document_id>")
@access.party_page(oauth=True, next_endpoint="party.document")
def document(document_id: int):  # type: ignore[no-untyped-def]
    acc = access.party_document(document_id)
    s = db.session()
    doc = acc.document
    version = doc.current
    count = pages.page_count(version)
    flow = _flow(s, doc)
    step = _my_step(s, doc, acc.party)
    rec = _service_record(s, acc.party.id, doc.id)
    if rec is not None:  # the party opened it: an act that fixes the date of service on any address
        from court.services import service_date

        rec.served_version_id = rec.served_version_id or version.id
        service_date.record_event(s, rec, channel="web", event="read", at=db.utcnow())
        s.commit()
    return render_template("m/document.html", doc=doc, party=acc.party, version=version, count=count, flow=flow,
                           step=step, rec=rec, page_widths=pages.WIDTHS, show_order=doc.kind is DocumentKind.TRANSCRIPT or
                           (flow is not None and sum(1 for st in flow.steps if st.party_id or st.staff_id) > 1))


@bp.get("/documents/<int:document_id>/pages/<int:number>.png")
@access.party_page(refuse="403")
def page_image(document_id: int, number: int):  # type: ignore[no-untyped-def]
    acc = access.party_document(document_id)
    try:
        ratelimit.hit("m-page", str(access.auth()["person_id"]), PAGE_LIMIT)
    except RateLimited:
        abort(429)
    width = pages.parse_width(request.args.get("w"))
    if width is None:
        abort(400)
    png = pages.render(acc.document.current, number, width)
    if png is None:
        abort(404)
    resp = Response(png, mimetype="image/png")
    return resp


@bp.get("/documents/<int:document_id>/file.pdf")
@access.party_page(refuse="403")
def download(document_id: int):  # type: ignore[no-untyped-def]
    acc = access.party_document(document_id)
    return _pdf(acc.document.current, acc.document.title, inline=request.args.get("inline") == "1")


def _pdf(version: DocumentVersion, title: str, *, inline: bool) -> Response:
    from urllib.parse import quote

    data = document_service.read_version(version)
    resp = Response(data, mimetype="application/pdf")
    name = f"{title[:80]}.pdf"
    disposition = "inline" if inline else "attachment"
    resp.headers["Content-Disposition"] = f"{disposition}; filename=\"document.pdf\"; filename*=UTF-8''{quote(name)}"
    return resp


# ---- signing -----------------------------------------------------------------------------------
def _actionable_step(document_id: int) -> tuple[Any, FlowStep]:
    acc = access.party_document(document_id)
    s = db.session()
    step = _my_step(s, acc.document, acc.party)
    if step is None or step.action not in (StepAction.SIGN, StepAction.RECEIVE):
        abort(404)
    try:  # an agent acts only within their authority (court.services.agents)
        agents.require(s, access.auth()["person_id"], acc.party, agents.act_for_step(step))
    except DomainError as exc:
        abort(Response(render_template("m/problem.html", title=_("无法代为办理"), text=exc.localized(), action=None),
                       status=403))
    return acc, step


def _signing_key(step: FlowStep) -> str:
    return f"m:signing:{step.id}:{step.attempts}"


@bp.get("/documents/<int:document_id>/sign")
@access.party_page()
def sign(document_id: int):  # type: ignore[no-untyped-def]
    acc, step = _actionable_step(document_id)
    from identity.face import fresh

    if step.status not in (StepStatus.READY, StepStatus.RUNNING):
        return redirect(url_for("party.document", document_id=document_id))
    s = db.session()
    person = access.person(s)
    if person is None or fresh(s, person.id, access.holder() or "") is None:
        flash(_("为确认是您本人操作，签名前请再次完成人脸识别"))
        return redirect(url_for("party.face", next=url_for("party.sign", document_id=document_id)))
    if redis_conn.client().exists(_signing_key(step)):
        return redirect(url_for("party.progress", document_id=document_id))
    from court.services import service_date

    rec = _service_record(s, acc.party.id, document_id)
    return render_template("m/sign.html", doc=acc.document, step=step, flow=step.flow, rec=rec,
                           served=service_date.what_fixed(rec) if rec is not None else None)


def _decode_png(value: str) -> bytes:
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
def sign_submit(document_id: int):  # type: ignore[no-untyped-def]
    acc, step = _actionable_step(document_id)
    from identity.face import require_fresh
    from signing import party as party_signing

    s = db.session()
    person = access.person(s)
    assert person is not None
    r = redis_conn.client()
    try:
        require_fresh(s, person.id, access.holder() or "")
        ratelimit.hit("m-sign", str(person.id), SIGN_LIMIT)
        png = _decode_png(request.form.get("signature", ""))
        if not r.set(_signing_key(step), "1", nx=True, ex=SIGNING_FLAG_SECONDS):
            return redirect(url_for("party.progress", document_id=document_id))
        try:
            party_signing.request_sign(s, step, png, person_id=person.id)
            audit.record(s, "web.sign_requested", actor=f"person:{person.id}", case_id=acc.document.case_id,
                         subject=f"step:{step.id}", details={"document_id": document_id})
            s.commit()
        except BaseException:
            r.delete(_signing_key(step))
            raise
    except (DomainError, RateLimited) as exc:
        s.rollback()
        if getattr(exc, "code", "") == "face_check_needed":
            flash(exc.localized(), "error")
            return redirect(url_for("party.face", next=url_for("party.sign", document_id=document_id)))
        flash(exc.localized(), "error")
        return redirect(url_for("party.sign", document_id=document_id))
    session["m_sign_started"] = {"step": step.id, "attempts": step.attempts}
    return redirect(url_for("party.progress", document_id=document_id))


@bp.post("/documents/<int:document_id>/refuse")
@access.party_page(next_endpoint="party.document")
def refuse(document_id: int):  # type: ignore[no-untyped-def]
    acc, step = _actionable_step(document_id)
    if step.action is not StepAction.SIGN:
        abort(404)
    from identity.face import require_fresh

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
            return redirect(url_for("party.face", next=url_for("party.sign", document_id=document_id)))
        return redirect(url_for("party.sign", document_id=document_id))
    flash(_("您拒绝签名的意见和理由已记录"))
    return redirect(url_for("party.document", document_id=document_id))


@bp.get("/documents/<int:document_id>/progress")
@access.party_page(next_endpoint="party.document")
def progress(document_id: int):  # type: ignore[no-untyped-def]
    acc, step = _actionable_step(document_id)
    return render_template("m/progress.html", doc=acc.document, step=step)


@bp.get("/documents/<int:document_id>/status")
@access.party_page(refuse="json")
def status(document_id: int):  # type: ignore[no-untyped-def]
    """Polled by the progress page while the job applies the signature."""
    acc, step = _actionable_step(document_id)
    out: dict[str, Any] = {"status": step.status.value, "done": False, "failed": False}
    if step.status is StepStatus.DONE:
        out["done"] = True
        if step.action is StepAction.RECEIVE:
            out["next"] = url_for("party.receipt", document_id=document_id)
        else:
            out["next"] = url_for("party.document", document_id=document_id)
    else:
        started = session.get("m_sign_started") or {}
        tried = started.get("attempts", step.attempts) if started.get("step") == step.id else step.attempts
        if step.status is StepStatus.FAILED or (step.error and step.attempts > tried):
            out["failed"] = True
            out["message"] = _("签名未能完成，请重新签名；如多次失败，请联系承办法院")
            out["next"] = url_for("party.sign", document_id=document_id)
            redis_conn.client().delete(_signing_key(step), f"m:signing:{step.id}:{tried}")
    return jsonify(out)


# ---- the receipt -------------------------------------------------------------------------------
def _receipt_record(document_id: int) -> tuple[Any, ServiceRecord]:
    acc = access.party_document(document_id)
    rec = _service_record(db.session(), acc.party.id, document_id)
    if rec is None or rec.signed_at is None:
        abort(404)
    return acc, rec


@bp.get("/documents/<int:document_id>/receipt")
@access.party_page(consent=False)
def receipt(document_id: int):  # type: ignore[no-untyped-def]
    acc, rec = _receipt_record(document_id)
    return render_template("m/receipt.html", doc=acc.document, party=acc.party, rec=rec)


@bp.get("/documents/<int:document_id>/receipt/status")
@access.party_page(refuse="json", consent=False)
def receipt_status(document_id: int):  # type: ignore[no-untyped-def]
    _acc, rec = _receipt_record(document_id)
    return jsonify(ready=rec.credential_version_id is not None)


@bp.get("/documents/<int:document_id>/receipt.pdf")
@access.party_page(refuse="403", consent=False)
def receipt_pdf(document_id: int):  # type: ignore[no-untyped-def]
    _acc, rec = _receipt_record(document_id)
    if rec.credential is None:
        abort(404)
    return _pdf(rec.credential, rec.credential.document.title, inline=request.args.get("inline") == "1")


# ---- from a desktop to a phone -----------------------------------------------------------------
def _handoff_key(token: str) -> str:
    return f"m:handoff:{crypto.token_hash(token)}"


@bp.get("/documents/<int:document_id>/handoff")
@access.party_page(need_face=False, consent=False)
def handoff(document_id: int):  # type: ignore[no-untyped-def]
    """A QR code the party scans with their phone to carry on there (the phone still does the
    face check before reading or signing)."""
    data = access.auth()
    assert data is not None
    s = db.session()
    if access.party_ids() and s.get(Document, document_id) is not None:
        access.party_document(document_id)  # 404 when not theirs
    else:
        abort(404)
    try:
        ratelimit.hit("m-handoff", str(data["person_id"]), HANDOFF_LIMIT)
    except RateLimited as exc:
        return _problem(_("操作过于频繁"), exc.localized(), 429)
    token = crypto.random_token(18)
    payload = {"person_id": data["person_id"], "party_ids": data["party_ids"], "document_id": document_id}
    redis_conn.client().set(_handoff_key(token), json.dumps(payload), ex=HANDOFF_SECONDS)
    base = str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    url = f"{base}{url_for('party.handoff_land', token=token)}"
    return render_template("m/handoff.html", qr=qr.svg(url), url=url, minutes=HANDOFF_SECONDS // 60,
                           document_id=document_id)



@bp.get("/h/<token>")
def handoff_land(token: str):  # type: ignore[no-untyped-def]
    raw = redis_conn.client().getdel(_handoff_key(token[:64]))
    if raw is None:
        return _problem(_("二维码已失效"),
                            _("该二维码已使用或已超过10分钟有效期，请在电脑上刷新页面获取新的二维码。"), 410)
    payload = json.loads(raw)
    s = db.session()
    person = s.get(Person, payload["person_id"])
    if person is None:
        abort(410)
    access.sign_out(party_sessions.REPLACED)
    session.clear()
    access.set_auth(person, payload["party_ids"], "handoff")
    audit.record(s, "web.handoff", actor=f"person:{person.id}", subject=f"document:{payload['document_id']}")
    s.commit()
    return redirect(url_for("party.document", document_id=payload["document_id"]))
