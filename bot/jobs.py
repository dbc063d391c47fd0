"""Background work for the bot: fetching selfies, reporting face checks, pushing messages.

Each job takes plain ids, loads fresh state, is safe to run twice (a Redis marker records what
was already done) and leaves a trace in the audit log where a person's data was touched.
"""
from __future__ import annotations

import logging
from typing import Any

from bot import late_replies
from bot.channel import CHANNEL
from court import audit, db, display, events, queue, redis_conn
from court.models import ChannelBinding, Document, ServiceRecord
from court.services import identity_checks
from handlers import conversation
from handlers.common import person_for
from wechat import client

log = logging.getLogger(__name__)
DONE_TTL = 7 * 86400


def _done(marker: str) -> bool:
    return bool(redis_conn.client().exists(f"bot:job:{marker}"))


def _mark(marker: str) -> None:
    redis_conn.client().set(f"bot:job:{marker}", 1, ex=DONE_TTL)


@queue.job("default")
def push_texts(openid: str, texts: list[str]) -> None:
    """Send texts as customer-service messages, in order (overflow of a passive reply)."""
    for text in texts:
        client.send_text(openid, text)


@queue.job("default", id="wx-selfie-{1}")
def face_check_from_media(person_id: int, media_id: str, openid: str, locale: str | None = None) -> None:
    """Download the selfie from WeChat and start the face check; its outcome comes back to
    :func:`face_result`. The image lives only in memory here and in identity's check."""
    marker = f"selfie:{media_id}"
    if _done(marker):
        return
    from court.errors import DomainError
    from identity import face

    image = client.download_media(media_id)
    reply_to = {"job": face_result.path, "channel": CHANNEL.name, "user": openid, "ref": media_id, "locale": locale}
    try:
        with db.transaction() as s:
            face.request_check(s, person_id, image, reply_to=reply_to, channel=CHANNEL.name,
                               holder_id=identity_checks.holder(CHANNEL.name, openid))
            audit.record(s, "bot.selfie_received", actor=f"person:{person_id}", subject=f"person:{person_id}",
                         details={"channel": CHANNEL.name, "bytes": len(image)})
    except DomainError as exc:  # consent withdrawn meanwhile, attempts used up, an unusable photo
        _mark(marker)
        client.send_text(openid, exc.localized(locale))
        return
    finally:
        del image  # the photo now lives only in identity's encrypted, expiring queue entry
    _mark(marker)


@queue.job("default")
def face_result(reply_to: dict[str, Any], outcome: dict[str, Any]) -> None:
    """Tell the user how their face check went, and carry on with what waited for it."""
    marker = f"face-result:{reply_to.get('ref') or reply_to.get('user')}:{outcome.get('ok')}"
    if _done(marker):
        return
    openid = str(reply_to["user"])
    with db.transaction() as s:
        replies = conversation.face_result(s, CHANNEL, openid, outcome, reply_to.get("ref"))
        person = person_for(s, CHANNEL.name, openid)
        person_id = person.id if person is not None else None
    _mark(marker)
    result = "认证通过" if outcome.get("ok") else "认证未通过"
    late_replies.deliver(openid, replies, late_replies.Fallback(
        "face_result", f"face-result:{reply_to.get('ref') or openid}:{outcome.get('ok')}",
        {"result": result, "at": db.utcnow().isoformat()}, person_id=person_id))


@queue.job("notify", id="receipt-confirmation-{0}")
def receipt_confirmation(service_record_id: int) -> None:
    """After a party signs for a document (:class:`~court.events.ReceiptSigned`), confirm it in WeChat
    with the receipt number, if the party follows the account."""
    marker = f"receipt:{service_record_id}"
    if _done(marker):
        return
    s = db.session()
    record = s.get(ServiceRecord, service_record_id)
    if record is None or record.party.person_id is None:
        return
    person = record.party.person
    # only conversations that proved to be this person (a verified binding) hear about their receipts
    openids = [b.address for b in person.bindings
               if b.channel == CHANNEL.name and b.verified_at is not None] if person else []
    reply = conversation.receipt_confirmation(s, service_record_id, person.locale if person else None)
    if reply is None or not openids:
        return
    doc = s.get(Document, record.document_id)
    params = {"court": doc.case.court.name, "case_number": doc.case.number, "title": doc.title,
              "kind": "诉讼文书" if doc.kind.value == "other" else display.KIND.get(doc.kind, "诉讼文书"), "receipt_number": record.receipt_number or "",
              "at": record.signed_at.isoformat() if record.signed_at else None}
    for openid in openids:
        late_replies.deliver(openid, [reply], late_replies.Fallback(
            "receipt_confirmation", f"receipt:{service_record_id}:{openid}", params, person_id=person.id,
            party_id=record.party_id, case_id=doc.case_id))
    _mark(marker)


def openids_of(person_id: int) -> list[str]:
    """The WeChat openids bound to a person by a passed face check (for ``notify/``)."""
    from sqlalchemy import select

    return list(db.session().scalars(
        select(ChannelBinding.address).where(ChannelBinding.person_id == person_id, ChannelBinding.channel == CHANNEL.name,
                                             ChannelBinding.verified_at.is_not(None))
    ))


def subscribe() -> None:
    """The domain events this room answers (called by ``bot.init_app``)."""
    events.subscribe(events.ReceiptSigned, _receipt_signed)


def _receipt_signed(ev: events.ReceiptSigned) -> None:
    receipt_confirmation.enqueue(ev.service_record_id)
