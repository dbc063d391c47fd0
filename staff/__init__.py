"""Court staff: the REST API under ``/api/v1`` (OpenAPI documented) and, later, the console."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from staff.api import bp

    app.register_blueprint(bp)
