"""Who may act for a party, and in which acts: the one home of the rule (issue 13).

A party may be a natural person or an organisation (``Party.kind``). An organisation acts through
its legal representative (法定代表人, CPL art. 51); any party may appoint up to two authorised agents
(委托诉讼代理人, CPL art. 61) with a power of attorney that states whether the authority is general
(一般授权) or special (特别授权, CPL art. 62). The court enters the agent like a party (a ``Party``
row with role ``agent`` and the agent's own name, ID number and phone) and records an
:class:`~court.models.AgentAuthority` tying that row to the party acted for. The agent proves who
they are against their *own* identity (SMS code and face check, or the other routes) through the
ordinary pages; knowing an agent's name and ID number grants nothing, as for any party.

Every channel asks :func:`require` (or :func:`may_act`): "may person P act for party X in act A
now?". The party pages, signing, consent and receipts all go through it, so a revoked or expired
authority stops working everywhere at once.

The scope table (CPL art. 62: to admit, waive or change claims, settle, counterclaim or appeal an
agent needs special authority; art. 88: service may be made on the agent, who signs for it):

============================  =========  ========  =======
act                           statutory  special   general
============================  =========  ========  =======
``view`` served documents     yes        yes       yes
``receive`` (sign a receipt)  yes        yes       yes
``sign`` a transcript         yes        yes       yes
``sign_settlement``           yes        yes       no
``consent_give``              yes        yes       yes
``consent_decline``           yes        yes       no
``consent_withdraw``          yes        yes       no
============================  =========  ========  =======

Why: receiving service and reading what was served is the core of any authority to litigate, and
agreeing to be served electronically is only a way of receiving service. Signing a mediation
agreement is settling (和解), which art. 62 reserves to special authority; refusing to sign it is
the same decision. Declining or withdrawing electronic service gives up a way of being served the
party may rely on and changes how the court must proceed (it flags the case for other service),
so it is treated like the waivers of art. 62 and needs special authority. A legal representative
is the organisation's own organ (CPL art. 51), not an agent: ``statutory`` covers every act.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, db, storage
from court.errors import Conflict, DomainError, Forbidden, NotFound
from court.models import AgentAuthority, Case, DocumentKind, FlowStep, Party, PartyRole, StepAction
from court.pdfcheck import check_pdf
from court.services import cases as case_service
from court.services import lifecycle

ROLES = {
    "legal_representative": "法定代表人",
    "lawyer": "律师",
    "legal_worker": "基层法律服务工作者",
    "employee": "工作人员",
    "relative": "近亲属",
    "recommended": "社区、单位或社会团体推荐的公民",
}
SCOPES = {"statutory": "法定代表", "special": "特别授权", "general": "一般授权"}
ACTS = ("view", "receive", "sign", "sign_settlement", "consent_give", "consent_decline", "consent_withdraw")
SCOPE_TABLE: dict[str, frozenset[str]] = {
    "statutory": frozenset(ACTS),
    "special": frozenset(ACTS),
    "general": frozenset({"view", "receive", "sign", "consent_give"}),
}
MAX_POA_BYTES = 20 * 1024 * 1024
MAX_AGENTS = 2  # CPL art. 61: one or two agents per party (the legal representative is not one)


def _now(now: datetime | None) -> datetime:
    return now or db.utcnow()


def live(a: AgentAuthority, now: datetime | None = None) -> bool:
    """In force at ``now``: not revoked, started, not ended."""
    now = _now(now)
    return (a.revoked_at is None or a.revoked_at > now) and a.valid_from <= now and (
        a.valid_until is None or a.valid_until > now)


def status(a: AgentAuthority, now: datetime | None = None) -> str:
    """``active`` | ``revoked`` | ``expired`` | ``not_yet`` (what the console shows)."""
    now = _now(now)
    if a.revoked_at is not None and a.revoked_at <= now:
        return "revoked"
    if a.valid_until is not None and a.valid_until <= now:
        return "expired"
    if a.valid_from > now:
        return "not_yet"
    return "active"


def act_for_step(step: FlowStep) -> str:
    """The act a party's step asks for: signing a mediation agreement is settling (CPL art. 62)."""
    if step.action is StepAction.RECEIVE:
        return "receive"
    if step.flow.document.kind is DocumentKind.MEDIATION_AGREEMENT:
        return "sign_settlement"
    return "sign"


