"""The 48-hour customer-message window, and delivering later replies when it has closed.

WeChat accepts a customer-service message only within 48 hours of the user's last message or
event (errcode 45015 after that). Each callback that counts (:func:`notify.wechat_rules.
counts_as_interaction`) records its time in the shared Redis, so every web server and worker
sees the same answer. A reply that may come later — a face-check result from a slow queue, a
receipt confirmation, a reminder — goes as a customer message while the window is open and
otherwise as a template message through the outbox (which falls back to SMS when WeChat
cannot reach the person), so it is in the notification trace either way.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from bot import client, convert
from court import db, redis_conn
from court.models import Notification
from court.services import outbox
from handlers.types import Reply
from notify import wechat_rules

log = logging.getLogger(__name__)
KEY = "wechat:last-interaction:{openid}"
# the customer message cannot reach the user now; a template message (or SMS) may
OUT_OF_REACH = {wechat_rules.ERR_OUT_OF_WINDOW, 43004, 40003, 48001}


def touch(openid: str, msg_type: str, event: str | None = None, at: float | None = None) -> None:
    """Record that the user just acted (if this kind of callback counts)."""
    if not wechat_rules.counts_as_interaction(msg_type, event):
        return
    when = min(at or time.time(), time.time())
    try:
        redis_conn.client().set(KEY.format(openid=openid), f"{when:.0f}",
                                ex=wechat_rules.CUSTOMER_WINDOW_SECONDS + 3600)
    except RedisError:  # the reply still goes out; a later message falls back to a template
        log.warning("could not record the WeChat interaction time", exc_info=True)


def last_interaction(openid: str) -> float | None:
    raw = redis_conn.client().get(KEY.format(openid=openid))
    return float(raw) if raw else None


def is_open(openid: str, now: float | None = None) -> bool:
    last = last_interaction(openid)
    return last is not None and (now or time.time()) - last < wechat_rules.CUSTOMER_WINDOW_SECONDS


@dataclass(frozen=True)
class Fallback:
    """The template message that says the same in the main fields, should the window be shut."""

    template: str
    dedupe_key: str
    params: dict[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    party_id: int | None = None
    case_id: int | None = None
    document_id: int | None = None


def deliver(openid: str, replies: Sequence[Reply], fallback: Fallback) -> str:
    """Send ``replies`` as customer messages if WeChat will take them, else queue ``fallback``.
    Returns ``"customer"`` or ``"template"``."""
    if is_open(openid):
        try:
            for reply in replies:
                client.send_text(openid, convert.text_of(reply))
            return "customer"
        except WeChatClientException as exc:
            if exc.errcode not in OUT_OF_REACH:
                raise
    with db.transaction() as s:
        if s.scalar(select(Notification.id).where(Notification.dedupe_key == fallback.dedupe_key[:100])) is not None:
            return "template"  # a job run twice
        outbox.add(s, channel="wechat", address=openid, template=fallback.template, params=fallback.params,
                   person_id=fallback.person_id, party_id=fallback.party_id, case_id=fallback.case_id,
                   document_id=fallback.document_id, dedupe_key=fallback.dedupe_key[:100])
    return "template"
