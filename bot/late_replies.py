"""Delivering later replies whether or not the 48-hour customer-message window is still open.

Whether it is open is :mod:`wechat.window`'s answer (shared by every process through Redis). A
reply that may come later — a face-check result from a slow queue, a receipt confirmation, a
reminder — goes as a customer message while the window is open and
otherwise as a template message through the outbox (which falls back to SMS when WeChat
cannot reach the person), so it is in the notification trace either way.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from bot import convert
from court import db
from court.models import Notification
from court.services import outbox
from handlers.types import Reply
from wechat import client, rules
from wechat.window import is_open

log = logging.getLogger(__name__)
# the customer message cannot reach the user now; a template message (or SMS) may
OUT_OF_REACH = {rules.ERR_OUT_OF_WINDOW, 43004, 40003, 48001}


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