def authorities_of(s: Session, person_id: int) -> list[AgentAuthority]:
    """Every authority whose agent record is bound to ``person_id`` (any state)."""
    return list(s.scalars(select(AgentAuthority).join(Party, Party.id == AgentAuthority.agent_party_id)
                          .where(Party.person_id == person_id).order_by(AgentAuthority.id)))


def for_party(s: Session, party: Party) -> list[AgentAuthority]:
    """The party's agents and legal representative, newest first (any state)."""
    return list(s.scalars(select(AgentAuthority).where(AgentAuthority.principal_party_id == party.id)
                          .order_by(AgentAuthority.id.desc())))


def _is_self(party: Party, person_id: int | None) -> bool:
    return person_id is not None and party.kind != "organisation" and party.person_id == person_id


def authority_for(s: Session, person_id: int | None, party: Party, act: str, *,
                  now: datetime | None = None) -> AgentAuthority | None:
    """The live authority by which ``person_id`` may do ``act`` for ``party``, or None."""
    if act not in ACTS:
        raise ValueError(f"unknown act {act!r}")
    if person_id is None:
        return None
    return next((a for a in authorities_of(s, person_id)
                 if a.principal_party_id == party.id and live(a, now) and act in SCOPE_TABLE.get(a.scope, ())), None)


def may_act(s: Session, person_id: int | None, party: Party, act: str, *, now: datetime | None = None) -> bool:
    """May ``person_id`` do ``act`` for ``party`` now: the party in person, or within a live authority."""
    return _is_self(party, person_id) or authority_for(s, person_id, party, act, now=now) is not None


def require(s: Session, person_id: int | None, party: Party, act: str, *,
            now: datetime | None = None) -> AgentAuthority | None:
    """The authority used (None when the party acts in person), or Forbidden saying why not."""
    if _is_self(party, person_id):
        return None
    found = authority_for(s, person_id, party, act, now=now)
    if found is not None:
        return found
    mine = [a for a in authorities_of(s, person_id) if a.principal_party_id == party.id] if person_id else []
    states = {status(a, now) for a in mine}
    if mine and "active" in states:
        raise Forbidden("您的授权范围不包括此事项（需要特别授权），请由当事人本人或特别授权的代理人办理",
                        code="agent_out_of_scope")
    if "revoked" in states:
        raise Forbidden("您代理该当事人的授权已被撤销", code="agent_revoked")
    if "expired" in states:
        raise Forbidden("您代理该当事人的授权已过期", code="agent_expired")
    if "not_yet" in states:
        raise Forbidden("您代理该当事人的授权尚未生效", code="agent_not_yet")
    raise Forbidden("您不是该当事人或其代理人", code="not_the_party")


def principals(s: Session, person_id: int | None, *, act: str = "view", now: datetime | None = None) -> list[int]:
    """The parties ``person_id`` may do ``act`` for as an agent, now."""
    if person_id is None:
        return []
    return sorted({a.principal_party_id for a in authorities_of(s, person_id)
                   if live(a, now) and act in SCOPE_TABLE.get(a.scope, ())})


def is_agent_record(party: Party) -> bool:
    """An agent's own record: it stands for the person who acts, never for a party served."""
    return party.role is PartyRole.AGENT


# ---- what the receipt, the credential and the audit say ------------------------------------------
def describe_party(party: Party) -> str:
    """The party as a receipt names it: an organisation with its code, a person with the masked ID."""
    if party.kind == "organisation" and party.uscc:
        return f"{party.name}（统一社会信用代码 {party.uscc}）"
    if party.id_number_masked:
        return f"{party.name}（身份证号码 {party.id_number_masked}）"
    return party.name


def role_title(a: AgentAuthority) -> str:
    return "法定代表人" if a.role == "legal_representative" else "委托诉讼代理人"


def acted_for(a: AgentAuthority, verb: str = "签收") -> str:
    """``北京某某科技有限公司（统一社会信用代码 …）由委托诉讼代理人 李四 代为签收``."""
    return f"{describe_party(a.principal)}由{role_title(a)} {a.agent.name} 代为{verb}"[:300]


