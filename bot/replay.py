"""Remember every signed callback URL for as long as its timestamp is accepted.

In plain mode WeChat signs only the URL (token, timestamp, nonce), not the body, so a captured
URL could carry any body while its timestamp is fresh. Each (timestamp, nonce, signature) is
stored in Redis with a digest of the body it came with: the same URL again with the same body
is WeChat retrying (and :mod:`bot.dedupe` answers it), with another body it is a replay and is
refused. Safe mode signs the body too, but the check is the same and costs one round trip.
"""
from __future__ import annotations

import hashlib

from bot.security import RefusedError
from court import redis_conn

NO_SKEW_TTL = 86400  # with the timestamp check off, remember nonces for a day


def window(skew: int) -> int:
    """How long a URL must be remembered: its timestamp is accepted from ``ts - skew`` to
    ``ts + skew``, so for ``2 * skew`` seconds (plus a minute of clock slack)."""
    return 2 * skew + 60 if skew > 0 else NO_SKEW_TTL


def check_unused(timestamp: str, nonce: str, signature: str, body: bytes, skew: int) -> None:
    """Claim the URL for ``body``; refuse it if it was already used with a different body."""
    digest = hashlib.sha256(body).digest()[:16]
    name = "bot:nonce:" + hashlib.sha1(f"{timestamp}\0{nonce}\0{signature.lower()}".encode()).hexdigest()
    pipe = redis_conn.client().pipeline(transaction=False)
    pipe.set(name, digest, nx=True, ex=window(skew))
    pipe.get(name)
    claimed, stored = pipe.execute()
    if not claimed and stored != digest:
        raise RefusedError(403, "replayed signature (nonce already used)")
