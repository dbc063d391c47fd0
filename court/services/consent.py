"""Consent to electronic service, per party and case, and where a party may be served
(CPL art. 90; Online Litigation Rules arts. 29–31). The one home of these rules: every sender in
``notify/``, every party page, the bot, the console and the API ask this module.

A party's answer for a case is the newest :class:`~court.models.Consent` row that is not
withdrawn: ``given`` (with the channels and addresses the party confirmed, how, when and by whom),
``declined``, or nothing (never asked, or withdrawn). Without a given consent the party may be
*told* that a document is waiting, but nothing can be read, downloaded or signed and no arrival
counts as service; declining or withdrawing flags the case for another method of service.

Addresses (:func:`~court.services.consent_addresses.eligibility`): the person's channel bindings proven by an identity check
(``ChannelBinding.verified_at``, most recently verified first) and the addresses confirmed in the
consent are *confirmed*; a phone or e-mail the court entered and the party never confirmed is
*unconfirmed*: a message may go there, but its arrival only counts once the party opens or signs
(``court.services.service_date``).

This module holds the rules: which answer is in force, and recording answers (give, decline,
withdraw). Where a party may be reached is :mod:`court.services.consent_addresses`; the text a
party reads before answering is :mod:`court.services.consent_text`.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from court import audit, db, phones, storage
from court.errors import DomainError
from court.models import AuditEvent, Case, Consent, Notification, NotificationStatus, Party, Person
from court.services import agents
from court.services.consent_text import CHANNELS, consent_text

log = logging.getLogger(__name__)

METHODS = ("bot", "web", "staff")
ATTENTION = "当事人已撤回电子送达同意，请改用其他方式送达"
DECLINED = "当事人不同意电子送达，请改用其他方式送达"
MAX_SCAN_BYTES = 10 * 1024 * 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# ---- which answer is in force ----------------------------------------------------------------------
class PartyLike(Protocol):
    """What the rules need of a party: an ORM ``Party`` or a Core row with these columns."""

    id: int
    case_id: int
    person_id: int | None
    phone: str | None
    email: str | None


def rows_for(s: Session, parties: list[PartyLike]) -> dict[int, list[Consent]]:
    """The parties' consent rows (read-only columns), newest first, grouped by party (one query)."""
    if not parties:
        return {}
    case_ids = {p.case_id for p in parties}
    who = [Consent.party_id.in_({p.id for p in parties})]
    person_ids = {p.person_id for p in parties if p.person_id is not None}
    if person_ids:
        who.append(Consent.person_id.in_(person_ids))
    by_party: dict[int, list[Consent]] = defaultdict(list)
    by_person: dict[tuple[int, int], list[Consent]] = defaultdict(list)
    columns = (Consent.id, Consent.person_id, Consent.party_id, Consent.case_id, Consent.decision, Consent.channels,
               Consent.address, Consent.method, Consent.given_at, Consent.withdrawn_at)
    # plain rows, not ORM objects: a push asks this for thousands of parties at a time
    for row in s.execute(select(*columns).where(Consent.case_id.in_(case_ids), or_(*who)).order_by(Consent.id.desc())):
        r = cast(Consent, row)  # a Core row with the columns above, read like the ORM object
        if r.party_id is not None:
            by_party[r.party_id].append(r)
        if r.person_id is not None:
            by_person[(r.person_id, r.case_id)].append(r)
    out: dict[int, list[Consent]] = {}
    for p in parties:
        mine = {r.id: r for r in by_party.get(p.id, []) if r.case_id == p.case_id}
        if p.person_id is not None:
            mine.update({r.id: r for r in by_person.get((p.person_id, p.case_id), [])})
        out[p.id] = sorted(mine.values(), key=lambda r: r.id, reverse=True)
    return out


def in_force(rows: list[Consent]) -> Consent | None:
    """The answer in force among ``rows`` (newest first): the newest not withdrawn."""
    return next((r for r in rows if r.withdrawn_at is None), None)


