"""HTTP endpoints of ``notify/``: the SMS link landing ``/s/<token>``, the providers' delivery
callbacks, and the development phone ``/dev/phone``."""
from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session
from markupsafe import Markup, escape
from sqlalchemy import func, select

from court import audit, crypto, db, phones
from court.i18n import _
from court.models import DevMessage, FlowStatus, Notification, SigningFlow
from notify import links, settings, status

log = logging.getLogger(__name__)

links_bp = Blueprint("notify_links", __name__, template_folder="templates")
callbacks_bp = Blueprint("notify_callbacks", __name__, url_prefix="/notify/callbacks")
dev_bp = Blueprint("notify_dev", __name__, url_prefix="/dev", template_folder="templates")

LINK_SESSION_KEY = "sms_link"
PROBLEMS = {
    "unknown": ("链接无效", "该链接不存在或已失效，请核对短信中的链接。", 404),
    "expired": ("链接已过期", "该链接已超过有效期，请联系法院重新发送。", 410),
    "revoked": ("链接已撤销", "该链接已被撤销，请以法院最新通知为准。", 410),
    "cancelled": ("送达已取消", "法院已取消该文书的本次送达，您无需签收。如有疑问，请联系承办法院。", 410),
}


# ---- /s/<token> -------------------------------------------------------------------------------
@links_bp.get("/s/<token>")
def sms_link(token: str):  # type: ignore[no-untyped-def]
    """Open an SMS link: count the open (the legal "opened" time of the message), bind this
    browser session to the link's party and document, and hand over to the mobile pages."""
    s = db.session()
    try:
        link = links.resolve(s, token)
    except links.LinkProblem as problem:
        title, text, code = PROBLEMS[_why(s, problem)]
        s.rollback()
        return _no_store(current_app.make_response((render_template(
            "notify/link_problem.html", title=_(title), text=_(text)), code)))
    now = db.utcnow()
    first = links.mark_opened(link, now)
    n = s.get(Notification, link.notification_id) if link.notification_id is not None else None
    if n is not None:
        status.opened(s, n, now)
    if first:
        audit.record(s, "link.opened", actor=f"party:{link.party_id}", subject=f"sms_link:{link.id}",
                     case_id=n.case_id if n else None,
                     details={"document_id": link.document_id, "purpose": link.purpose})
    s.commit()
    session[LINK_SESSION_KEY] = {"link_id": link.id, "party_id": link.party_id, "document_id": link.document_id,
                                 "purpose": link.purpose, "opened_at": now.isoformat()}
    target = f"/m/documents/{link.document_id}" if link.document_id else "/m/"
    if link.purpose == "identity":
        target = "/m/verified"  # the party pages claim the clerk's verification for this session
    return _no_store(redirect(target, code=303))


def _why(s, problem: links.LinkProblem) -> str:  # type: ignore[no-untyped-def]
    """``cancelled`` when the link was revoked because the court called off the document's flow."""
    link = problem.link
    if problem.reason != "revoked" or link is None or link.document_id is None:
        return problem.reason
    latest = s.scalar(select(SigningFlow.status).where(SigningFlow.document_id == link.document_id)
                      .order_by(SigningFlow.id.desc()).limit(1))
    return "cancelled" if latest is FlowStatus.CANCELLED else problem.reason


def _no_store(resp):  # type: ignore[no-untyped-def]
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return resp


# ---- delivery-report callbacks ------------------------------------------------------------------
def _check_token(token: str) -> None:
    expected = settings.get().SMS_CALLBACK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        abort(404)


def _json_list() -> list[dict[str, Any]]:
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        abort(400)
    return data


