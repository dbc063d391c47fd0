"""The WeChat side of :class:`handlers.types.Channel`: links, photo checks, delivery reports."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot import oauth
from court import events
from court.i18n import get_locale
from handlers.types import Inbound


class WeChatChannel:
    name = "wechat"

    def document_url(self, document_id: int) -> str:
        return oauth.document_url(document_id)

    def request_face_check(self, s: Session, person_id: int, inbound: Inbound) -> None:
        from bot import jobs  # (not at the top: bot.jobs imports this module)

        jobs.face_check_from_media.enqueue(person_id, inbound.media_id, inbound.user, get_locale(), session=s)

    def report_delivery(self, s: Session, inbound: Inbound) -> None:
        if inbound.ref:
            at = inbound.at.isoformat() if inbound.at else None
            # notify/ owns delivery status: it updates the notification whose provider id is the
            # template message's msgid (TEMPLATESENDJOBFINISH)
            events.emit(events.DeliveryReported(self.name, inbound.ref, inbound.key or "", at, inbound.user), s)


CHANNEL = WeChatChannel()