# ---- staff: adding and revoking -----------------------------------------------------------------
@dataclass
class AgentInput:
    name: str
    id_number: str | None
    phone: str | None
    role: str
    scope: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _check_input(item: AgentInput, principal: Party) -> None:
    if item.role not in ROLES:
        raise DomainError("代理人身份不正确", code="bad_agent_role", allowed=", ".join(ROLES))
    if item.role == "legal_representative":
        if principal.kind != "organisation":
            raise DomainError("只有单位当事人有法定代表人", code="bad_agent_role")
        if item.scope != "statutory":
            raise DomainError("法定代表人的代理权限为法定代表", code="bad_agent_scope")
    elif item.scope not in ("special", "general"):
        raise DomainError("授权范围须为特别授权或一般授权", code="bad_agent_scope")
    if item.valid_until is not None and item.valid_from is not None and item.valid_until <= item.valid_from:
        raise DomainError("授权截止日期须晚于开始日期", code="bad_agent_dates")


def _agent_record(s: Session, case: Case, item: AgentInput, *, ttl_days: int, actor: str) -> tuple[Party, str | None]:
    """The agent's own record in the case: the existing one for the same person (one lawyer may act
    for two co-defendants), else a new one with its association code (returned in clear, once)."""
    from court import crypto, idnumbers

    if item.id_number:
        number = idnumbers.validated(item.id_number)
        same = s.scalar(select(Party).where(Party.case_id == case.id,
                                            Party.id_number_hash == crypto.lookup_hash(number)))
        if same is not None:
            if same.role is not PartyRole.AGENT or same.name != item.name.strip():
                raise Conflict("该身份证号码已登记为本案其他当事人，不能作为代理人", code="agent_is_party")
            return same, None
    ((party, code),) = case_service.add_parties(s, case, [case_service.PartyInput(
        role=PartyRole.AGENT, name=item.name, id_number=item.id_number, phone=item.phone)], ttl_days=ttl_days,
        actor=actor)
    return party, code


def add(s: Session, principal: Party, item: AgentInput, *, poa: bytes | None, actor: str, ttl_days: int = 30,
        max_bytes: int = MAX_POA_BYTES) -> tuple[AgentAuthority, str | None]:
    """Record an agent (or the legal representative) of ``principal``; returns the authority and the
    agent's association code when a new agent record was made.

    An authorised agent needs the power of attorney signed or sealed by the party (CPL art. 62): a
    PDF, checked like any upload (in the sandbox) before anything is stored. Nothing is added when
    any input is refused."""
    case = principal.case
    lifecycle.require_writable(case)
    if is_agent_record(principal):
        raise DomainError("代理人不能再委托代理人", code="bad_principal")
    _check_input(item, principal)
    now = db.utcnow()
    current = [a for a in for_party(s, principal) if status(a, now) in ("active", "not_yet")]
    if item.role == "legal_representative" and any(a.role == "legal_representative" for a in current):
        raise Conflict("该单位已登记法定代表人，请先撤销原登记", code="legal_rep_exists")
    if item.role != "legal_representative" and sum(a.role != "legal_representative" for a in current) >= MAX_AGENTS:
        raise Conflict("每名当事人最多委托两名诉讼代理人，请先撤销原委托", code="too_many_agents")
    if item.role != "legal_representative" and not poa:
        raise DomainError("请上传授权委托书（PDF）", code="poa_required")
    if poa:
        check_pdf(poa, max_bytes)
    record, code = _agent_record(s, case, item, ttl_days=ttl_days, actor=actor)
    if any(a.agent_party_id == record.id for a in current):
        raise Conflict("{name}已是该当事人的代理人", code="agent_exists", name=record.name)
    authority = AgentAuthority(
        case_id=case.id, principal_party_id=principal.id, agent_party_id=record.id, role=item.role, scope=item.scope,
        valid_from=item.valid_from or now, valid_until=item.valid_until, created_by=actor)
    if poa:
        authority.poa_key = storage.store().put(poa)
        authority.poa_sha256 = hashlib.sha256(poa).hexdigest()
    s.add(authority)
    s.flush()
    audit.record(s, "agent.added", actor=actor, case_id=case.id, subject=f"agent_authority:{authority.id}", details={
        "principal": principal.id, "agent_party": record.id, "role": item.role, "scope": item.scope,
        "valid_from": authority.valid_from.isoformat(),
        "valid_until": authority.valid_until.isoformat() if authority.valid_until else None,
        "poa_sha256": authority.poa_sha256, "id_number": record.id_number_masked})
    return authority, code


