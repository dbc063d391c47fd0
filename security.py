"""Browser-facing safety shared by every page blueprint: session cookies, CSRF, headers, language.

Blueprints that serve forms opt in to CSRF checking by adding their name to
``app.extensions["csrf_blueprints"]``; JSON APIs and provider webhooks (which authenticate by
key or signature, not by cookie) are left alone.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Response, abort, request, session
from flask.wrappers import Request

from court import display, i18n

CSRF_FIELD = "csrf_token"


def csrf_token() -> str:
    token = session.get("_csrf")
    if not token:
        token = session["_csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("_csrf") or ""
    return bool(expected) and hmac.compare_digest(sent, expected)


class BoundedJsonRequest(Request):
    """A JSON body nested past Python's recursion limit (a few hundred KB of ``[``) is a bad request,
    like any malformed JSON: the standard parser raises RecursionError, not ValueError, which every
    JSON endpoint (the staff API, provider callbacks) would otherwise answer with a 500."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError("JSON nested too deeply"))


def init_app(app: Flask) -> None:
    app.request_class = BoundedJsonRequest
    cfg = app.extensions["court_config"]
    secure = cfg.court.public_base_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_REFRESH_EACH_REQUEST=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=cfg.web.session_minutes),
    )
    protected: set[str] = app.extensions.setdefault("csrf_blueprints", set())
    app.jinja_env.globals.update(csrf_token=csrf_token, _=i18n._, get_locale=i18n.get_locale)
    app.jinja_env.filters.update(label=display.label, local_time=display.local_time)
    app.jinja_env.filters.update(case_type=display.case_type, version_reason=display.version_reason,
                                 push_status=display.push_status, field_label=display.field,
                                 error_text=display.error_text, audit_action=display.audit_action,
                                 detail_key=display.detail_key, seal_channel=display.seal_channel,
                                 webhook_event=display.webhook_event)

    @app.before_request
    def _check_csrf() -> None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.blueprint in protected:
            if not _csrf_ok():
                abort(400, description=i18n._("页面已过期，请刷新后重试"))

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("X-Frame-Options", "DENY")
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            )
        lang = request.args.get("lang")
        if lang:
            resp.set_cookie("lang", i18n.normalize(lang), max_age=365 * 86400, samesite="Lax", secure=secure)
        return resp
