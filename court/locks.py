"""Cross-process locks in Redis that a dead holder cannot keep.

A lock is taken with a short TTL and refreshed by a small thread while its holder runs, so a
worker killed with SIGKILL stops refreshing and its lock lapses within ``ttl`` seconds instead of
holding every retry back for a long fixed timeout. Release is owner-checked (redis-py's token),
so a holder whose lock lapsed never frees someone else's.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from redis.exceptions import LockError

from court import redis_conn

log = logging.getLogger(__name__)
DEFAULT_TTL = 30.0


class LockBusy(Exception):
    """Another live holder kept the lock for longer than the caller would wait."""


def document_lock_name(document_id: int) -> str:
    """The lock every signing job on one document takes (the flow sweep checks it too)."""
    return f"signing:document:{document_id}"


@contextlib.contextmanager
def hold(name: str, *, ttl: float = DEFAULT_TTL, wait: float = 60.0) -> Iterator[None]:
    """Hold ``name`` for the block, refreshing its TTL every ``ttl / 3`` seconds."""
    lock = redis_conn.client().lock(name, timeout=ttl, blocking_timeout=wait, thread_local=False)
    if not lock.acquire(blocking=True):
        raise LockBusy(name)
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(ttl / 3):
            try:
                lock.reacquire()
            except (LockError, OSError):  # lapsed or Redis gone: the database lock still guards the work
                log.warning("lost the lock %s while holding it", name)
                return
            except Exception:  # noqa: BLE001 - a refresher must never kill its holder
                log.warning("could not refresh the lock %s", name, exc_info=True)
                return

    keeper = threading.Thread(target=refresh, name=f"lock-refresh:{name}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join(timeout=5)
        with contextlib.suppress(Exception):
            lock.release()


def is_held(name: str) -> bool:
    return bool(redis_conn.client().exists(name))
