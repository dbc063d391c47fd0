"""The staff console (``/console``): server-rendered pages over the same services as the API."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="../templates")

from staff.console import (  # noqa: E402,F401
    agents,
    auth,
    cases,
    consent,
    dashboard,
    documents,
    identity,
    members,
    notices,
    seals,
    templates,
    webhooks,
    worklist,
)
