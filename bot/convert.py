"""wechatpy messages ⇄ the conversation's neutral :class:`Inbound` / :class:`Reply`.

Parsing is wechatpy's (``parse_message``); anything it cannot make sense of, or a message whose
fields are malformed, raises :class:`BadMessageError` so the webhook answers 400. A voice message
carrying WeChat's speech recognition (``Recognition``) is the text it says, marked ``spoken`` so
the conversation can confirm a name or ID number; one without it is a VOICE the conversation
answers by asking the user to type. Replies become
WeChat text: links are written as ``<a href>`` anchors, which WeChat shows as tappable text.
"""
from __future__ import annotations

import re
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply

from handlers import types
from handlers.types import Inbound, Reply

CHANNEL = "wechat"
_OPENID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MAX_TEXT = 2000  # WeChat's limit for a text message is 2048 bytes of content in practice


class BadMessageError(ValueError):
    pass


def parse(xml: str | bytes) -> BaseMessage:
    try:
        msg = parse_message(xml)
        if msg is None:
            raise BadMessageError("empty message")
        msg.source, msg.target, msg.time  # noqa: B018 - touch the fields: they raise if malformed
    except BadMessageError:
        raise
    except (ExpatError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadMessageError(f"not a WeChat message: {type(exc).__name__}") from None
    if not msg.source or not _OPENID.match(msg.source) or not msg.target:
        raise BadMessageError("bad FromUserName/ToUserName")
    return msg


def _event(msg: BaseMessage) -> tuple[str, str | None, str | None]:
    """(event, key, ref) for an event message."""
    kind = msg.event
    if kind == "subscribe":
        return types.SUBSCRIBE, None, None
    if kind == "subscribe_scan":
        return types.SUBSCRIBE, msg.scene_id, None
    if kind == "scan":
        return types.SCAN, msg.scene_id, None
    if kind == "click":
        return types.CLICK, msg.key, None
    if kind == "view":
        return types.VIEW, msg.url, None
    if kind == "unsubscribe":
        return types.UNSUBSCRIBE, None, None
    if kind == "templatesendjobfinish":
        return types.DELIVERY, msg.status, str(msg.id)
    return types.OTHER_EVENT, None, None


def to_inbound(msg: BaseMessage) -> Inbound:
    try:
        at = msg.create_time
        if msg.type == "text":
            return Inbound(CHANNEL, msg.source, types.TEXT, text=(msg.content or "")[:2000], ref=str(msg.id), at=at)
        if msg.type == "voice":
            heard = _heard(getattr(msg, "recognition", None))
            if heard:
                return Inbound(CHANNEL, msg.source, types.TEXT, text=heard, spoken=True, ref=str(msg.id), at=at)
            return Inbound(CHANNEL, msg.source, types.VOICE, media_id=msg.media_id, ref=str(msg.id), at=at)
        if msg.type == "image":
            return Inbound(CHANNEL, msg.source, types.IMAGE, media_id=msg.media_id, ref=str(msg.id), at=at)
        if msg.type == "event":
            event, key, ref = _event(msg)
            return Inbound(CHANNEL, msg.source, types.EVENT, event=event, key=key, ref=ref, at=at)
        return Inbound(CHANNEL, msg.source, types.OTHER, ref=str(msg.id), at=at)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise BadMessageError(f"malformed field: {type(exc).__name__}") from None


def _heard(recognition: str | None) -> str:
    """WeChat's speech-to-text as typed text: trimmed, without the full stop it adds at the end."""
    text = (recognition or "").strip()[:MAX_TEXT]
    return text.rstrip("。．.！!？?，, ").strip()


def dedupe_key(msg: BaseMessage) -> str:
    """WeChat's retries of one message share this key: MsgId, or for events (whose id is 0)
    sender + CreateTime + event + key."""
    if msg.type != "event" and msg.id:
        return f"m:{msg.id}"
    event = getattr(msg, "event", "") or ""
    key = getattr(msg, "key", None) or getattr(msg, "scene_id", None) or ""
    if event == "templatesendjobfinish":
        key = f"{msg.id}:{getattr(msg, 'status', '')}"
    return f"e:{msg.source}:{msg.time}:{event}:{key}"[:200]


def text_of(reply: Reply) -> str:
    lines = [reply.text] if reply.text else []
    for link in reply.links:
        lines.append(f'<a href="{_attr(link.url)}">{link.label}</a>')
    return "\n".join(lines)


def _attr(url: str) -> str:
    return url.replace("&", "&amp;").replace('"', "&quot;")


def combine(replies: list[Reply]) -> tuple[str | None, list[str]]:
    """The passive reply (one message) and any overflow to push as customer messages.

    Replies are joined into one text while it stays within WeChat's length limit, so the user
    normally gets everything in a single, correctly ordered message."""
    texts = [t for t in (text_of(r) for r in replies) if t]
    if not texts:
        return None, []
    first, rest = texts[0], texts[1:]
    while rest and len(first) + 2 + len(rest[0]) <= MAX_TEXT:
        first = f"{first}\n\n{rest.pop(0)}"
    return first, rest


def _cdata_safe(value: str) -> str:
    return value.replace("]]>", "]]]]><![CDATA[>")


def render_text(msg: BaseMessage, content: str) -> str:
    """The passive reply XML for ``msg``."""
    reply = TextReply(source=_cdata_safe(msg.target), target=_cdata_safe(msg.source), content=_cdata_safe(content))
    return reply.render()
