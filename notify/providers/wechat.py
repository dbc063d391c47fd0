"""WeChat template messages to parties bound to the official account.

Each message kind is sent with the template configured for it (``WECHAT_TEMPLATE_IDS``: the
template id and the field key of each slot, see :mod:`wechat.templates`); every value is fitted
to its field's type and checked against WeChat's rules (:mod:`wechat.rules`) before
sending; ``wechat.settings`` refuses at start-up a template that cannot carry its kind.

What WeChat's errcodes mean here:

========================  ===================================================================
40001, 40014, 42001       token invalid or expired: the client refreshes it once and retries
                          (:mod:`wechat.client`); still refused → retried later
-1, 45047                 system busy / too many calls: retried later with the usual backoff
45009                     the account's daily quota is used up: retried after the quota resets
                          (midnight, Beijing time); documents meanwhile escalate to SMS
43004, 45015, 47003,      this message cannot reach the party on WeChat (not following, out of
40037, 48001…             the window, refused value, template gone): failed, and SMS instead
40003                     the openid is not this account's: failed, SMS instead, and staff are
                          told to check (and probably remove) the WeChat binding
========================  ===================================================================

The WeChat API client, with the account's one access token cached in Redis, is
:func:`wechat.client.get_client`, in the room below both ``bot/`` and ``notify/``; this module gets
it through :func:`client`, which tests may point elsewhere. Delivery is reported later by WeChat's
``TEMPLATESENDJOBFINISH`` event, which the bot hands to ``notify.jobs.wechat_template_finished``.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from court.chinatime import CHINA
from notify import notice_page
from notify.providers.base import Outgoing, SendResult, failure
from wechat import rules as wechat_rules
from wechat import settings as wechat_settings
from wechat.templates import TemplateSpec, template_specs

log = logging.getLogger(__name__)
RETRYABLE = {-1, 40001, 40014, 42001, 45009, 45047}
DAILY_LIMIT = 45009
BAD_OPENID = 40003
QUOTA_RESET_MARGIN = 300  # seconds after midnight before trying again

_factory: Callable[[], Any] | None = None


def set_client_factory(factory: Callable[[], Any] | None) -> None:
    """Use ``factory`` to get the wechatpy client (tests, or a deployment without ``bot/``)."""
    global _factory
    _factory = factory


def client() -> Any:
    """The wechatpy ``WeChatClient`` to send with."""
    if _factory is not None:
        return _factory()
    from wechat.client import get_client

    return get_client()


def seconds_to_quota_reset(now: datetime | None = None) -> int:
    """WeChat's daily quotas reset at midnight Beijing time."""
    now = (now or datetime.now(CHINA)).astimezone(CHINA)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return math.ceil((midnight - now).total_seconds()) + QUOTA_RESET_MARGIN


def _refused(m: Outgoing, errcode: int | None, errmsg: str) -> SendResult:
    """What an errcode means for this message: retry, retry tomorrow, or another channel."""
    error = f"{errcode}: {errmsg}"
    if errcode == DAILY_LIMIT:
        return failure(m, error, retryable=True, retry_after=seconds_to_quota_reset())
    if errcode in RETRYABLE:
        return failure(m, error, retryable=True)
    return failure(m, error, retryable=False, fallback="sms+flag" if errcode == BAD_OPENID else "sms")


class WeChatTemplateMessages:
    name = "wechat"

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    @property
    def specs(self) -> dict[str, TemplateSpec]:
        """The account's templates (the ``wechat`` room's settings, read at send time)."""
        return template_specs(wechat_settings.current())

    def payload(self, m: Outgoing) -> tuple[TemplateSpec, dict[str, dict[str, str]]] | str:
        """The template and checked data for ``m``, or why it cannot be sent."""
        spec = self.specs.get(m.template)
        if spec is None or not spec.template_id:
            return f"未配置微信模板ID（WECHAT_TEMPLATE_IDS.{m.template}）"
        values = m.extra.get("wechat_data")
        if not isinstance(values, dict):
            return f"no WeChat data for {m.template}"
        data = spec.data(values)
        for key, item in data.items():
            reason = wechat_rules.problem(key, item["value"])
            if reason is not None:
                return f"{wechat_rules.ERR_ARGUMENT_INVALID}: data.{key} {reason} ({item['value']!r})"
        return spec, data

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        from wechatpy.exceptions import WeChatClientException

        results: list[SendResult] = []
        try:
            api = client()
        except Exception as exc:
            return [failure(m, f"WeChat client unavailable: {exc}", retryable=True) for m in batch]
        for m in batch:
            ready = self.payload(m)
            if isinstance(ready, str):
                results.append(failure(m, ready, retryable=False, fallback="sms"))
                continue
            spec, data = ready
            try:
                url = m.url or notice_page.url(m.notification_id)  # the whole text, if cut
                resp = api.message.send_template(m.address, spec.template_id, data, url=url)
            except WeChatClientException as exc:
                results.append(_refused(m, exc.errcode, str(exc.errmsg)))
                continue
            except Exception as exc:  # network trouble
                results.append(failure(m, f"{type(exc).__name__}: {exc}", retryable=True))
                continue
            results.append(SendResult(m.notification_id, ok=True, provider_id=str(resp.get("msgid"))))
        return results

    def already_sent(self, notification_ids: list[int]) -> dict[int, str] | None:
        return None
