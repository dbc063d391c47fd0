"""The WeChat side of :class:`handlers.types.Channel`: links, photo checks, delivery reports."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot import oauth
from court import queue
from court.i18n import get_locale
from handlers.types import Inbound

SELFIE_JOB = "bot.jobs.face_check_from_media"
# notify/ owns delivery status: it takes (msgid, status, event time, openid) and updates the notification
# whose provider id is the template message's msgid (TEMPLATESENDJOBFINISH).
DELIVERY_JOB = "notify.jobs.wechat_template_finished"


class WeChatChannel:
    name = "wechat"

    def document_url(self, document_id: int) -> str:
        return oauth.document_url(document_id)

    def request_face_check(self, s: Session, person_id: int, inbound: Inbound) -> None:
        queue.enqueue(
            SELFIE_JOB, person_id, inbound.media_id, inbound.user, get_locale(),
            job_id=f"wx-selfie-{inbound.media_id}"[:120], session=s,
        )

    def report_delivery(self, s: Session, inbound: Inbound) -> None:
        if inbound.ref:
            at = inbound.at.isoformat() if inbound.at else None
            queue.enqueue(DELIVERY_JOB, inbound.ref, inbound.key or "", at, inbound.user, queue_name="notify",
                          job_id=f"wx-delivery-{inbound.ref}-{inbound.user[-12:]}", session=s)  # a forged event cannot shadow the real one


CHANNEL = WeChatChannel()
