"""Checks done on every callback before its body is parsed: signature, age, size, and XML shape.

WeChat signs each callback URL with ``sha1(sorted([token, timestamp, nonce]))``; in safe mode
the body also carries ``msg_signature = sha1(sorted([token, timestamp, nonce, Encrypt]))``.
WeChat never sends a DTD, so any ``<!DOCTYPE``/``<!ENTITY`` (XXE, billion laughs) is refused
outright rather than trusted to the parser's defences.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time

_DTD = re.compile(rb"<!(?!\[CDATA\[)")


class RefusedError(Exception):
    """The callback is refused with ``status`` before any of it is acted on."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(token: str, signature: str | None, timestamp: str | None, nonce: str | None) -> None:
    if not signature or not timestamp or not nonce:
        raise RefusedError(403, "missing signature")
    if len(timestamp) > 20 or len(nonce) > 64:
        raise RefusedError(403, "bad signature parameters")
    if not hmac.compare_digest(sign(token, timestamp, nonce), signature.lower()):
        raise RefusedError(403, "bad signature")


def check_age(timestamp: str, skew: int, now: float | None = None) -> None:
    """Refuse callbacks whose signed timestamp is too far from now (replays of old captures)."""
    if skew <= 0:
        return
    try:
        age = abs((now or time.time()) - int(timestamp))
    except ValueError:
        raise RefusedError(403, "bad timestamp") from None
    if age > skew:
        raise RefusedError(403, "stale timestamp")


def check_xml_shape(body: bytes) -> None:
    if not body.strip():
        raise RefusedError(400, "empty body")
    if _DTD.search(body):
        raise RefusedError(400, "DTDs and entities are not accepted")
