"""Exactly one effect per WeChat message, across processes, in Redis.

WeChat retries a callback three times if it gets no answer within 5 seconds, and may deliver
the same message to two workers at once. The first delivery claims the message id with
``SET NX``; when it finishes it stores the reply it gave, and any retry (concurrent or later)
answers with that same reply instead of acting again. If the first delivery failed, its claim
is released so a retry can do the work.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from court import redis_conn

PENDING_TTL = 30  # a claim whose owner died frees itself after this long
DONE_TTL = 600  # WeChat's retries come within ~15 s; keep the answer well beyond that
WAIT = 4.0  # a retry waits this long for the first delivery's answer (WeChat gives up at 5 s)
_DONE = b"1"
_PENDING = b"0"


def once(key: str, work: Callable[[list[Any]], str], *, prefetch: Callable[[Any], None] | None = None,
         wait: float = WAIT) -> str | None:
    """Run ``work`` for the first delivery of ``key`` and return its reply; for a duplicate,
    return the first delivery's reply (waiting up to ``wait`` s), or None if it is still busy.

    ``prefetch`` may queue reads on the Redis pipeline that carries the claim; their results
    are handed to ``work``, saving the first delivery a round trip."""
    r = redis_conn.client()
    name = f"bot:msg:{key}"
    deadline = time.monotonic() + wait
    while True:
        pipe = r.pipeline(transaction=False)
        pipe.set(name, _PENDING, nx=True, ex=PENDING_TTL)
        if prefetch is not None:
            prefetch(pipe)
        claimed, *fetched = pipe.execute()
        if claimed:
            try:
                reply = work(fetched)
            except BaseException:
                r.delete(name)
                raise
            r.set(name, _DONE + reply.encode(), ex=DONE_TTL)
            return reply
        value = r.get(name)
        if value is not None and value[:1] == _DONE:
            return value[1:].decode()
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)
