"""Remember every signed callback URL for as long as its timestamp is accepted.

In plain mode WeChat signs only the URL (token, timestamp, nonce), not the body, so a captured
URL could carry any body while its timestamp is fresh. Each (timestamp, nonce, signature) is
stored in Redis with a digest of the body it came with: the same URL again with the same body
is WeChat retrying (and :mod:`bot.dedupe` answers it), with another body it is a replay and is
refused. Safe mode signs the body too, but the rule is the same.

The claim rides on the Redis pipeline that :mod:`bot.dedupe` already sends for the message, so
it costs no extra round trip.
"""
from __future__ import annotations

import hashlib
from typing import Any

from bot.security import RefusedError
from court import redis_conn

NO_SKEW_TTL = 86400  # with the timestamp check off, remember nonces for a day


def window(skew: int) -> int:
    """How long a URL must be remembered: its timestamp is accepted from ``ts - skew`` to
    ``ts + skew``, so for ``2 * skew`` seconds (plus a minute of clock slack)."""
    return 2 * skew + 60 if skew > 0 else NO_SKEW_TTL


class NonceClaim:
    """Claim one signed URL for one body: :meth:`queue` on a pipeline, :meth:`check` its results."""

    COMMANDS = 1  # results :meth:`queue` adds to the pipeline

    def __init__(self, timestamp: str, nonce: str, signature: str, body: bytes, skew: int):
        self.digest = hashlib.sha256(body).digest()[:16]
        self.name = "bot:nonce:" + hashlib.sha1(f"{timestamp}\0{nonce}\0{signature.lower()}".encode()).hexdigest()
        self.ttl = window(skew)

    def queue(self, pipe: Any) -> None:
        pipe.set(self.name, self.digest, nx=True, ex=self.ttl)

    def check(self, results: list[Any]) -> None:
        """Refuse the callback when the URL was already used with a different body. Only a URL
        seen before (a retry or a replay, both rare) costs a second round trip."""
        (claimed,) = results
        if not claimed and redis_conn.client().get(self.name) != self.digest:
            raise RefusedError(403, "replayed signature (nonce already used)")
