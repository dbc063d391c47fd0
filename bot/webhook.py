"""``/wechat``: the official account's callback URL (服务器地址).

GET answers WeChat's URL check. POST takes a message in plain or safe mode (``encrypt_type=aes``
with ``msg_signature``). Order of checks, so nothing is parsed for a caller who cannot sign:
size → URL signature → timestamp age → no DTD → (safe mode: body signature, decrypt, app id) →
wechatpy parse → the signed URL not used before with another body (:mod:`bot.replay`).
Refusals are 4xx; only a bug of ours would be a 5xx, and even then the user gets a short
apology instead of WeChat's "该公众号暂时无法提供服务".

Plain mode signs only the URL, not the body, so production must run in safe mode with
``WECHAT_REQUIRE_ENCRYPTION=true`` (the app refuses to start otherwise), and every used nonce is
remembered for the timestamp window (:mod:`bot.replay`).
"""
from __future__ import annotations

import logging
import secrets
import time

from flask import Blueprint, Response, request
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from bot import convert, dedupe, jobs, replay
from bot.channel import CHANNEL
from bot.security import RefusedError, check_age, check_signature, check_xml_shape
from court import db
from court.i18n import _
from handlers import conversation, state
from wechat import settings as bot_settings
from wechat import window

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__)


def _refuse(exc: RefusedError) -> Response:
    log.info("wechat callback refused: %s (%s)", exc.status, exc.reason)
    return Response(exc.reason, status=exc.status, mimetype="text/plain")


@bp.get("/wechat")
def verify() -> Response:
    settings = bot_settings.current()
    args = request.args
    try:
        check_signature(settings.token, args.get("signature"), args.get("timestamp"), args.get("nonce"))
    except RefusedError as exc:
        return _refuse(exc)
    return Response(args.get("echostr", ""), mimetype="text/plain")


def _read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise RefusedError(413, "body too large")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise RefusedError(413, "body too large")
    return body


@bp.post("/wechat")
def receive() -> Response:
    settings = bot_settings.current()
    args = request.args
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    try:
        body = _read_body(settings.max_body_bytes)
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        check_signature(settings.token, args.get("signature"), timestamp, nonce)
        check_age(timestamp or "", settings.timestamp_skew)
        if settings.require_encryption and not encrypted:
            raise RefusedError(403, "plain mode is disabled; configure safe mode")
        check_xml_shape(body)
        xml = _decrypt(body, args.get("msg_signature"), timestamp or "", nonce or "") if encrypted else body
        msg = convert.parse(xml)
        inbound = convert.to_inbound(msg)
        # claimed (below, with the dedupe claim) only for a well-formed, in safe mode authenticated,
        # message, so a garbage post racing ahead of WeChat's own cannot burn its nonce
        claim = replay.NonceClaim(timestamp or "", nonce or "", args.get("signature") or "", body,
                                  settings.timestamp_skew)
    except RefusedError as exc:
        return _refuse(exc)
    except convert.BadMessageError as exc:
        return _refuse(RefusedError(400, str(exc)))
    window.touch(inbound.user, msg.type, getattr(msg, "event", None), msg.time)  # the 48-hour window

    def prefetch(pipe) -> None:  # type: ignore[no-untyped-def]
        state.prefetch(pipe, CHANNEL.name, inbound.user)
        claim.queue(pipe)

    def work(fetched: list) -> str:  # type: ignore[type-arg]
        claim.check(fetched[1:1 + replay.NonceClaim.COMMANDS])
        return _process(msg, inbound, fetched[0])

    try:
        reply_xml = dedupe.once(convert.dedupe_key(msg), work, prefetch=prefetch)
    except RefusedError as exc:
        return _refuse(exc)
    except Exception:
        log.exception("wechat message from %s failed", inbound.user[:6] + "…")
        db.session.rollback()
        reply_xml = convert.render_text(msg, _("系统繁忙，请稍后再试。"))
    if not reply_xml:
        return Response("success", mimetype="text/plain")
    if encrypted:
        reply_xml = settings.crypto.encrypt_message(reply_xml, secrets.token_hex(8), str(int(time.time())))
    return Response(reply_xml, mimetype="application/xml")


def _decrypt(body: bytes, msg_signature: str | None, timestamp: str, nonce: str) -> str:
    settings = bot_settings.current()
    if not msg_signature:
        raise RefusedError(403, "missing msg_signature")
    try:
        xml = settings.crypto.decrypt_message(body, msg_signature, timestamp, nonce)
    except InvalidSignatureException:
        raise RefusedError(403, "bad msg_signature") from None
    except InvalidAppIdException:
        raise RefusedError(403, "message for another app id") from None
    except Exception as exc:  # malformed base64, padding, XML, missing Encrypt …
        raise RefusedError(400, f"cannot decrypt: {type(exc).__name__}") from None
    check_xml_shape(xml.encode() if isinstance(xml, str) else xml)
    return xml


def _process(msg, inbound, fetched_state) -> str:  # type: ignore[no-untyped-def]
    """Run the conversation for a first delivery; return the passive reply XML ('' for none)."""
    s = db.session()
    try:
        st = state.load(CHANNEL.name, inbound.user, fetched_state)
        replies = conversation.handle(s, inbound, CHANNEL, st)
        first, rest = convert.combine(replies)
        if rest:
            jobs.push_texts.enqueue(inbound.user, rest, session=s)
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return convert.render_text(msg, first) if first else ""
