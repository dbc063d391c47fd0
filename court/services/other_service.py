"""Service by another method, recorded by a clerk: by post with the return card (邮寄送达, CPL
art. 91), by public notice (公告送达, art. 95), directly (直接送达, art. 89) or by leaving the
document at the address (留置送达, art. 89). The one home of these rules: the console page and the
staff API both ask :func:`record`.

A party who declined electronic service, withdrew consent or could not be reached is flagged for
another method (``court.services.consent.flag``). Recording that other service clears the flag for
that party and document and becomes the party's service record: ``ServiceRecord.effective_at`` is
the legal date decided by ``court.services.service_date.other_method_date`` and
``effective_channel`` names the method. It is audited as ``service.effective`` (which the court's
systems receive as a webhook event) and exported in the case bundle.

It also settles the party's open 签收 (receipt) step for that document: the party has been served,
so nobody waits for a signature that will never come. The step is done *by another method* (audited
as ``step.served_otherwise`` with the method and the date), not signed: the service record gets no
``signed_at`` and no receipt number, and no e-service credential is issued (that credential attests
electronic service). The flow then finishes as soon as every party is served or has signed, and
emits its events like any flow.

Nonsense is refused before anything is stored: a date in the future, a return card received before
it was posted, a posting before the document existed, a tracking number of the wrong form, a return
card that is not a usable PDF. Recording the same service twice returns the first record; recording
a different one for the same party and document is a conflict, as is recording it for a document
already served electronically.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from court import audit, db, display, i18n, storage
from court.display import CHINA
from court.errors import Conflict, DomainError, NotFound
from court.i18n import N_, _
from court.models import (
    Case,
    CaseStatus,
    Document,
    FlowStatus,
    FlowStep,
    OtherService,
    Party,
    ServiceRecord,
    SigningFlow,
    StepAction,
    StepStatus,
)
from court.pdfcheck import check_pdf
from court.services import flows, service_date

METHODS: dict[str, str] = {m: display.CHANNEL[m] for m in service_date.OTHER_METHODS}  # names: court.display
NEEDS_CARD = ("postal", "direct", "left")  # the return card (送达回证) is the evidence of these
MAX_WITNESSES = 5
MAX_CARD_BYTES = 20 * 1024 * 1024
# EMS: the UPU S10 form (two letters, eight digits, a check digit, "CN") or a domestic 13-digit number
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)CN$")
_DOMESTIC = re.compile(r"^\d{13}$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def tracking_number(value: str | None) -> str:
    """The EMS tracking number, normalised (upper case, no spaces), or a clear refusal."""
    clean = re.sub(r"[\s-]", "", str(value or "")).upper()
    if not clean:
        raise DomainError("请填写邮件的EMS单号", code="tracking_required")
    m = _S10.match(clean)
    if m:
        total = sum(int(d) * w for d, w in zip(m.group(2), _S10_WEIGHTS, strict=True))
        check = 11 - total % 11
        check = 0 if check == 10 else 5 if check == 11 else check
        if check != int(m.group(3)):
            raise DomainError("EMS单号的校验位不符，请核对：{number}", code="bad_tracking", number=clean[:20])
        return clean
    if _DOMESTIC.match(clean):
        return clean
    raise DomainError("EMS单号格式不正确（应为13位数字，或如 EA123456785CN 的两位字母、九位数字加 CN）：{number}",
                      code="bad_tracking", number=clean[:20])


def parse_day(value: date | str | None, what: str) -> date | None:
    """A date from a form or JSON (``YYYY-MM-DD``); None when empty."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        if len(text) > 32:
            raise ValueError(text[:32])
        return date.fromisoformat(text[:10])
    except ValueError:
        raise DomainError("{what}不是有效的日期（格式：2026-01-31）", code="bad_date", what=what) from None


def today() -> date:
    """Today in Beijing time: the court's calendar."""
    return db.utcnow().astimezone(CHINA).date()


@dataclass
class Evidence:
    """What the clerk entered; :func:`record` checks it."""

    method: str
    tracking_number: str | None = None
    posted_on: date | str | None = None
    received_on: date | str | None = None
    published_in: str | None = None
    published_on: date | str | None = None
    abroad: bool = False
    witnesses: Iterable[str] = ()
    note: str | None = None


