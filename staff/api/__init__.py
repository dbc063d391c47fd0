"""The staff REST API blueprint (``/api/v1``)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff_api", __name__, url_prefix="/api/v1")