def _party_rows(s: Session, party: PartyLike) -> list[Consent]:
    where = [Consent.party_id == party.id]
    if party.person_id is not None:
        where.append(Consent.person_id == party.person_id)
    return list(s.scalars(select(Consent).where(Consent.case_id == party.case_id, or_(*where))
                          .order_by(Consent.id.desc())))


def answer(s: Session, party: PartyLike) -> Consent | None:
    """The party's answer in force for its case (given or declined), or None."""
    return in_force(_party_rows(s, party))


def state(s: Session, party: PartyLike) -> str:
    """``given`` | ``declined`` | ``withdrawn`` | ``none`` (for pages and the console)."""
    rows = _party_rows(s, party)
    current = in_force(rows)
    if current is not None:
        return current.decision
    return "withdrawn" if rows else "none"


def given_at_time(s: Session, party: PartyLike, at: datetime) -> Consent | None:
    """The given consent that was in force at ``at`` (service before a withdrawal stays valid)."""
    for r in _party_rows(s, party):
        if r.decision == "given" and r.given_at <= at and (r.withdrawn_at is None or r.withdrawn_at > at):
            return r
    return None


RECORDING_SLACK = timedelta(seconds=60)  # a consent's given_at and its audit row are written together


def unattested(s: Session, given: Consent, at: datetime) -> str | None:
    """Why the sealed audit log does not bear out that ``given`` was in force at ``at``, or None.

    The credential states the consent; someone who can write to the database could add a consent
    row, move its ``given_at`` earlier (so an earlier arrival counts), change its channels or
    text, or erase its withdrawal. Each act of consent is an audit row sealed with the audit key
    (given, declined or given again naming the consent it ``supersedes``, withdrawn), so the
    row is checked against them."""
    rows = s.scalars(select(AuditEvent).where(
        AuditEvent.case_id == given.case_id,
        AuditEvent.action.in_(("consent.given", "consent.declined", "consent.withdrawn"))).order_by(AuditEvent.id))
    genuine = [ev for ev in rows if ev.key_id is not None and hmac.compare_digest(audit.seal(ev) or "", ev.hash)]
    own = [ev for ev in genuine if ev.action == "consent.given" and ev.subject == f"consent:{given.id}"]
    if not own:
        return "no_audited_consent"
    details = own[0].details or {}
    if (details.get("channels") != given.channels
            or details.get("text_sha256") != hashlib.sha256(given.text_shown.encode()).hexdigest()):
        return "consent_differs"
    if _aware(own[0].at) - _aware(given.given_at) > RECORDING_SLACK:
        return "consent_backdated"
    ended = [ev for ev in genuine if (ev.action == "consent.withdrawn" and ev.subject == f"consent:{given.id}")
             or (ev.action != "consent.withdrawn" and (ev.details or {}).get("supersedes") == given.id)]
    if any(_aware(ev.at) <= _aware(at) for ev in ended):
        return "consent_withdrawn"
    return None


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _party_of(s: Session, person_id: int, case_id: int) -> Party | None:
    return s.scalar(select(Party).where(Party.person_id == person_id, Party.case_id == case_id)
                    .order_by(Party.id).limit(1))


def active(s: Session, person_id: int, case_id: int) -> Consent | None:
    """The given consent in force for a person in a case (by the person's party there)."""
    party = _party_of(s, person_id, case_id)
    if party is not None:
        row = answer(s, party)
    else:
        row = s.scalar(select(Consent).where(Consent.person_id == person_id, Consent.case_id == case_id,
                                             Consent.withdrawn_at.is_(None)).order_by(Consent.id.desc()))
    return row if row is not None and row.decision == "given" else None


def has_consent(s: Session, person_id: int, case_id: int) -> bool:
    return active(s, person_id, case_id) is not None


def may_serve(s: Session, party: PartyLike) -> bool:
    """May this party be served electronically in its case now?"""
    row = answer(s, party)
    return row is not None and row.decision == "given"


def states_many(s: Session, parties: list[PartyLike]) -> dict[int, str]:
    """:func:`state` of many parties in one query (the clerk's worklist asks it per page)."""
    out: dict[int, str] = {}
    for pid, rows in rows_for(s, parties).items():
        current = in_force(rows)
        out[pid] = current.decision if current is not None else ("withdrawn" if rows else "none")
    return out


