"""The legal date of service (CPL art. 90; Online Litigation Rules art. 31): one function decides.

Every event on a service record goes through :func:`record_event`: it is written to
``channels_tried`` (what the credential lists) and, when it counts, may fix ``effective_at``:

- an **arrival** (a provider's delivery report, WeChat's template-finished event) counts when the
  party had consented at that moment *and* the address is confirmed (a binding proven by an
  identity check, or an address confirmed in the consent); an arrival at a court-entered address
  the party never confirmed does not count;
- the party **opening** the document (SMS link, the party page) or **signing** for it counts when
  the party had consented at that moment, on any address;
- without consent nothing counts;
- the earliest counting event wins, and an event already recorded for the same notification is
  not recorded again (a replayed report changes nothing).

:func:`check_report` guards the arrivals: a delivery time before the message was sent (beyond
the providers' one-second resolution and a small clock skew) or in the future, or a report from
an address that is not the notification's, is refused and audited.

Service by another method (:func:`other_method_date`, recorded by ``court.services.other_service``):
by post, the date received on the return card or the tracking (CPL art. 91); directly, the date the
recipient signed the return card (art. 89); left at the address, the day it was left there in the
presence of witnesses or recorded on photo or video (art. 89); by public notice, thirty days after
publication (art. 95), sixty for a party without a domicile in China (art. 283).
"""
from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, db
from court.display import CHINA
from court.models import AuditEvent, Consent, Notification, Party, ServiceRecord
from court.services import agents, consent, consent_addresses

ARRIVALS = ("delivered",)
OTHER_METHODS = ("postal", "public_notice", "direct", "left")
PUBLIC_NOTICE_DAYS = 30  # CPL art. 95
PUBLIC_NOTICE_DAYS_ABROAD = 60  # CPL art. 283 (2023): no domicile in the People's Republic
ACTS = ("opened", "read", "signed")
SKEW = timedelta(seconds=60)  # provider clocks and their one-second resolution


def counts(s: Session, party: Party | Callable[[], Party], *, channel: str, address: str | None, event: str,
           at: datetime, standing: consent_addresses.Eligibility | None = None) -> str | None:
    """Why an event does not fix the date of service, or None when it does.

    ``standing``: the party's eligibility when the caller already has it (bulk callers); then
    ``party`` may be a loader, called only when the standing cannot answer."""
    if event not in ARRIVALS + ACTS:
        return "not_an_arrival"

    def the_party() -> Party:
        return party() if callable(party) else party

    given = standing.consent if standing is not None else None
    if given is None or given.given_at > at:
        given = consent.given_at_time(s, the_party(), at)
        if given is None:
            return "no_consent"
    if event in ARRIVALS:
        in_consent = bool(address) and (getattr(given, "address", None) or {}).get(channel) == address  # as it stood then
        if (not in_consent and not (standing or consent_addresses.eligibility(s, the_party())).is_confirmed(channel, address or "")
                and (channel, address or "") not in agents.confirmed_addresses(s, the_party(), at)):  # CPL art. 88
            return "unconfirmed_address"
    return None


def record_event(s: Session, rec: ServiceRecord, *, channel: str, event: str, at: datetime,
                 address: str | None = None, notification_id: int | None = None,
                 detail: str | None = None, party: Party | None = None,
                 standing: consent_addresses.Eligibility | None = None, audited: bool = True) -> bool:
    """Add one event to the record; True when it fixed (an earlier) legal date of service.

    Bulk callers (a push's batch) pass the ``party`` and its ``standing`` they loaded at once, and
    ``audited=False`` when they audit the batch as a whole."""
    tried = list(rec.channels_tried or [])
    if any(e.get("notification_id") == notification_id and e.get("event") == event and e.get("channel") == channel
           for e in tried):
        return False  # a replay: the first report stands (and a page read or a signature counts once)
    def load() -> Party:
        return party or getattr(rec, "party", None) or s.get(Party, rec.party_id)  # type: ignore[return-value]

    why = counts(s, load, channel=channel, address=address, event=event, at=at, standing=standing)
    entry: dict[str, object] = {"channel": channel, "event": event, "at": at.isoformat(), "counts": why is None}
    if notification_id is not None:
        entry["notification_id"] = notification_id
    if why and event in ARRIVALS + ACTS:
        entry["why_not"] = why
    if detail:
        entry["detail"] = detail[:200]
    rec.channels_tried = [*tried, entry]
    fixed = why is None and (rec.effective_at is None or at < rec.effective_at)
    if fixed:
        rec.effective_at = at
        rec.effective_channel = channel
    if fixed and audited:
        audit.record(s, "service.effective", case_id=load().case_id, subject=f"party:{rec.party_id}", details={
            "document_id": rec.document_id, "push_id": rec.push_id, "channel": channel, "event": event,
            "at": at.isoformat(), "notification_id": notification_id})
    if audited:
        s.flush()
    return fixed


