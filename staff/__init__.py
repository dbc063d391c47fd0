"""Court staff: the REST API under ``/api/v1`` (OpenAPI documented) and, later, the console."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    from court import room_settings
    from staff import settings
    from staff.api import _http_error, bp
    from staff.console import bp as console_bp

    settings.bind(room_settings.of(app, "staff"))

    app.register_blueprint(bp)
    app.register_blueprint(console_bp)
    app.extensions.setdefault("csrf_blueprints", set()).add(console_bp.name)

    def api_errors_as_json(exc: HTTPException):  # type: ignore[no-untyped-def]
        """Unrouted /api/ paths never reach the blueprint; answer them in JSON too."""
        if request.path.startswith(bp.url_prefix or "/api/"):
            return _http_error(exc)
        return exc

    for code in (404, 405):
        app.register_error_handler(code, api_errors_as_json)
