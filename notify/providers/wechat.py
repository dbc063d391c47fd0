"""WeChat template messages to parties bound to the official account.

The WeChat API client belongs to ``bot/`` (it caches the access token in Redis); this module
gets it through :func:`client`, the one place to point at ``bot.client.get_client()`` (the
documented exception to the import rule). Delivery is reported later by WeChat's
``TEMPLATESENDJOBFINISH`` event, which the bot hands to ``notify.jobs.wechat_template_finished``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from notify.providers.base import Outgoing, SendResult, failure

log = logging.getLogger(__name__)
# errcodes worth retrying: system busy, rate limits, expired/invalid access token (refreshed on retry)
RETRYABLE = {-1, 40001, 40014, 42001, 45009, 45047}

_factory: Callable[[], Any] | None = None


def set_client_factory(factory: Callable[[], Any] | None) -> None:
    """Use ``factory`` to get the wechatpy client (tests, or a deployment without ``bot/``)."""
    global _factory
    _factory = factory


def client() -> Any:
    """The wechatpy ``WeChatClient`` to send with."""
    if _factory is not None:
        return _factory()
    from bot.client import get_client  # type: ignore[import-not-found]  # the documented exception

    return get_client()


class WeChatTemplateMessages:
    name = "wechat"

    def __init__(self, cfg: Any) -> None:
        self.template_ids: dict[str, str] = dict(cfg.WECHAT_TEMPLATE_IDS)

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        from wechatpy.exceptions import WeChatClientException

        results: list[SendResult] = []
        try:
            api = client()
        except Exception as exc:
            return [failure(m, f"WeChat client unavailable: {exc}", retryable=True) for m in batch]
        for m in batch:
            template_id = self.template_ids.get(m.template)
            if not template_id:
                results.append(failure(m, f"未配置微信模板ID（WECHAT_TEMPLATE_IDS.{m.template}）", retryable=False))
                continue
            try:
                resp = api.message.send_template(m.address, template_id, m.extra.get("wechat_data"), url=m.url)
            except WeChatClientException as exc:
                results.append(failure(m, f"{exc.errcode}: {exc.errmsg}", retryable=exc.errcode in RETRYABLE))
                continue
            except Exception as exc:  # network trouble
                results.append(failure(m, f"{type(exc).__name__}: {exc}", retryable=True))
                continue
            results.append(SendResult(m.notification_id, ok=True, provider_id=str(resp.get("msgid"))))
        return results

    def already_sent(self, notification_ids: list[int]) -> dict[int, str] | None:
        return None
