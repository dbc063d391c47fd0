"""The staff console (``/console``): server-rendered pages over the same services as the API."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="../templates")

from staff.console import auth, cases, consent, documents, notices  # noqa: E402,F401
