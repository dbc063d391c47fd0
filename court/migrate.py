"""Run the Alembic migrations from code (``flask court migrate`` / ``init``, tests).

Several hosts may run the release step at once, so migrations run under one lock per database:
a PostgreSQL advisory lock (held on its own connection for the whole run), or on SQLite an
exclusive file lock beside the database file. The second host waits, then finds nothing to do.
"""
from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
RELEASE_LOCK_KEY = 0x436F757274  # "Court": the advisory lock id of the release step


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@contextmanager
def release_lock(url: str) -> Iterator[None]:
    """Hold the database's release lock: one host migrates and seeds at a time."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": RELEASE_LOCK_KEY})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RELEASE_LOCK_KEY})
                    conn.commit()
        finally:
            engine.dispose()
        return
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".release.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def upgrade_locked(url: str, revision: str = "head") -> None:
    with release_lock(url):
        upgrade(url, revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
