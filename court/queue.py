"""The one place that talks to RQ. Services enqueue work here by dotted path, never by
importing a channel, so ``court/`` stays below every other folder.

Jobs enqueued inside a database transaction are held until that transaction commits (and
dropped if it rolls back), so a worker never looks for rows that do not exist yet. Every job
takes ids, loads fresh state and must be safe to run twice; failures retry with backoff.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from court import db, redis_conn

QUEUES = ("signing", "notify", "default")
log = logging.getLogger(__name__)
_settings: dict[str, Any] = {"is_async": True, "retry_intervals": [10, 60, 300]}

P = ParamSpec("P")
R = TypeVar("R")


def configure(*, is_async: bool = True, retry_intervals: list[int] | None = None) -> None:
    _settings["is_async"] = is_async
    if retry_intervals is not None:
        _settings["retry_intervals"] = retry_intervals


def queue(name: str = "default") -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_conn.client(), is_async=_settings["is_async"])


def _retry() -> Retry | None:
    intervals = _settings["retry_intervals"]
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def _enqueue_now(func: str, args: tuple[Any, ...], name: str, job_id: str | None, delay: timedelta | None) -> None:
    q = queue(name)
    kwargs: dict[str, Any] = {"job_id": job_id, "retry": _retry(), "job_timeout": 600, "result_ttl": 3600}
    if delay is not None and q.is_async:
        q.enqueue_in(delay, func, *args, **kwargs)
    else:
        q.enqueue(func, *args, **kwargs)


def enqueue(
    func: str,
    *args: Any,
    queue_name: str = "default",
    job_id: str | None = None,
    delay: timedelta | None = None,
    session: Session | None = None,
) -> None:
    """Run ``func`` (``"package.module.function"``) in a worker with ``args``.

    When ``session`` has an open transaction the job is sent after it commits.
    """
    s = session if session is not None else db.session()
    if s.in_transaction():
        s.info.setdefault("court_pending_jobs", []).append((func, args, queue_name, job_id, delay))
    else:
        _enqueue_now(func, args, queue_name, job_id, delay)


@event.listens_for(Session, "after_commit")
def _flush_jobs(s: Session) -> None:
    pending = s.info.pop("court_pending_jobs", [])
    for func, args, name, job_id, delay in pending:
        try:
            _enqueue_now(func, args, name, job_id, delay)
        except Exception:  # the outbox sweep and flow sweep re-enqueue anything lost here
            log.exception("could not enqueue %s; the periodic sweep will pick it up", func)


@event.listens_for(Session, "after_rollback")
def _drop_jobs(s: Session) -> None:
    s.info.pop("court_pending_jobs", None)


def job(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator for RQ job functions: a fresh session per run, removed afterwards."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        db.session.remove()
        try:
            return fn(*args, **kwargs)
        finally:
            db.session.remove()

    return run
