"""The 48-hour customer-message window, as every process sees it.

WeChat accepts a customer-service message only within 48 hours of the user's last message or
event (errcode 45015 after that). Each callback that counts (:func:`wechat.rules.
counts_as_interaction`) records its time in the shared Redis, so every web server and worker —
the bot answering, a job pushing a late result — gets the same answer from :func:`is_open`.
"""
from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from court import redis_conn
from wechat import rules

log = logging.getLogger(__name__)
KEY = "wechat:last-interaction:{openid}"


def touch(openid: str, msg_type: str, event: str | None = None, at: float | None = None) -> None:
    """Record that the user just acted (if this kind of callback counts)."""
    if not rules.counts_as_interaction(msg_type, event):
        return
    when = min(at or time.time(), time.time())
    try:
        redis_conn.client().set(KEY.format(openid=openid), f"{when:.0f}",
                                ex=rules.CUSTOMER_WINDOW_SECONDS + 3600)
    except RedisError:  # the reply still goes out; a later message falls back to a template
        log.warning("could not record the WeChat interaction time", exc_info=True)


def last_interaction(openid: str) -> float | None:
    raw = redis_conn.client().get(KEY.format(openid=openid))
    return float(raw) if raw else None


def is_open(openid: str, now: float | None = None) -> bool:
    last = last_interaction(openid)
    return last is not None and (now or time.time()) - last < rules.CUSTOMER_WINDOW_SECONDS
