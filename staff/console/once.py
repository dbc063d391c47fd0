"""Secrets shown once (association codes, API keys): post/redirect/get without a second showing.

The POST that creates a secret stores it encrypted in Redis for a few minutes under a random
token bound to the staff member, and redirects to a page that takes it out as it shows it. A
reload, the back button or a shared URL therefore never shows the secret again, and never
repeats the POST that created it.
"""
from __future__ import annotations

import json
from typing import Any

from flask import g

from court import crypto, redis_conn

TTL_SECONDS = 300


def _key(token: str) -> str:
    return f"console:once:{token}"


def stash(payload: dict[str, Any]) -> str:
    """Keep ``payload`` for the current staff member's next page; return the token for its URL."""
    token = crypto.random_token(18)
    blob = crypto.encrypt(json.dumps({"staff": g.staff.id, **payload}, ensure_ascii=False))
    redis_conn.client().set(_key(token), blob, ex=TTL_SECONDS)
    return token


def take(token: str) -> dict[str, Any] | None:
    """The payload, once, and only for the staff member who stashed it."""
    blob = redis_conn.client().getdel(_key(token[:64]))
    if not blob:
        return None
    payload: dict[str, Any] = json.loads(crypto.decrypt(blob))
    return payload if payload.pop("staff", None) == g.staff.id else None