def _check(ev: Evidence, doc: Document) -> dict[str, object]:
    """The cleaned fields of ``ev`` (refusing nonsense), ``served_on`` included."""
    if ev.method not in METHODS:
        raise DomainError("不支持的送达方式：{method}", code="bad_method", method=str(ev.method)[:20])
    posted = parse_day(ev.posted_on, "交寄日期")
    received = parse_day(ev.received_on, "签收日期" if ev.method != "left" else "留置日期")
    published = parse_day(ev.published_on, "公告日期")
    witnesses = [w.strip()[:50] for w in ev.witnesses or () if w and w.strip()]
    if len(witnesses) > MAX_WITNESSES:
        raise DomainError("见证人最多{n}位", code="too_many_witnesses", n=MAX_WITNESSES)
    clean: dict[str, object] = {"method": ev.method, "tracking_number": None, "posted_on": None, "received_on": None,
                                "published_in": None, "published_on": None, "abroad": bool(ev.abroad),
                                "witnesses": witnesses, "note": (ev.note or "").strip()[:500] or None}
    if ev.method == "postal":
        clean["tracking_number"] = tracking_number(ev.tracking_number)
        if posted is None or received is None:
            raise DomainError("邮寄送达须填写交寄日期和签收日期（以回执或邮件跟踪记录为准）", code="dates_required")
        if received < posted:
            raise DomainError("签收日期不能早于交寄日期", code="received_before_posted")
        clean["posted_on"], clean["received_on"] = posted, received
    elif ev.method == "public_notice":
        where = (ev.published_in or "").strip()
        if not where or published is None:
            raise DomainError("公告送达须填写公告刊登处和公告日期", code="notice_required")
        clean["published_in"], clean["published_on"] = where[:200], published
    else:
        if received is None:
            raise DomainError("请填写送达日期", code="dates_required")
        if ev.method == "left" and not witnesses:
            raise DomainError("留置送达须填写到场见证人", code="witness_required")
        clean["received_on"] = received
    now = today()
    created = doc.created_at.astimezone(CHINA).date()
    for day in (posted, received, published):
        if day is not None and day > now:
            raise DomainError("日期不能晚于今天：{day}", code="date_in_future", day=day.isoformat())
        if day is not None and day < created:
            raise DomainError("日期不能早于文书生成之日（{created}）：{day}", code="date_before_document",
                              created=created.isoformat(), day=day.isoformat())
    clean["served_on"] = service_date.other_method_date(ev.method, received_on=received, published_on=published,
                                                        abroad=bool(ev.abroad))
    return clean


def _same(row: OtherService, clean: dict[str, object], card_sha: str | None) -> bool:
    return all(getattr(row, k) == v for k, v in clean.items() if k != "note") and \
        (card_sha is None or row.scan_sha256 == card_sha)


def describe(row: OtherService, locale: str | None = None) -> str:
    """One line for pages: the method and its evidence (``locale``: default the current language)."""
    def tr(message: str, **params: object) -> str:
        return i18n.translate(message, locale).format(**params)

    parts = [tr(METHODS[row.method])]
    if row.tracking_number:
        parts.append(f"EMS {row.tracking_number}")
    if row.posted_on:
        parts.append(tr(N_("{day}交寄"), day=row.posted_on.isoformat()))
    if row.received_on:
        parts.append(tr(N_("{day}留置") if row.method == "left" else N_("{day}签收"), day=row.received_on.isoformat()))
    if row.published_in and row.published_on:
        parts.append(tr(N_("{day}刊登于{where}"), day=row.published_on.isoformat(), where=row.published_in))
    if row.witnesses:
        parts.append(tr(N_("见证人：{names}"), names="、".join(row.witnesses)))
    chinese = (i18n.normalize(locale) if locale else i18n.get_locale()) == i18n.DEFAULT_LOCALE
    return ("，" if chinese else ", ").join(parts)


def record(s: Session, party: Party, document_id: int, ev: Evidence, *, card: bytes | None, actor: str,
           max_bytes: int = MAX_CARD_BYTES) -> OtherService:
    """Record service by another method; it becomes the party's service record for the document."""
    doc = s.get(Document, document_id)
    if doc is None or doc.case_id != party.case_id:
        raise NotFound("该案件中没有这份文书", code="document_not_found")
    case = s.get(Case, party.case_id)
    assert case is not None
    if case.status is CaseStatus.ARCHIVED:
        raise Conflict("案件已归档，不能再修改", code="case_archived")
    clean = _check(ev, doc)
    card = card or b""
    if ev.method in NEEDS_CARD and not card:
        raise DomainError("请上传送达回证扫描件（PDF）", code="card_required")
    if card:
        check_pdf(card, min(max_bytes, MAX_CARD_BYTES))
    card_sha = hashlib.sha256(card).hexdigest() if card else None
    _lock_party(s, party)
    existing = s.scalar(select(OtherService).where(OtherService.party_id == party.id,
                                                   OtherService.document_id == doc.id))
    if existing is not None:
        if _same(existing, clean, card_sha):
            return existing  # the same form submitted twice
        raise Conflict("已录入{name}对该文书的送达（{what}），不能重复录入", code="already_recorded",
                       name=party.name, what=describe(existing))
    rec = s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == party.id,
                                               ServiceRecord.document_id == doc.id))
    if rec is not None and rec.effective_at is not None:
        raise Conflict("该文书已于{at}向{name}电子送达，无需再以其他方式送达", code="already_served",
                       at=rec.effective_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), name=party.name)
    if rec is None:
        try:
            with s.begin_nested():  # the serving job may open the record at the same moment
                rec = ServiceRecord(party_id=party.id, document_id=doc.id, channels_tried=[])
                s.add(rec)
                s.flush()
        except IntegrityError:
            rec = s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == party.id,
                                                       ServiceRecord.document_id == doc.id))
            assert rec is not None
    if rec.served_version_id is None and doc.versions:
        rec.served_version_id = doc.current.id
    s.flush()
    key = storage.store().put(card) if card else None
    row = OtherService(case_id=case.id, party_id=party.id, document_id=doc.id, service_record_id=rec.id,
                       scan_key=key, scan_sha256=card_sha, recorded_by=actor, **clean)
    try:
        with s.begin_nested():  # two clerks at once: the second gets the conflict, not a crash
            s.add(row)
            s.flush()
    except IntegrityError:
        raise Conflict("{name}对该文书的送达刚由他人录入，请刷新后查看", code="already_recorded",
                       name=party.name) from None
    served_on: date = clean["served_on"]  # type: ignore[assignment]
    at = service_date.start_of_day(served_on)
    rec.effective_at, rec.effective_channel = at, ev.method
    rec.stage, rec.next_check_at = "done", None
    rec.channels_tried = [*(rec.channels_tried or []), {
        "channel": ev.method, "event": "served", "at": at.isoformat(), "counts": True,
        "detail": describe(row, i18n.DEFAULT_LOCALE)[:200], "recorded_by": actor}]
    s.flush()
    _clear_flag(s, case, party, doc)
    audit.record(s, "service.effective", actor=actor, case_id=case.id, subject=f"party:{party.id}", details={
        "document_id": doc.id, "channel": ev.method, "event": "served", "at": at.isoformat(),
        "served_on": served_on.isoformat(), "other_service_id": row.id,
        "tracking_number": row.tracking_number, "posted_on": _iso(row.posted_on),
        "received_on": _iso(row.received_on), "published_in": row.published_in,
        "published_on": _iso(row.published_on), "abroad": row.abroad, "witnesses": row.witnesses,
        "return_card_sha256": card_sha})
    _settle_receipt_steps(s, party, doc, row, actor)
    return row


