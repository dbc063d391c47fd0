"""Court staff: the REST API under ``/api/v1`` (OpenAPI documented) and, later, the console."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    from staff.api import _http_error, bp

    app.register_blueprint(bp)

    def api_errors_as_json(exc: HTTPException):  # type: ignore[no-untyped-def]
        """Unrouted /api/ paths never reach the blueprint; answer them in JSON too."""
        if request.path.startswith(bp.url_prefix or "/api/"):
            return _http_error(exc)
        return exc

    for code in (404, 405):
        app.register_error_handler(code, api_errors_as_json)
