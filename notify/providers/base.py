"""The provider interface every channel implements.

The dispatcher hands a provider a batch of :class:`Outgoing` messages (already rendered) and
gets one :class:`SendResult` per message back, in any order. A provider never raises for a
problem with one message; it reports it, saying whether trying again later may help (rate
limits, timeouts) or not (a bad number, a rejected template).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Outgoing:
    notification_id: int
    address: str
    template: str
    params: dict[str, str]  # the provider template's named variables
    text: str  # the whole message as the recipient sees it
    subject: str | None = None
    url: str | None = None  # WeChat template messages open this page
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class SendResult:
    notification_id: int
    ok: bool
    provider_id: str | None = None
    error: str | None = None
    retryable: bool = False
    delivered: bool = False  # the channel itself confirms the message reached the recipient's system
    retry_after: int | None = None  # seconds: the provider said when trying again makes sense
    fallback: str | None = None  # this channel cannot reach the recipient: "sms", or "sms+flag" (bad address)


class Provider(Protocol):
    """A way to send on one channel (``sms``, ``wechat``, ``email``, ``console``)."""

    name: str

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        """Hand every message to the provider; one result per message."""

    def already_sent(self, notification_ids: list[int]) -> dict[int, str] | None:
        """For rows left in "sending" by a crash: which of them the provider already accepted
        (notification id -> provider id). ``None`` means the provider cannot tell."""


class ProviderConfigError(RuntimeError):
    """The provider is misconfigured (missing key, unknown name); raised at start-up."""


def failure(n: Outgoing, error: str, *, retryable: bool, retry_after: int | None = None,
            fallback: str | None = None) -> SendResult:
    return SendResult(n.notification_id, ok=False, error=error[:1000], retryable=retryable, retry_after=retry_after,
                      fallback=fallback)
