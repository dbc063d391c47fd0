"""A form kept between its preview and its confirmation, so a confirmed action runs once.

The POST that previews stores the form (encrypted, bound to the staff member) under a random
token and redirects to the preview page (post/redirect/get). The confirming POST *claims* the
token first (Redis ``SET NX``): a double click, a second tab or a resent request finds it
claimed and is sent to what the first one made, never making it again.
"""
from __future__ import annotations

import json
import time
from typing import Any

from flask import g

from court import crypto, redis_conn

TTL_SECONDS = 1800  # a clerk may read the preview for a while before confirming
WAIT_SECONDS = 10.0  # how long a second confirmation waits for the first to finish


def _key(kind: str, token: str) -> str:
    return f"console:draft:{kind}:{token[:64]}"


def keep(payload: dict[str, Any]) -> str:
    token = crypto.random_token(18)
    blob = crypto.encrypt(json.dumps({"staff": g.staff.id, **payload}, ensure_ascii=False))
    redis_conn.client().set(_key("form", token), blob, ex=TTL_SECONDS)
    return token


def read(token: str) -> dict[str, Any] | None:
    """The kept form (still kept), for the staff member who kept it only."""
    blob = redis_conn.client().get(_key("form", token))
    if not blob:
        return None
    payload: dict[str, Any] = json.loads(crypto.decrypt(blob))
    return payload if payload.pop("staff", None) == g.staff.id else None


def claim(token: str) -> bool:
    """True for the first confirmation of ``token`` only."""
    return bool(redis_conn.client().set(_key("claim", token), str(g.staff.id), nx=True, ex=TTL_SECONDS))


def release(token: str) -> None:
    """The confirmation failed (nothing was made): let the clerk correct and confirm again."""
    redis_conn.client().delete(_key("claim", token))


def done(token: str, result: str) -> None:
    """Record what the confirmation made, and drop the form."""
    r = redis_conn.client()
    r.set(_key("done", token), result, ex=TTL_SECONDS)
    r.delete(_key("form", token))


def result(token: str, *, wait: float = WAIT_SECONDS) -> str | None:
    """What the first confirmation made, waiting a little while it is still being made."""
    r = redis_conn.client()
    deadline = time.monotonic() + wait
    while True:
        value = r.get(_key("done", token))
        if value is not None:
            return value.decode() if isinstance(value, bytes) else str(value)
        if time.monotonic() >= deadline or r.get(_key("claim", token)) is None:
            return None
        time.sleep(0.1)
