"""Service by another method (post with the return card, public notice, direct, left at the
address) as staff record it over HTTP. The rules are ``court.services.other_service``'s."""
from __future__ import annotations

from datetime import date, datetime

from flask import request
from sqlalchemy import select

from court import db
from court import settings as court_settings
from court.errors import DomainError
from court.models import OtherService
from court.services import other_service
from staff.api import bp
from staff.api.auth import actor
from staff.api.cases import WRITERS
from staff.api.consent import _party
from staff.api.openapi import route
from staff.api.schemas import Out


class OtherServiceOut(Out):
    """A recorded service by another method and the legal date of service that follows from it."""

    id: int
    party_id: int
    document_id: int
    method: str
    method_label: str
    tracking_number: str | None = None
    posted_on: date | None = None
    received_on: date | None = None
    published_in: str | None = None
    published_on: date | None = None
    abroad: bool = False
    witnesses: list[str] = []
    return_card: bool = False
    return_card_sha256: str | None = None
    served_on: date
    recorded_by: str
    recorded_at: datetime


def _out(row: OtherService) -> OtherServiceOut:
    return OtherServiceOut(
        id=row.id, party_id=row.party_id, document_id=row.document_id, method=row.method,
        method_label=other_service.METHODS[row.method], tracking_number=row.tracking_number,
        posted_on=row.posted_on, received_on=row.received_on, published_in=row.published_in,
        published_on=row.published_on, abroad=row.abroad, witnesses=list(row.witnesses or []),
        return_card=bool(row.scan_key), return_card_sha256=row.scan_sha256, served_on=row.served_on,
        recorded_by=row.recorded_by, recorded_at=row.recorded_at)


@route(bp, "/parties/<int:party_id>/other-service", summary="以其他方式送达的记录 / service by another method",
       tag="parties", response=list[OtherServiceOut])
def list_other_service(party_id: int) -> list[OtherServiceOut]:
    party = _party(party_id)
    rows = db.session().scalars(select(OtherService).where(OtherService.party_id == party.id)
                                .order_by(OtherService.id))
    return [_out(r) for r in rows]


@route(bp, "/parties/<int:party_id>/other-service", "POST",
       summary="录入邮寄、公告、直接或留置送达 / record postal, public-notice, direct or left-at-address service",
       tag="parties", response=OtherServiceOut, status=201, roles=WRITERS,
       multipart={"document_id": "文书编号 / document id", "method": "postal | public_notice | direct | left",
                  "tracking_number": "EMS单号 / EMS tracking number (postal)",
                  "posted_on": "交寄日期 YYYY-MM-DD (postal)",
                  "received_on": "签收（或留置）日期 YYYY-MM-DD / date received or left",
                  "published_in": "公告刊登处 / where published (public_notice)",
                  "published_on": "公告日期 YYYY-MM-DD (public_notice)",
                  "abroad": "true: 在中华人民共和国领域内没有住所 / no domicile in China",
                  "witnesses": "见证人，逗号分隔 / witnesses, comma-separated (left)",
                  "note": "说明 / note", "card": "file: 送达回证扫描件PDF / the scanned return card"})
def record_other_service(party_id: int) -> OtherServiceOut:
    party = _party(party_id)
    form = request.form
    upload = request.files.get("card")
    limit = court_settings.current().max_upload_bytes
    card = upload.stream.read(min(limit, other_service.MAX_CARD_BYTES) + 1) if upload else b""
    try:
        document_id = int(form.get("document_id") or "")
    except ValueError:
        raise DomainError("请指明送达的文书（document_id）", code="document_required") from None
    ev = other_service.Evidence(
        method=form.get("method", ""), tracking_number=form.get("tracking_number"), posted_on=form.get("posted_on"),
        received_on=form.get("received_on"), published_in=form.get("published_in"),
        published_on=form.get("published_on"), abroad=form.get("abroad", "").lower() in ("1", "true", "yes", "on"),
        witnesses=[w for w in form.get("witnesses", "").replace("，", ",").replace("、", ",").split(",")],
        note=form.get("note"))
    s = db.session()
    row = other_service.record(s, party, document_id, ev, card=card, actor=actor(), max_bytes=limit)
    s.commit()
    return _out(row)
