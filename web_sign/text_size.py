"""Large text for older users (适老化): a switch on every party page, remembered in a cookie.

The cookie holds only ``large`` — no personal data — so it may outlive the signed-in session and
still apply on the next SMS link. The switch is a plain link (``GET /m/text-size``) that sets or
clears the cookie and sends the browser back where it was, so it works without JavaScript and in
WeChat's in-app browser. Only a display preference changes, never data, so a GET is safe here.
"""
from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for

from court import settings as court_settings
from web_sign.blueprint import bp
from web_sign.replies import safe_next

COOKIE = "m_text"
LARGE = "large"
MAX_AGE = 365 * 86400


def is_large() -> bool:
    return request.cookies.get(COOKIE) == LARGE


def _here() -> str:
    """The current page as a path (with its query), for the switch to come back to."""
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


@bp.context_processor
def _text_size() -> dict[str, Any]:
    large = is_large()
    return {"large_text": large,
            "text_size_url": url_for("party.text_size", size="normal" if large else LARGE, next=_here())}


@bp.get("/text-size")
def text_size():  # type: ignore[no-untyped-def]
    """Switch large text on (``size=large``) or off (anything else) and go back."""
    resp = redirect(safe_next(request.args.get("next")))
    if request.args.get("size") == LARGE:
        secure = court_settings.current().public_base_url.startswith("https://")
        resp.set_cookie(COOKIE, LARGE, max_age=MAX_AGE, samesite="Lax", httponly=True, secure=secure)
    else:
        resp.delete_cookie(COOKIE)
    return resp