# ---- recording answers -----------------------------------------------------------------------------
def flag(s: Session, case_id: int, note: str) -> None:
    """Tell staff (``Case.needs_attention``, shown in the console) that a case needs another method."""
    case = s.get(Case, case_id)
    if case is None:
        return
    if not case.needs_attention:
        case.needs_attention = note[:200]
    elif note not in case.needs_attention:
        case.needs_attention = f"{case.needs_attention}；{note}"[:200]


def _resolve_party(s: Session, person: Person | None, case: Case, party: Party | None) -> Party | None:
    if party is not None:
        if party.case_id != case.id:
            raise DomainError("当事人不属于该案件", code="party_not_in_case", status=404)
        return party
    return _party_of(s, person.id, case.id) if person is not None else None


def give(s: Session, person: Person | None, case: Case, *, channels: list[str], address: dict[str, str],
         method: str, party: Party | None = None, recorded_by: str | None = None,
         scan_key: str | None = None) -> Consent:
    """Record consent with the exact text shown (in the person's language).

    Giving the same consent again returns the existing record (channels retry); different
    channels or addresses, or a consent after a decline, supersede the answer in force.
    """
    if method not in METHODS:
        raise ValueError(f"consent method must be one of {METHODS}")
    if person is None and party is None:
        raise ValueError("consent needs the person or the party")
    chosen, clean = clean_address(channels, address)
    party = _resolve_party(s, person, case, party)
    current = answer(s, party) if party is not None else active(s, person.id, case.id)  # type: ignore[union-attr]
    if (current is not None and current.decision == "given" and current.channels == chosen
            and current.address == clean and scan_key is None):
        return current
    if recorded_by is None and person is not None and party is not None:  # an agent answers within their authority
        recorded_by = agents.consent_actor(s, f"person:{person.id}", party, "consent_give")
    text = consent_text(case, chosen, person.locale if person else None, clean)
    now = db.utcnow()
    if current is not None:
        current.withdrawn_at, current.withdrawn_by = now, "superseded"
    actor = recorded_by or (f"person:{person.id}" if person is not None else "staff")
    consent = Consent(person_id=person.id if person else None, party_id=party.id if party else None,
                      case_id=case.id, decision="given", channels=chosen, address=clean, text_shown=text,
                      method=method, given_at=now, recorded_by=actor, scan_key=scan_key)
    s.add(consent)
    s.flush()
    audit.record(s, "consent.given", actor=actor, case_id=case.id, subject=f"consent:{consent.id}", details={
        "person": consent.person_id, "party": consent.party_id, "channels": chosen, "method": method,
        "text_sha256": hashlib.sha256(text.encode()).hexdigest(), "scan": bool(scan_key),
        "supersedes": current.id if current is not None else None})
    return consent


def give_on_paper(s: Session, party: Party, *, channels: list[str], address: dict[str, str], scan: bytes,
                  staff_id: int) -> Consent:
    """Staff record a consent from the party's signed paper form; the scan is kept with it."""
    if not scan:
        raise DomainError("请上传当事人签名的送达地址确认书扫描件", code="scan_required")
    if len(scan) > MAX_SCAN_BYTES:
        raise DomainError("扫描件过大（不超过10MB）", code="scan_too_large")
    if not (scan.startswith(b"%PDF-") or scan.startswith(b"\x89PNG") or scan.startswith(b"\xff\xd8\xff")):
        raise DomainError("扫描件须为PDF、PNG或JPEG文件", code="scan_bad_type")
    person = s.get(Person, party.person_id) if party.person_id else None
    case = s.get(Case, party.case_id)
    assert case is not None
    clean_address(channels, address)  # refuse bad input before anything is stored
    key = storage.store().put(scan)
    return give(s, person, case, channels=channels, address=address, method="staff", party=party,
                recorded_by=f"staff:{staff_id}", scan_key=key)


