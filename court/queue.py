"""The one place that talks to RQ, and the catalogue of every job.

A job is declared once, where its function lives, with everything RQ needs to know about it::

    @queue.job("signing", timeout=600, id="credential-{0}")
    def issue_credential(service_record_id: int) -> str: ...

and is enqueued through that declaration (``issue_credential.enqueue(rec.id, session=s)``), so a
call site chooses nothing but the arguments (and, where the declaration's id scheme asks for it,
a ``key``, or a ``delay``). RQ stores a job by dotted path; the declaration knows its own path, and
only this module hands paths to RQ (``tests/court/test_job_catalogue.py`` checks both).

Jobs (and domain events, :mod:`court.events`) sent inside a database transaction are held until
that transaction commits, and dropped if it rolls back, so a worker never looks for rows that do
not exist yet. Every job takes ids, loads fresh state and must be safe to run twice; failures retry
with backoff.
"""
from __future__ import annotations

import functools
import logging
import string
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar

from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from court import db, redis_conn

QUEUES = ("signing", "notify", "default")
PENDING = "court_pending_jobs"  # session.info key: what leaves after commit
SENDING = "court_sending_pending"  # set while it leaves: what a handler enqueues then goes at once
log = logging.getLogger(__name__)
_settings: dict[str, Any] = {"is_async": True, "retry_intervals": [10, 60, 300]}
_CATALOGUE: dict[str, Job[..., Any]] = {}

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


class Job(Generic[P, R]):
    """A declared job: call it to run it here (a fresh session, removed afterwards), or
    :meth:`enqueue` it to run in a worker. The declaration fixes queue, timeout, retries, result
    ttl and the job-id scheme (``str.format`` over the arguments, plus ``{key}``)."""

    def __init__(self, fn: Callable[P, R], queue_name: str, *, timeout: int, result_ttl: int,
                 id: str | None, retry: bool) -> None:
        if queue_name not in QUEUES:
            raise ValueError(f"unknown queue {queue_name!r}")
        self.fn = fn
        self.path = f"{fn.__module__}.{fn.__qualname__}"
        self.queue_name = queue_name
        self.timeout = timeout
        self.result_ttl = result_ttl
        self.id_scheme = id
        self.retry = retry
        self.needs_key = id is not None and any(f == "key" for _, f, _, _ in string.Formatter().parse(id))
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        db.session.remove()
        try:
            return self.fn(*args, **kwargs)
        finally:
            db.session.remove()

    def __repr__(self) -> str:
        return f"<job {self.path} on {self.queue_name}>"

    def job_id(self, *args: Any, key: object = None) -> str | None:
        """The RQ job id these arguments get (a second enqueue with the same id is a duplicate)."""
        if self.id_scheme is None:
            return None
        if self.needs_key and key is None:
            raise TypeError(f"{self.path}: its job id {self.id_scheme!r} needs a key")
        return self.id_scheme.format(*args, key=key)[:120]

    def enqueue(self, *args: Any, key: object = None, delay: timedelta | None = None,
                session: Session | None = None) -> str | None:
        """Run this job in a worker with ``args``; after commit when ``session`` has an open
        transaction (dropped on rollback). Returns the job id (``None``: RQ picks one)."""
        job_id = self.job_id(*args, key=key)
        after_commit(session, functools.partial(self._send, args, job_id, delay), self.path)
        return job_id

    def _send(self, args: tuple[Any, ...], job_id: str | None, delay: timedelta | None) -> None:
        q = queue(self.queue_name)
        kwargs: dict[str, Any] = {"job_id": job_id, "retry": _retry() if self.retry else None,
                                  "job_timeout": self.timeout, "result_ttl": self.result_ttl}
        if delay is not None and q.is_async:
            q.enqueue_in(delay, self.path, *args, **kwargs)
        else:
            q.enqueue(self.path, *args, **kwargs)

    def schedule_link(self, delay: timedelta, *, job_id: str, result_ttl: int) -> None:
        """One run of a self-rescheduling chain (:mod:`court.periodic`): no retries (the next
        link is the retry), kept a day when it fails so an operator can see why."""
        queue(self.queue_name).enqueue_in(delay, self.path, job_id=job_id, result_ttl=result_ttl,
                                          failure_ttl=86400, job_timeout=self.timeout)


def job(queue_name: str = "default", *, timeout: int = 600, result_ttl: int = 3600, id: str | None = None,
        retry: bool = True) -> Callable[[Callable[P, R]], Job[P, R]]:
    """Declare an RQ job (see the module docstring) and add it to the catalogue."""
    if not isinstance(queue_name, str):  # the bare ``@queue.job`` of old: say so at import time
        raise TypeError("declare a job with its queue: @queue.job(\"default\", ...)")

    def declare(fn: Callable[P, R]) -> Job[P, R]:
        declared = Job(fn, queue_name, timeout=timeout, result_ttl=result_ttl, id=id, retry=retry)
        old = _CATALOGUE.get(declared.path)
        if old is not None and old.fn.__code__.co_filename != fn.__code__.co_filename:
            raise ValueError(f"two jobs named {declared.path}")
        _CATALOGUE[declared.path] = declared  # (a reloaded module replaces its own jobs)
        return declared

    return declare


def catalogue() -> dict[str, Job[..., Any]]:
    """Every declared job by dotted path (the rooms' jobs are declared when ``create_app`` runs)."""
    return dict(_CATALOGUE)


def by_path(path: str) -> Job[..., Any]:
    """A declared job by the path a caller stored (a reply job named in queued data)."""
    try:
        return _CATALOGUE[path]
    except KeyError:
        raise LookupError(f"no job declared as {path!r}") from None


def after_commit(session: Session | None, send: Callable[[], None], label: str) -> None:
    """Call ``send`` once ``session``'s transaction commits (now, when none is open); never when
    it rolls back. Jobs and domain events leave in the order they were made; an event's handler
    runs after the commit (the session still counts as in a transaction then), so what it enqueues
    leaves at once."""
    s = session if session is not None else db.session()
    if s.in_transaction() and not s.info.get(SENDING):
        s.info.setdefault(PENDING, []).append((label, send))
    else:
        send()


@event.listens_for(Session, "after_commit")
def _flush_pending(s: Session) -> None:
    pending = s.info.pop(PENDING, None)
    if not pending:
        return
    s.info[SENDING] = True
    try:
        for label, send in pending:
            try:
                send()
            except Exception:  # the outbox sweep and flow sweep re-enqueue anything lost here
                log.exception("could not send %s after commit; the periodic sweep will pick it up", label)
    finally:
        s.info.pop(SENDING, None)


@event.listens_for(Session, "after_rollback")
def _drop_pending(s: Session) -> None:
    s.info.pop(PENDING, None)
