"""Operations: request ids, ``/metrics`` for Prometheus, and what ``/healthz`` adds for a cluster.

``/metrics`` answers with a bearer ``METRICS_TOKEN`` when one is set, else only to loopback
callers (a Prometheus on the same host or through an SSH tunnel); it shows counts, never people.
"""
from __future__ import annotations

import hmac
import re
import uuid
from datetime import timedelta
from typing import Any

from flask import Flask, Response, abort, g, request
from sqlalchemy import func, select

from court import db, logs, redis_conn, storage
from court.services import flow_sweep

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def init_app(app: Flask) -> None:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    from court.metrics import CourtCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(CourtCollector())

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        logs.request_id.set(g.request_id)

    @app.after_request
    def _echo_request_id(resp: Response) -> Response:
        if rid := g.get("request_id"):
            resp.headers["X-Request-ID"] = rid
        return resp

    @app.get("/metrics")
    def metrics():  # type: ignore[no-untyped-def]
        token = app.extensions["court_config"].web.metrics_token
        if token:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                abort(401)
        elif request.remote_addr not in ("127.0.0.1", "::1"):
            abort(403)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def health_details() -> tuple[bool, dict[str, Any]]:
    """(healthy, details): storage must be writable; the rest is reported for the operator."""
    from rq import Worker

    from court.models import Notification, NotificationStatus

    out: dict[str, Any] = {}
    ok = True
    try:
        storage.store().check_writable()
        out["storage"] = "ok"
    except Exception as exc:
        out["storage"] = f"error: {type(exc).__name__}"
        ok = False
    try:
        out["workers"] = Worker.count(connection=redis_conn.client())
        out["flow_sweep_last_run"] = flow_sweep.last_run()
    except Exception as exc:
        out["workers"] = f"error: {type(exc).__name__}"
    try:
        oldest = db.session().scalar(select(func.min(Notification.created_at)).where(
            Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.SENDING))))
        age: timedelta | None = (db.utcnow() - _aware(oldest)) if oldest else None
        out["oldest_unsent_notification_seconds"] = int(age.total_seconds()) if age else None
    except Exception as exc:
        out["oldest_unsent_notification_seconds"] = f"error: {type(exc).__name__}"
    return ok, out


def _aware(value: Any) -> Any:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
