"""The start every bench shares: a court app on a fresh instance folder, migrated, and a court.

Settings come from the environment (``DATABASE_URL``/``REDIS_URL`` point a bench at real servers;
unset, the embedded defaults in the new folder are used), or, for the benches that time one
process alone, an embedded test configuration (:func:`embedded_app`).
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from court.models import Court


def env_app(prefix: str = "court-bench-", secret: str = "bench-secret", **env: str) -> Flask:
    """The app as ``flask run`` would make it, from the environment (``env`` set first), migrated."""
    os.environ.setdefault("INSTANCE_PATH", str(Path(tempfile.mkdtemp(prefix=prefix))))
    os.environ.setdefault("SECRET_KEY", secret)
    os.environ.update(env)
    from app import create_app

    return _migrated(create_app())


def embedded_app(prefix: str) -> Flask:
    """The app on an embedded SQLite and Redis in a new folder, whatever the environment says."""
    from app import create_app
    from config import Config
    from court import redis_conn

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    cfg = Config(ENV="testing", TESTING=True, INSTANCE_PATH=str(tmp), SECRET_KEY="bench",
                 DATABASE_URL=f"sqlite:///{tmp / 'court.db'}", REDIS_URL=redis_conn.embedded_url(str(tmp / "redis")),
                 STORAGE_DIR=str(tmp / "files"), PUBLIC_BASE_URL="http://court.test", JOB_RETRY_INTERVALS=[])
    return _migrated(create_app(cfg))


def _migrated(app: Flask) -> Flask:
    from court import migrate

    with app.app_context():
        migrate.upgrade(app.extensions["court_config"].court.database_url)
    return app


def new_court(s: Session) -> Court:
    """A court with a code no earlier run on the same database used, whose seal needs no approval
    step (the benches time sealing and serving, not a seal keeper's approval)."""
    from court.services import flow_seal
    from court.services import staff as staff_service

    court = staff_service.create_court(s, "北京互联网法院", f"B{int(time.time()) % 100000}")
    flow_seal.set_approval_kinds(s, court, [], actor="bench")
    return court
