"""Database wiring: one engine per process, a scoped session, and the declarative base.

``court/`` knows no Flask: the web app and the RQ worker both call :func:`init` with the
configured URL and use :data:`session`. On SQLite every transaction starts with ``BEGIN
IMMEDIATE`` so two writers never interleave (the audit chain relies on it); on PostgreSQL
the audit log takes an advisory lock instead.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, DateTime, Engine, MetaData, Result, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use court.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


SessionFactory = sessionmaker(expire_on_commit=False)
session: scoped_session[Session] = scoped_session(SessionFactory)
_engine: Engine | None = None


def _sqlite_immediate(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class _HideRowValues(logging.Filter):
    """SQL logged at DEBUG shows result rows, which hold names and phone numbers: hide them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Row "):
            record.msg, record.args = "Row [values hidden]", ()
        return True


logging.getLogger("sqlalchemy.engine.Engine").addFilter(_HideRowValues())


def make_engine(url: str) -> Engine:
    """``hide_parameters``: SQL logging and error messages never show bound values (phone
    numbers, codes), whatever the log level."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)
        _sqlite_immediate(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    return engine


def init(url: str) -> Engine:
    """Bind the session to ``url`` (idempotent for the same URL)."""
    global _engine
    if _engine is not None and str(_engine.url) == str(make_url_safe(url)):
        return _engine
    if _engine is not None:
        session.remove()
        _engine.dispose()
    _engine = make_engine(url)
    SessionFactory.configure(bind=_engine)
    return _engine


def make_url_safe(url: str) -> object:
    from sqlalchemy.engine import make_url

    return make_url(url)


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("court.db.init() has not been called")
    return _engine


def is_postgres() -> bool:
    return engine().dialect.name == "postgresql"


@contextmanager
def transaction() -> Iterator[Session]:
    """Commit on success, roll back on any error; for jobs and CLI commands."""
    s = session()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (an ORM session returns its cursor result)."""
    return result.rowcount if isinstance(result, CursorResult) else 0