def decline(s: Session, party: Party, *, method: str, actor: str, reason: str | None = None) -> Consent:
    """Record that the party does not agree: flag the case for another method of service."""
    if method not in METHODS:
        raise ValueError(f"consent method must be one of {METHODS}")
    actor = agents.consent_actor(s, actor, party, "consent_decline")  # special authority only
    current = answer(s, party)
    if current is not None and current.decision == "declined":
        return current
    case = s.get(Case, party.case_id)
    assert case is not None
    now = db.utcnow()
    if current is not None:
        current.withdrawn_at, current.withdrawn_by = now, actor
    row = Consent(person_id=party.person_id, party_id=party.id, case_id=party.case_id, decision="declined",
                  channels=[], address={}, text_shown="", method=method, given_at=now, recorded_by=actor,
                  reason=(reason or "")[:500] or None)
    s.add(row)
    s.flush()
    _stop(s, party.case_id, party.person_id, party.id, f"{party.name}：{DECLINED}")
    audit.record(s, "consent.declined", actor=actor, case_id=party.case_id, subject=f"consent:{row.id}",
                 details={"party": party.id, "method": method, "reason": row.reason,
                          "supersedes": current.id if current is not None else None})
    return row


def withdraw(s: Session, consent: Consent, *, actor: str) -> None:
    """Stop electronic service for the consent's case and tell staff. Safe to call twice.

    Service completed before the withdrawal stays valid (its arrival predates ``withdrawn_at``)."""
    if consent.withdrawn_at is not None:
        return
    consent.withdrawn_at, consent.withdrawn_by = db.utcnow(), actor
    cancelled = _stop(s, consent.case_id, consent.person_id, consent.party_id, ATTENTION)
    audit.record(s, "consent.withdrawn", actor=actor, case_id=consent.case_id, subject=f"consent:{consent.id}",
                 details={"person": consent.person_id, "party": consent.party_id, "cancelled_notifications": cancelled})
    log.info("consent %s withdrawn for case %s; %d pending messages cancelled", consent.id, consent.case_id,
             len(cancelled))


def withdraw_for(s: Session, party: Party, *, actor: str) -> Consent | None:
    """Withdraw the party's given consent in its case (None when there was none to withdraw)."""
    row = answer(s, party)
    if row is None or row.decision != "given":
        return None
    actor = agents.consent_actor(s, actor, party, "consent_withdraw")  # special authority only
    withdraw(s, row, actor=actor)
    return row


def _stop(s: Session, case_id: int, person_id: int | None, party_id: int | None, note: str) -> list[int]:
    """Flag the case and cancel the party's pending messages in it."""
    flag(s, case_id, note)
    who = []
    if party_id is not None:
        who.append(Notification.party_id == party_id)
    if person_id is not None:
        who.append(Notification.person_id == person_id)
        who.append(Notification.party_id.in_(select(Party.id).where(Party.case_id == case_id,
                                                                    Party.person_id == person_id)))
    if not who:
        return []
    pending = list(s.scalars(select(Notification).where(
        Notification.case_id == case_id, Notification.status == NotificationStatus.PENDING, or_(*who))))
    for n in pending:
        n.status = NotificationStatus.CANCELLED
        n.error = "consent to electronic service withdrawn or declined"
    s.flush()
    return [n.id for n in pending]


def clean_address(channels: list[str], address: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The chosen channels (known, unique, at least one) and their normalised addresses."""
    chosen = list(dict.fromkeys(channels or []))
    if not chosen:
        raise DomainError("请至少选择一种电子送达方式", code="no_channel")
    unknown = [c for c in chosen if c not in CHANNELS]
    if unknown:
        raise DomainError("不支持的送达方式：{channels}", code="bad_channel", channels="、".join(map(str, unknown)))
    clean: dict[str, str] = {}
    for ch in chosen:
        value = str((address or {}).get(ch, "") or "").strip()
        if ch == "sms":
            clean[ch] = phones.validated(value)
        elif ch == "email":
            if not _EMAIL.match(value):
                raise DomainError("请填写正确的电子邮箱地址", code="bad_email")
            clean[ch] = value.lower()
        else:
            if not value:
                raise DomainError("缺少微信送达地址，请在微信中完成确认", code="missing_address")
            clean[ch] = value
    return chosen, clean