def get(s: Session, case: Case, authority_id: int) -> AgentAuthority:
    a = s.get(AgentAuthority, authority_id)
    if a is None or a.case_id != case.id:
        raise NotFound("代理授权不存在", code="agent_not_found")
    return a


def revoke(s: Session, a: AgentAuthority, *, actor: str, reason: str = "") -> AgentAuthority:
    """End an authority now (the party revoked it, or the lawyer withdrew: CPL art. 64). What the
    agent did before stays valid; from now on every channel refuses them. Safe to call twice."""
    if a.revoked_at is not None:
        return a
    a.revoked_at = db.utcnow()
    a.revoked_by = actor
    a.revoke_reason = (reason or "").strip()[:500] or None
    s.flush()
    audit.record(s, "agent.revoked", actor=actor, case_id=a.case_id, subject=f"agent_authority:{a.id}",
                 details={"principal": a.principal_party_id, "agent_party": a.agent_party_id, "reason": a.revoke_reason})
    return a


def read_poa(a: AgentAuthority) -> bytes:
    if not a.poa_key:
        raise NotFound("未上传授权委托书", code="poa_missing")
    return storage.store().get(a.poa_key)


def confirmed_addresses(s: Session, party: Party, at: datetime) -> set[tuple[str, str]]:
    """Addresses that reach the party through an agent who could receive service at ``at``: the
    verified bindings of the agents' persons (CPL art. 88: delivery to the agent is service)."""
    from court.models import ChannelBinding

    agent_parties = [a.agent for a in for_party(s, party) if live(a, at) and "receive" in SCOPE_TABLE.get(a.scope, ())]
    person_ids = {p.person_id for p in agent_parties if p.person_id is not None}
    if not person_ids:
        return set()
    rows = s.execute(select(ChannelBinding.channel, ChannelBinding.address).where(
        ChannelBinding.person_id.in_(person_ids), ChannelBinding.verified_at.is_not(None)))
    channels = {"phone": "sms"}
    return {(channels.get(c, c), addr) for c, addr in rows}


def consent_actor(s: Session, actor: str, party: Party, act: str) -> str:
    """Who to record for a consent answer: a person answering for their own party stays
    ``person:<id>``; an agent becomes ``agent:<authority>:person:<id>`` (recorded as given by the
    agent for the party), refused outside their authority. Staff and system actors pass unchanged."""
    if not actor.startswith("person:"):
        return actor
    person_id = int(actor.split(":")[1])
    held = [a for a in authorities_of(s, person_id) if a.principal_party_id == party.id]
    if not held and party.kind != "organisation":
        # not an agent's act: the bot and the party pages offer a person only their own party records
        return actor
    a = require(s, person_id, party, act)
    return actor if a is None else f"agent:{a.id}:{actor}"


def consent_agent(s: Session, recorded_by: str | None) -> AgentAuthority | None:
    """The authority a consent answer was given under (see :func:`consent_actor`), or None."""
    if not recorded_by or not recorded_by.startswith("agent:"):
        return None
    try:
        return s.get(AgentAuthority, int(recorded_by.split(":")[1]))
    except ValueError:
        return None


def receivers(s: Session, party: Party, *, now: datetime | None = None) -> list[Party]:
    """The agent records to tell when a document is served on ``party`` (CPL art. 88: service may be
    made on the agent): every agent whose authority lets them receive service now."""
    return [a.agent for a in reversed(for_party(s, party)) if live(a, now) and "receive" in SCOPE_TABLE.get(a.scope, ())]


def represented(s: Session, agent_party_id: int, *, act: str = "receive", now: datetime | None = None) -> list[int]:
    """The parties the agent record ``agent_party_id`` may do ``act`` for at ``now`` (a message sent
    to the agent's own record reaches them: CPL art. 88)."""
    rows = s.scalars(select(AgentAuthority).where(AgentAuthority.agent_party_id == agent_party_id))
    return sorted({a.principal_party_id for a in rows if live(a, now) and act in SCOPE_TABLE.get(a.scope, ())})