def push_parties(params: dict[str, object] | None, party_id: int) -> list[int]:
    """The parties one pushed message is for: its own party and, when the push sent one message for
    several parties reached at the same address (an agent for two companies, a party who is also
    another's representative), each of them; the message's events go on every one's record."""
    also = (params or {}).get("for_party_ids")
    if isinstance(also, list) and party_id in also:
        return [int(p) for p in also]
    return [party_id]


def records_reached(s: Session, n: Notification, at: datetime) -> list[tuple[ServiceRecord, bool]]:
    """The service records an event on ``n`` belongs to, each with whether it is the addressee's own.

    A message to an agent's own record (the agent's link) reaches every party the agent could
    receive service for at ``at`` (CPL art. 88): its events go on *those parties'* records for the
    same document or push, where :func:`counts` decides as for any arrival (an arrival counts at the
    agent's verified address). Without this the party's date of service would wait for the agent to
    open or sign."""
    if n.party_id is None:
        return []
    if n.document_id is not None:
        where = ServiceRecord.document_id == n.document_id
    elif n.push_id is not None:
        where = ServiceRecord.push_id == n.push_id
    else:
        return []
    own = s.scalar(select(ServiceRecord).where(ServiceRecord.party_id == n.party_id, where))
    out = [(own, True)] if own is not None else []
    also = [pid for pid in push_parties(n.params, n.party_id) if pid != n.party_id] if n.push_id is not None else []
    if also:  # one message of a push for several parties at one address (notify.push_recipients)
        out += [(rec, True) for rec in s.scalars(select(ServiceRecord).where(
            ServiceRecord.party_id.in_(also), where).order_by(ServiceRecord.id))]
    principals = agents.represented(s, n.party_id, now=at)
    if principals:
        out += [(rec, False) for rec in s.scalars(select(ServiceRecord).where(
            ServiceRecord.party_id.in_(principals), where).order_by(ServiceRecord.id))]
    return out


def queued_standing(s: Session, records: list, addresses: dict[int, str],  # type: ignore[type-arg]
                    at: datetime) -> dict[int, consent_addresses.Eligibility]:
    """The standing a push's fan-out recorded on each record (its ``queued`` entry: consent and
    whether the address it queued — ``addresses[record id]`` — was confirmed), for records whose
    consent is still in force at ``at``; the others are left to :func:`counts` to look up."""
    queued = {}
    for rec in records:
        entry = next((e for e in rec.channels_tried or [] if e.get("event") == "queued"), None)
        if entry is not None and entry.get("consent_id"):
            queued[rec.id] = (rec, entry)
    if not queued:
        return {}
    ids = {int(entry["consent_id"]) for _rec, entry in queued.values()}
    rows = {r.id: r for r in s.execute(select(Consent.id, Consent.given_at, Consent.withdrawn_at)
                                       .where(Consent.id.in_(ids)))}
    out = {}
    for rec_id, (rec, entry) in queued.items():
        row = rows.get(int(entry["consent_id"]))
        if row is None or (row.withdrawn_at is not None and row.withdrawn_at <= at):
            continue
        out[rec_id] = consent_addresses.Eligibility(
            rec.party_id, 0, None, consent=row,  # type: ignore[arg-type]
            addresses=[consent_addresses.Address(entry["channel"], addresses.get(rec_id, ""),
                                                 bool(entry["confirmed"]), "queued")])
    return out


def check_report(s: Session, n: Notification, *, at: datetime, address: str | None,
                 provider: str) -> str | None:
    """Why a delivery report for ``n`` is refused (audited), or None when it may be applied."""
    why = None
    if address is None or address != n.address:
        why = "address_mismatch"
    elif n.sent_at is None:
        why = "not_sent"
    elif at < n.sent_at.replace(microsecond=0) - SKEW:
        why = "before_send"
    elif at > db.utcnow() + SKEW:
        why = "in_future"
    if why:
        audit.record(s, "delivery.report_refused", actor=f"provider:{provider}", case_id=n.case_id,
                     subject=f"notification:{n.id}", details={
                         "reason": why, "reported_at": at.isoformat(),
                         "sent_at": n.sent_at.isoformat() if n.sent_at else None, "channel": n.channel})
    return why


