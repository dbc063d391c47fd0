"""Where a party may be served electronically: its addresses, confirmed or not, in the order to use.

Why its own module: every sender (notices, pushes, SMS fallback, resends) asks this, often for
thousands of parties at a time, so it is built for bulk (:func:`eligibility_many`: two queries
per chunk). The person's channel bindings proven by an identity check and the addresses confirmed
in the consent are *confirmed*; a phone or e-mail the court entered and the party never confirmed
is *unconfirmed*: a message may go there, but its arrival only counts once the party opens or
signs (``court.services.service_date``). Whether the party consented is
:mod:`court.services.consent`'s rule, asked here.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import phones
from court.models import ChannelBinding, Consent
from court.services.consent import PartyLike, in_force, rows_for

BINDING_CHANNEL = {"wechat": "wechat", "phone": "sms", "email": "email"}  # ChannelBinding → Notification
ORDER = ("wechat", "sms", "email")


# ---- where to reach a party ----------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    channel: str  # wechat | sms | email
    address: str
    confirmed: bool  # proven by an identity check or confirmed in consent
    source: str  # binding | consent | court


@dataclass
class Eligibility:
    """One party's standing for electronic service in its case, and its addresses in the order to use."""

    party_id: int
    case_id: int
    person_id: int | None
    consent: Consent | None = None  # the given consent in force
    declined: Consent | None = None  # the decline in force
    addresses: list[Address] = field(default_factory=list)

    @property
    def may_serve(self) -> bool:
        return self.consent is not None

    def first(self, *, channels: Iterable[str] = ORDER, exclude: Iterable[str] = ()) -> Address | None:
        """The address to use first (confirmed before unconfirmed; WeChat, then SMS, then e-mail)."""
        wanted, skip = set(channels), set(exclude)
        return next((a for a in self.addresses if a.channel in wanted and a.channel not in skip), None)

    def is_confirmed(self, channel: str, address: str) -> bool:
        return any(a.confirmed and a.channel == channel and a.address == address for a in self.addresses)


def _bindings(s: Session, person_ids: set[int]) -> dict[int, list[ChannelBinding]]:
    out: dict[int, list[ChannelBinding]] = defaultdict(list)
    if not person_ids:
        return out
    for b in s.scalars(select(ChannelBinding).where(ChannelBinding.person_id.in_(person_ids),
                                                    ChannelBinding.verified_at.is_not(None))
                       .order_by(ChannelBinding.verified_at.desc(), ChannelBinding.id.desc())):
        out[b.person_id].append(b)
    return out


def _build(party: PartyLike, rows: list[Consent], bindings: list[ChannelBinding]) -> Eligibility:
    current = in_force(rows)
    e = Eligibility(party.id, party.case_id, party.person_id,
                    consent=current if current is not None and current.decision == "given" else None,
                    declined=current if current is not None and current.decision == "declined" else None)
    found: list[Address] = []
    for b in bindings:
        channel = BINDING_CHANNEL.get(b.channel)
        if channel:
            found.append(Address(channel, b.address, True, "binding"))
    if e.consent is not None:
        for channel in e.consent.channels or []:
            value = (e.consent.address or {}).get(channel)
            if value:
                found.append(Address(channel, value, True, "consent"))
    if party.phone:
        found.append(Address("sms", phones.normalize(party.phone), False, "court"))
    if party.email:
        found.append(Address("email", party.email.strip().lower(), False, "court"))
    seen: set[tuple[str, str]] = set()
    unique: list[Address] = []
    for a in found:  # the first mention wins: a court-entered phone the party confirmed is confirmed
        if (a.channel, a.address) not in seen:
            seen.add((a.channel, a.address))
            unique.append(a)
    unique.sort(key=lambda a: (not a.confirmed, ORDER.index(a.channel)))  # stable: bindings' order kept
    e.addresses = unique
    return e


def eligibility(s: Session, party: PartyLike) -> Eligibility:
    return eligibility_many(s, [party])[party.id]


def eligibility_many(s: Session, parties: list[PartyLike]) -> dict[int, Eligibility]:
    """Eligibility of many parties in two queries (a push to 100,000 parties asks per chunk)."""
    rows = rows_for(s, parties)
    bindings = _bindings(s, {p.person_id for p in parties if p.person_id is not None})
    return {p.id: _build(p, rows.get(p.id, []), bindings.get(p.person_id, []) if p.person_id else [])
            for p in parties}
