"""``/n/<token>``: the whole text of a WeChat notice that has no document page behind it.

A template message shows five fields of at most 20 characters, so a court's general notice
(up to 300 characters) or a long hearing place cannot be read on the card. The card links here:
a signed, expiring token names the notification, and the page shows the same full text the SMS
would carry (no more: anyone holding the SMS could read it too). Opening the page is recorded as
the notice being opened.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from court import db
from court import settings as court_settings
from court.i18n import _
from court.models import Notification
from notify import messages, settings, status

bp = Blueprint("notify_notice", __name__, template_folder="templates")
SALT = "wechat-notice-page"
MAX_AGE = 90 * 86400


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def url(notification_id: int) -> str:
    """The page for one notification (built by the sender)."""
    court = court_settings.current()
    return f"{court.public_base_url}/n/{_serializer(court.secret_key).dumps(notification_id)}"


@bp.get("/n/<token>")
def notice(token: str):  # type: ignore[no-untyped-def]
    s = db.session()
    try:
        nid = int(_serializer(court_settings.current().secret_key).loads(token, max_age=MAX_AGE))
    except SignatureExpired:
        return _problem(_("链接已过期"), _("该链接已超过有效期，请联系法院重新发送。"), 410)
    except (BadSignature, TypeError, ValueError):
        return _problem(_("链接无效"), _("该链接不存在或已失效，请核对短信中的链接。"), 404)
    n = s.get(Notification, nid)
    template = messages.TEMPLATES.get(n.template) if n is not None else None
    if n is None or template is None or template.link_purpose:
        return _problem(_("链接无效"), _("该链接不存在或已失效，请核对短信中的链接。"), 404)
    text = messages.render_sms(template, dict(n.params or {}), settings.get().SMS_SIGN_NAME)
    status.opened(s, n, db.utcnow())
    s.commit()
    resp = current_app.make_response(render_template("notify/notice.html", title=template.title, text=text))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _problem(title: str, text: str, code: int):  # type: ignore[no-untyped-def]
    return current_app.make_response((render_template("notify/link_problem.html", title=title, text=text), code))
