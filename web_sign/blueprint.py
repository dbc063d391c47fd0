"""The party blueprint (``/m``) and what every party page shares.

The pages join it from one module per act of the party: ``identity_step`` (SMS code, face),
``identity_routes`` (the other ways to prove who she is), ``consent_page``, ``home`` (her list,
leaving), ``documents`` (reading), ``sign`` (signing, refusing, progress), ``receipt`` and
``handoff`` (desktop to phone). A page parses the request, asks ``court/services`` and renders or
redirects; who may see what is ``web_sign.access`` (its ``@party_page`` gate).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from court.i18n import _
from web_sign import access

bp = Blueprint("party", __name__, url_prefix="/m", template_folder="templates",
               static_folder="static", static_url_path="/static")

# Party-facing words for a step's state (kinds, roles and actions come from court.display via the
# app-wide ``label`` filter); source strings, translated per request by the templates.
STEP_LABELS = {"waiting": _("等待中"), "ready": _("待签"), "running": _("处理中"), "done": _("已签"), "refused": _("拒签"),
               "failed": _("失败")}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"STEP_LABELS": STEP_LABELS, "m_auth": access.auth()}


@bp.after_request
def _private(resp: Response) -> Response:
    """Party pages hold personal documents: never cached, never sent on as a referrer."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp
