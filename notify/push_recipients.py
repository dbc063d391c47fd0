"""Who a push reaches, and at which address: one message per person and channel.

A push is service of its notice on each party (``court.services.consent`` decides whether and
where), but the people behind the parties overlap: a lawyer may act for two companies of one case,
and a party may also be the legal representative of another. Each party's address is worked out
as before (:func:`plan`); parties of one case whose messages would go to the same address form a
group (:func:`groups`), and only the group's first party (lowest id) gets a message to send, naming
every party of the group; the others get their own outbox row (saying it went with that message)
and their own service record, and the message's delivery is written to every one of those records
(``court.services.service_date.push_parties``), so the evidence stays per party while the person
is told once. Groups are looked for only in cases with agents, the source of shared recipients.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from court.errors import DomainError
from court.models import AgentAuthority, Party, PartyRole
from court.services import agents, consent_addresses
from notify import messages

NO_CONSENT = "no_consent: 当事人未同意电子送达，需以其他方式送达"
NO_ADDRESS = "no_address: 当事人未登记手机号码、电子邮箱或微信"
COLUMNS = (Party.id, Party.case_id, Party.person_id, Party.phone, Party.email, Party.name, Party.kind, Party.role)


def target(e: consent_addresses.Eligibility, agent: Party | None = None) -> tuple[str, str, str | None]:
    """(channel, address, why not sent) for one party, as the consent rules decide; for an
    organisation, ``agent`` is the agent the notice goes to (:func:`agents_told`)."""
    if agent is not None and agent.phone:
        return ("sms", agent.phone, None if e.may_serve else NO_CONSENT)
    first = e.first()
    if first is None:
        return "sms", "", NO_ADDRESS
    if not e.may_serve:
        return first.channel, first.address, NO_CONSENT
    return first.channel, first.address, None


def agents_told(s: Session, parties: list[Any]) -> dict[int, Party]:
    """For the organisations among ``parties``: the agent who gets the notice. An organisation has no
    phone of its own (CPL arts. 51, 88: it is served through those who act for it), so the message
    goes to the first agent who may receive service now and has a phone, the legal representative
    first (``court.services.agents`` decides who may)."""
    out = {}
    for p in parties:
        if getattr(p, "kind", None) != "organisation":
            continue
        org = s.get(Party, p.id)
        assert org is not None
        legal_rep = {a.agent_party_id for a in agents.for_party(s, org) if a.role == "legal_representative"}
        told = sorted((a for a in agents.receivers(s, org) if a.phone), key=lambda a: a.id not in legal_rep)
        if told:
            out[p.id] = told[0]
    return out


@dataclass
class Plan:
    """One party's part of a push: where its notice goes, or why it does not."""

    party: Any  # a row of COLUMNS
    standing: consent_addresses.Eligibility
    channel: str
    address: str
    problem: str | None
    to: consent_addresses.Address | None  # the address as the date-of-service rule sees it


def plan(s: Session, parties: list[Any], now: datetime) -> dict[int, Plan]:
    standing = consent_addresses.eligibility_many(s, parties)
    told = agents_told(s, parties)
    out = {}
    for p in parties:
        e, agent = standing[p.id], told.get(p.id)
        channel, address, problem = target(e, agent)
        to = e.first()
        if agent is not None:  # arrival counts at the agent's verified phone (service_date decides)
            org = s.get(Party, p.id)
            assert org is not None
            to = consent_addresses.Address("sms", address, ("sms", address) in agents.confirmed_addresses(s, org, now),
                                           "agent")
        out[p.id] = Plan(p, e, channel, address, problem, to)
    return out


def groups(s: Session, where: list[Any], chunk: dict[int, Plan], now: datetime) -> tuple[dict[int, list[int]], dict[int, Plan]]:
    """The groups of the chunk's parties that share one address with other parties of the push in
    their case (party id → the group's ids, ascending), and the plans of every member."""
    case_ids = {pl.party.case_id for pl in chunk.values()}
    with_agents = set(s.scalars(select(AgentAuthority.case_id).where(AgentAuthority.case_id.in_(case_ids)))) \
        if case_ids else set()
    if not with_agents:
        return {}, chunk
    others = [p for p in s.execute(select(*COLUMNS).where(*where, Party.case_id.in_(with_agents))).all()
              if p.id not in chunk]
    plans = {**plan(s, others, now), **chunk}
    by_key: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for pl in plans.values():
        if pl.problem is None and pl.to is not None and pl.address and pl.party.case_id in with_agents:
            by_key[(pl.party.case_id, pl.channel, pl.address)].append(pl.party.id)
    out = {pid: sorted(ids) for ids in by_key.values() if len(ids) > 1 for pid in ids}
    return out, plans


def names_for(template: messages.MessageTemplate, params: dict[str, Any], members: list[Plan], sign_name: str) -> str:
    """The parties a shared message is for, as the message names them (an agent's own record is
    the person told, not a party served); shortened to "甲等3名当事人" when the SMS would be too long."""
    named = [pl.party.name for pl in members if pl.party.role is not PartyRole.AGENT] or \
        [pl.party.name for pl in members]
    for text in ("、".join(named), f"{named[0]}等{len(named)}名当事人"):
        try:
            messages.render_sms(template, {**params, "for_parties": text}, sign_name)
            return text
        except DomainError:  # too long: try the shorter form
            continue
    return ""
