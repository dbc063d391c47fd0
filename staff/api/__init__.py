"""The staff REST API (``/api/v1``): JSON in and out, API-key auth, OpenAPI at ``/api/v1/openapi.json``.

Every error is JSON ``{"error": {"code", "message", "details"}}`` with a 4xx status; the
message follows the request's language (Chinese by default, ``?lang=en`` or Accept-Language).
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from court import db
from court.errors import DomainError
from court.i18n import _

bp = Blueprint("staff_api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)


def error(code: str, message: str, status: int, details: list[object] | None = None):  # type: ignore[no-untyped-def]
    return jsonify(error={"code": code, "message": message, "details": details or []}), status


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):  # type: ignore[no-untyped-def]
    db.session.rollback()
    return error(exc.code, exc.localized(), exc.status)


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):  # type: ignore[no-untyped-def]
    db.session.rollback()
    details = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
    return error("validation_error", _("请求数据不正确"), 422, details)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
    db.session.rollback()
    messages = {404: "接口不存在", 405: "不支持该请求方法", 413: "文件过大", 400: "请求格式不正确"}
    return error(exc.name.lower().replace(" ", "_"), _(messages.get(exc.code or 400, "请求有误")), exc.code or 400)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
    db.session.rollback()
    log.exception("unexpected error in staff API")
    return error("internal_error", _("服务器内部错误，请稍后重试"), 500)


from staff.api import (  # noqa: E402,F401
    agents,
    audit,
    cases,
    consent,
    docs,
    documents,
    flows,
    members,
    notices,
    other_service,
    seals,
    templates,
    webhooks,
    worklist,
)
