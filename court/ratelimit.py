"""Fixed-window rate limits in Redis, shared by every process (codes, logins, SMS, face checks)."""
from __future__ import annotations

from dataclasses import dataclass

from court import redis_conn
from court.errors import RateLimited


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def hit(scope: str, subject: str, *limits: Limit, message: str = "操作过于频繁，请稍后再试") -> None:
    """Count one attempt; raise :class:`RateLimited` when any window is already full.

    ``subject`` should already be a hash or an id, never a phone or ID number in clear.
    """
    r = redis_conn.client()
    pipe = r.pipeline()
    keys = [f"rl:{scope}:{subject}:{lim.seconds}" for lim in limits]
    for key, lim in zip(keys, limits, strict=False):
        pipe.incr(key)
        pipe.expire(key, lim.seconds, nx=True)
    counts = pipe.execute()[::2]
    for count, lim in zip(counts, limits, strict=False):
        if int(count) > lim.count:
            raise RateLimited(message, retry_after=lim.seconds)


def remaining(scope: str, subject: str, limit: Limit) -> int:
    raw = redis_conn.client().get(f"rl:{scope}:{subject}:{limit.seconds}")
    return max(0, limit.count - int(raw or 0))


def reset(scope: str, subject: str, *limits: Limit) -> None:
    redis_conn.client().delete(*[f"rl:{scope}:{subject}:{lim.seconds}" for lim in limits])
