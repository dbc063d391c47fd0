"""What the conversation receives and returns, with no trace of any chat channel.

A channel adapter (``bot/`` for WeChat) turns its wire format into an :class:`Inbound`, calls
:func:`handlers.conversation.handle`, and renders the :class:`Reply` objects it gets back. What
the conversation needs from the channel (a link to a document page, fetching a photo the user
sent) it asks through the small :class:`Channel` interface.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

# Inbound.kind values
TEXT = "text"
IMAGE = "image"
EVENT = "event"
VOICE = "voice"  # a voice message the channel could not turn into text
OTHER = "other"  # video, location, link, …: things the conversation cannot act on

# Inbound.event values
SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"
SCAN = "scan"  # a parametric QR code scanned by a follower (or a subscribe through one)
CLICK = "click"  # a menu button
VIEW = "view"  # a menu link was opened
DELIVERY = "delivery"  # a pushed notice reached (or failed to reach) the user's device
OTHER_EVENT = "other"


@dataclass(frozen=True)
class Inbound:
    """One thing the user did."""

    channel: str  # "wechat"
    user: str  # the channel's address for the user (WeChat: openid)
    kind: str  # TEXT | IMAGE | EVENT | VOICE | OTHER
    text: str = ""
    media_id: str | None = None  # IMAGE: the channel's id for the picture
    event: str | None = None  # EVENT: SUBSCRIBE | UNSUBSCRIBE | SCAN | CLICK | VIEW | DELIVERY | OTHER_EVENT
    key: str | None = None  # CLICK: the button key; SCAN/SUBSCRIBE: the QR scene; DELIVERY: status
    ref: str | None = None  # the channel's message id (DELIVERY: the id of the pushed notice)
    at: datetime | None = None
    spoken: bool = False  # TEXT: the words came from speech recognition (confirm what matters)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Reply:
    """A message for the user: text, optionally followed by labelled links."""

    text: str
    links: tuple[Link, ...] = field(default_factory=tuple)


class Channel(Protocol):
    """What the conversation asks of the channel it runs on."""

    name: str

    def document_url(self, document_id: int) -> str:
        """A link that opens the document's signing page as this user."""

    def request_face_check(self, s: Session, person_id: int, inbound: Inbound) -> None:
        """Fetch the photo in ``inbound`` (in a background job) and start a face check on it;
        the outcome reaches :func:`handlers.conversation.face_result` later."""

    def report_delivery(self, s: Session, inbound: Inbound) -> None:
        """Hand a DELIVERY report to whoever tracks the pushed notice's status."""