def clamp(n: Notification, at: datetime) -> datetime:
    """A report within the clock skew before the send time is taken as the send time."""
    return max(at, n.sent_at) if n.sent_at is not None else at


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _audited(rows: object) -> dict[tuple[int, int], datetime | None]:
    """The newest genuine ``service.effective`` date per (party id, document id); None when unreadable."""
    out: dict[tuple[int, int], datetime | None] = {}
    for ev in rows:  # type: ignore[attr-defined]
        details = ev.details or {}
        if (ev.key_id is None or not hmac.compare_digest(audit.seal(ev) or "", ev.hash)
                or not isinstance(details.get("document_id"), int) or not (ev.subject or "").startswith("party:")):
            continue
        try:
            at: datetime | None = _utc(datetime.fromisoformat(str(details.get("at"))))
        except ValueError:
            at = None
        out[(int(ev.subject[6:]), details["document_id"])] = at
    return out


def _why(rec: ServiceRecord, audited: dict[tuple[int, int], datetime | None]) -> str | None:
    key = (rec.party_id, rec.document_id or 0)
    if rec.effective_at is None:
        return "date_removed" if key in audited else None
    if audited.get(key) is None:
        return "no_audited_event"
    return None if audited[key] == _utc(rec.effective_at) else "date_differs"


_EFFECTIVE = select(AuditEvent).where(AuditEvent.action == "service.effective").order_by(AuditEvent.id)


def unattested(s: Session, rec: ServiceRecord) -> str | None:
    """Why ``rec``'s legal date of service is not borne out by the sealed audit log, or None.

    Every change of a document's date of service is audited (``service.effective``: an event that
    fixed an earlier date, or service by another method), in rows sealed with the audit key. So the
    record's date must be the one the newest genuine row names: a date edited in the database
    (moved earlier or later, set where nothing was served, or removed) is caught here, and the
    credential, which states the date, is not issued on it. Push records are audited per batch
    and are not checked here."""
    if rec.document_id is None:
        return None
    return _why(rec, _audited(s.scalars(_EFFECTIVE.where(AuditEvent.subject == f"party:{rec.party_id}"))))


def unattested_records(s: Session) -> list[tuple[int, str]]:
    """Every document service record whose date the audit log does not bear out (the auditor's check)."""
    audited = _audited(s.scalars(_EFFECTIVE.execution_options(yield_per=1000)))
    records = s.scalars(select(ServiceRecord).where(ServiceRecord.document_id.is_not(None)).order_by(ServiceRecord.id))
    return [(rec.id, why) for rec in records if (why := _why(rec, audited))]


def what_fixed(rec: ServiceRecord) -> dict[str, object] | None:
    """The event that fixed ``rec.effective_at`` (channel, event, ``at`` as a datetime), or None
    while service has not taken effect.

    Pages use it to tell the party *why* the date of service can be earlier than her signature:
    the message reached her phone (an arrival) or she opened the document before signing."""
    if rec.effective_at is None:
        return None
    counting = [e for e in rec.channels_tried or [] if e.get("counts") and e.get("event") in ARRIVALS + ACTS]
    if not counting:
        return {"channel": rec.effective_channel, "event": None, "at": rec.effective_at}
    first = min(counting, key=lambda e: datetime.fromisoformat(str(e["at"])))
    return {"channel": first.get("channel"), "event": first.get("event"), "at": rec.effective_at}
def other_method_date(method: str, *, received_on: date | None = None, published_on: date | None = None,
                      abroad: bool = False) -> date:
    """The legal date of service by a method other than the electronic one.

    ``received_on``: for post, the date received on the return card or in the tracking; for direct
    service, the day the recipient signed; for leaving at the address, the day it was left.
    ``published_on``: for public notice, the day of publication."""
    if method not in OTHER_METHODS:
        raise ValueError(f"method must be one of {OTHER_METHODS}")
    if method == "public_notice":
        if published_on is None:
            raise ValueError("public notice needs the publication date")
        return published_on + timedelta(days=PUBLIC_NOTICE_DAYS_ABROAD if abroad else PUBLIC_NOTICE_DAYS)
    if received_on is None:
        raise ValueError(f"{method} service needs the date received")
    return received_on


def start_of_day(day: date) -> datetime:
    """A legal date of service as the instant ``ServiceRecord.effective_at`` keeps: 00:00 Beijing time."""
    return datetime.combine(day, time(0, 0), tzinfo=CHINA)