@callbacks_bp.post("/aliyun/<token>")
def aliyun_report(token: str):  # type: ignore[no-untyped-def]
    """Aliyun ``SmsReport`` HTTP push: a JSON array of reports; answer ``{"code": 0}`` when every
    report was taken (Aliyun retries otherwise; repeats are recognised and ignored)."""
    _check_token(token)
    s = db.session()
    unknown = 0
    for item in _json_list():
        out_id, biz_id, phone = str(item.get("out_id") or ""), str(item.get("biz_id") or ""), str(item.get("phone_number") or "")
        n = None
        if out_id.isdigit():
            n = s.scalar(select(Notification).where(Notification.id == int(out_id), Notification.channel == "sms"))
        if n is None and biz_id:
            n = s.scalar(select(Notification).where(Notification.provider_id == biz_id, Notification.channel == "sms",
                                                    Notification.address == phone[-11:]))
        if n is None:
            unknown += 1
            continue
        success = item.get("success") in (True, "true", "True", 1)
        key = status.report_key("aliyun", biz_id, phone, out_id, success, item.get("err_code"), item.get("report_time"))
        status.apply_report(s, provider="aliyun", key=key, n=n, success=success, code=item.get("err_code"),
                            at=status.china_time(item.get("report_time")), address=phones.normalize(phone) or None)
    s.commit()
    if unknown:
        return jsonify(code=1, msg=f"{unknown} report(s) for unknown messages")
    return jsonify(code=0, msg="成功")


@callbacks_bp.post("/tencent/<token>")
def tencent_report(token: str):  # type: ignore[no-untyped-def]
    """Tencent Cloud SMS delivery callback: a JSON array keyed by ``sid`` (the SerialNo)."""
    _check_token(token)
    s = db.session()
    unknown = 0
    for item in _json_list():
        sid = str(item.get("sid") or "")
        n = s.scalar(select(Notification).where(Notification.provider_id == sid, Notification.channel == "sms")) \
            if sid else None
        if n is None:
            unknown += 1
            continue
        success = str(item.get("report_status") or "").upper() == "SUCCESS"
        key = status.report_key("tencent", sid, item.get("report_status"), item.get("errmsg"),
                                item.get("user_receive_time"), item.get("mobile"))
        status.apply_report(s, provider="tencent", key=key, n=n, success=success,
                            code=item.get("errmsg") or item.get("report_status"),
                            at=status.china_time(item.get("user_receive_time")),
                            address=phones.normalize(str(item.get("mobile") or "")) or None)
    s.commit()
    if unknown:
        return jsonify(result=1, errmsg=f"{unknown} report(s) for unknown messages")
    return jsonify(result=0, errmsg="OK")


# ---- /dev/phone -----------------------------------------------------------------------------------
URL = re.compile(r"https?://[^\s，。；、）)]+")


def linkify(text: str) -> Markup:
    out, pos = [], 0
    for m in URL.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(m.group(0)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


@dev_bp.get("/phone")
def phone_index():  # type: ignore[no-untyped-def]
    """Every number (and e-mail address) the development gateway has "sent" to."""
    s = db.session()
    rows = s.execute(select(DevMessage.channel, DevMessage.address, func.count(), func.max(DevMessage.created_at))
                     .group_by(DevMessage.channel, DevMessage.address)
                     .order_by(func.max(DevMessage.created_at).desc()).limit(500)).all()
    return render_template("notify/phone_index.html", rows=rows, inbox_key=inbox_key)


def inbox_key(address: str) -> str:
    """The opaque path segment of one inbox: phone numbers stay out of URLs, even here."""
    return crypto.lookup_hash(address)[:20]


@dev_bp.get("/phone/<key>")
def phone_inbox(key: str):  # type: ignore[no-untyped-def]
    """One phone's inbox, newest first, links clickable."""
    s = db.session()
    addresses = s.scalars(select(DevMessage.address).distinct())
    address = next((a for a in addresses if inbox_key(a) == key), None)
    if address is None:
        abort(404)
    messages = list(s.scalars(select(DevMessage).where(DevMessage.address == address)
                              .order_by(DevMessage.id.desc()).limit(200)))
    return render_template("notify/phone_inbox.html", address=address, messages=messages, linkify=linkify)