def _lock_party(s: Session, party: Party) -> None:
    """Hold the party's row until this transaction ends, so two clerks recording a service for the
    same party at once take turns: the second then reads the first's record and gets the same row
    back (the same form sent twice) or a conflict saying what was recorded, and stores no return
    card. SQLite needs nothing: every transaction there starts with BEGIN IMMEDIATE (court.db)."""
    if db.is_postgres():
        s.execute(select(Party.id).where(Party.id == party.id).with_for_update())


def _settle_receipt_steps(s: Session, party: Party, doc: Document, row: OtherService, actor: str) -> list[int]:
    """Close the party's unfinished receipt steps for ``doc`` as served by ``row``'s method.

    Not :func:`court.services.flow_steps.complete_step`: that records a receipt *signed* by the party
    (and queues the e-service credential), which would be untrue here. The step is marked done, the
    audit says how and when it was served, and the flow engine moves on (finishing the flow when
    every step is settled)."""
    steps = s.scalars(select(FlowStep).join(SigningFlow, FlowStep.flow_id == SigningFlow.id).where(
        SigningFlow.document_id == doc.id, SigningFlow.status == FlowStatus.RUNNING,
        FlowStep.party_id == party.id, FlowStep.action == StepAction.RECEIVE,
        FlowStep.status.in_((StepStatus.WAITING, StepStatus.READY, StepStatus.RUNNING)))
        .order_by(FlowStep.id)).all()
    for step in steps:
        step.status = StepStatus.DONE
        step.acted_at = db.utcnow()
        step.error = None
        s.flush()
        audit.record(s, "step.served_otherwise", actor=actor, case_id=doc.case_id, subject=f"step:{step.id}",
                     details={"flow_id": step.flow_id, "party_id": party.id, "document_id": doc.id,
                              "method": row.method, "served_on": row.served_on.isoformat(),
                              "other_service_id": row.id})
        flows.advance(s, step.flow)
    return [st.id for st in steps]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _clear_flag(s: Session, case: Case, party: Party, doc: Document) -> None:
    """Remove the notes that asked staff to serve this party this document another way; the
    party's general note (declined, withdrew) goes once none of its documents still waits."""
    if not case.needs_attention:
        return
    waiting = s.scalar(select(ServiceRecord.id).where(
        ServiceRecord.party_id == party.id, ServiceRecord.stage == "flagged",
        ServiceRecord.effective_at.is_(None)).limit(1))
    mine = f"{party.name}："
    keep = []
    for note in case.needs_attention.split("；"):
        if note.startswith(mine) and (f"《{doc.title}》" in note or ("《" not in note and waiting is None)):
            continue
        keep.append(note)
    case.needs_attention = "；".join(keep) or None


def of_case(s: Session, case_id: int) -> dict[int, OtherService]:
    """The other-method services of a case, by service record id (for the case page and the bundle)."""
    rows = s.scalars(select(OtherService).where(OtherService.case_id == case_id).order_by(OtherService.id))
    return {r.service_record_id: r for r in rows}


def served_on_text(row: OtherService) -> str:
    """The legal date as people read it, with why for public notice (published + 30 or 60 days)."""
    if row.method == "public_notice" and row.published_on is not None:
        days = (row.served_on - row.published_on).days
        return _("{day}（公告之日起经过{days}日）", day=row.served_on.isoformat(), days=days)
    return row.served_on.isoformat()


def is_future(row: OtherService) -> bool:
    return row.served_on > today()

