"""What a clerk does to a party's service that is stuck: revoke the SMS link, send the notice
again on another channel, and the same for many rows at once. Cancelling a whole flow is a flow
rule (``court.services.flow_steps.cancel_flow``).

The one home of these rules; the console's worklist and the staff API both ask this module:

- only staff of the case's court act, and only on an open RECEIVE/SIGN step of a running flow;
- a re-send goes only to an address the party may be served at: consent in force, and an address
  that is confirmed (a binding proven by an identity check, or confirmed in the consent), as
  ``court.services.consent`` says. The message goes through the outbox (``notify.jobs.resend``
  writes it), so its delivery counts for the legal date of service by ``service_date``'s rules;
- a revoked link stops working at once; a re-send mints a new one;
- one re-send per step per :data:`RESEND_GAP`, so a double click or an eager bulk action does
  not flood a party's phone; a bulk action takes at most :data:`MAX_BULK` rows and reports each.

An organisation has no person and no phone of its own (the court serves it through the people who
act for it, CPL arts. 51 and 88): its re-send goes to one of its agents who may receive service now
(``court.services.agents.receivers``), on the agent's own record, so the link asks the agent to prove
who they are, exactly like the first notice (``notify.serve``). Whether its arrival fixes the
company's date of service is ``service_date``'s decision (the agent's verified phone).

Addresses are named by a short key (channel and a hash), never by the phone number itself, so
forms, URLs and job arguments carry no personal data.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from court import audit, crypto, db, events, ratelimit
from court.errors import Conflict, DomainError, NotFound, RateLimited
from court.i18n import N_
from court.models import FlowStatus, FlowStep, Party, SigningFlow, SmsLink, Staff, StepAction, StepStatus
from court.services import agents, consent_addresses, consent_text

RESEND_GAP = ratelimit.Limit(1, 600)  # one re-send of a step every ten minutes
MAX_BULK = 200
BULK_ACTIONS = ("remind", "revoke")
AGENT_ROLES = {True: N_("法定代表人"), False: N_("委托诉讼代理人")}  # keyed by "is the legal representative"


@dataclass(frozen=True)
class Choice:
    """An address a notice may be sent again to, as a clerk sees it (masked)."""

    key: str  # channel:hash, what a form posts back
    channel: str
    label: str  # masked: 138****0001, a***@example.cn, 已绑定的微信
    agent: str = ""  # for an organisation: the agent the notice goes to (name)
    agent_role: str = ""  # and their role (a msgid: 法定代表人 | 委托诉讼代理人)


@dataclass(frozen=True)
class Target:
    """Where a re-send goes and on whose record: the party itself, or an organisation's agent."""

    key: str  # as :func:`choices` names it (what the job is given)
    channel: str
    address: str
    recipient: Party

    @property
    def via_agent(self) -> bool:
        return agents.is_agent_record(self.recipient)


@dataclass
class RowResult:
    step_id: int
    ok: bool
    code: str  # queued | revoked | the refusal's code
    message: str = ""  # the refusal, in the reader's language
    party_name: str = ""
    channel: str = ""  # where a reminder went
    links: int = 0  # how many links a revoke stopped


def _party(step: FlowStep) -> Party:
    """The party of a party step (``open_step`` made sure there is one)."""
    assert step.party is not None
    return step.party


def address_key(channel: str, address: str) -> str:
    return f"{channel}:{hashlib.sha256(f'{channel}:{address}'.encode()).hexdigest()[:12]}"


def open_step(s: Session, staff: Staff, step_id: int, *, for_update: bool = False) -> FlowStep:
    """The open party step ``step_id`` of a case of ``staff``'s court (404 for anything else, so a
    clerk of another court learns nothing about it)."""
    step = s.get(FlowStep, step_id, with_for_update=for_update and db.is_postgres())
    if step is None or step.party_id is None or step.flow.document.case.court_id != staff.court_id:
        raise NotFound("该送达事项不存在", code="item_not_found")
    if step.action not in (StepAction.RECEIVE, StepAction.SIGN):
        raise NotFound("该送达事项不存在", code="item_not_found")
    if step.flow.status is not FlowStatus.RUNNING or step.status not in (StepStatus.READY, StepStatus.RUNNING):
        raise Conflict("该事项已办结或流程已结束", code="item_closed")
    return step


def court_flow(s: Session, staff: Staff, flow_id: int) -> SigningFlow:
    """A flow of a case of ``staff``'s court (404 otherwise)."""
    flow = s.get(SigningFlow, flow_id)
    if flow is None or flow.document.case.court_id != staff.court_id:
        raise NotFound("签署流程不存在", code="flow_not_found")
    return flow


def _agent_options(s: Session, party: Party) -> list[tuple[str, Party, str]]:
    """An organisation's agents who may receive service now and have a phone: (key, record, role)."""
    roles = {a.agent_party_id: AGENT_ROLES[a.role == "legal_representative"]
             for a in reversed(agents.for_party(s, party)) if agents.live(a)}
    return [(address_key("sms", f"agent:{a.id}:{a.phone}"), a, roles.get(a.id, ""))
            for a in agents.receivers(s, party) if a.phone]


def choices(s: Session, step: FlowStep) -> list[Choice]:
    """Where this step's notice may be sent again: the party's confirmed addresses while consent
    is in force (empty without consent); for an organisation, its agents who may receive service."""
    party = _party(step)
    if party.kind == "organisation":
        return [Choice(key, "sms", consent_text.mask("sms", a.phone or "") or "", agent=a.name, agent_role=role)
                for key, a, role in _agent_options(s, party)]
    standing = consent_addresses.eligibility(s, party)
    if not standing.may_serve:
        return []
    out = []
    for a in standing.addresses:
        if a.confirmed:
            label = consent_text.mask(a.channel, a.address) or "已绑定的微信"
            out.append(Choice(address_key(a.channel, a.address), a.channel, label))
    return out


def target(s: Session, step: FlowStep, key: str | None) -> Target:
    """The address ``key`` names (the first one when None), refused unless the party may be served
    there now. ``notify.jobs.resend`` asks again when it writes the message."""
    party = _party(step)
    if party.kind == "organisation":
        options = _agent_options(s, party)
        picked = options[0] if key is None and options else next((o for o in options if o[0] == key), None)
        if picked is None:
            raise DomainError("该单位当事人没有可以代为签收的代理人，请先登记法定代表人或委托诉讼代理人",
                              code="no_agent", status=409)
        return Target(picked[0], "sms", picked[1].phone or "", picked[1])
    standing = consent_addresses.eligibility(s, party)
    if not standing.may_serve:
        raise DomainError("当事人未同意电子送达，不能通过电子方式重新发送", code="no_consent", status=409)
    confirmed = [a for a in standing.addresses if a.confirmed]
    found = confirmed[0] if key is None and confirmed else next(
        (a for a in confirmed if address_key(a.channel, a.address) == key), None)
    if found is None:
        raise DomainError("所选地址不是当事人确认的送达地址", code="address_not_consented", status=409)
    return Target(address_key(found.channel, found.address), found.channel, found.address, party)


def resend(s: Session, staff: Staff, step: FlowStep, key: str | None, *, actor: str) -> Target:
    """Send the step's notice again to the chosen consented address (through the outbox)."""
    found = target(s, step, key)
    try:
        ratelimit.hit("worklist-resend", str(step.id), RESEND_GAP)
    except RateLimited:
        raise DomainError("十分钟内已重新发送过，请稍后再试", code="resent_recently", status=429) from None
    nonce = crypto.random_token(6)
    chosen = found.key
    events.emit(events.ResendRequested(step.id, chosen, nonce), s)
    audit.record(s, "service.resent", actor=actor, case_id=step.flow.document.case_id, subject=f"step:{step.id}",
                 details={"party_id": step.party_id, "document_id": step.flow.document_id,
                          "channel": found.channel, "address": chosen, "nonce": nonce,
                          "agent_party_id": found.recipient.id if found.via_agent else None})
    return found


def revoke_where(s: Session, *, party_id: int | None = None, document_id: int | None = None,
                 link_id: int | None = None, now: datetime | None = None) -> int:
    """Revoke live SMS links matching the filters; returns how many (``notify.links.revoke``)."""
    if party_id is None and document_id is None and link_id is None:
        raise ValueError("revoke needs at least one filter")
    stmt = update(SmsLink).where(SmsLink.revoked_at.is_(None)).values(revoked_at=now or db.utcnow())
    if party_id is not None:
        stmt = stmt.where(SmsLink.party_id == party_id)
    if document_id is not None:
        stmt = stmt.where(SmsLink.document_id == document_id)
    if link_id is not None:
        stmt = stmt.where(SmsLink.id == link_id)
    return db.rowcount(s.execute(stmt.execution_options(synchronize_session=False)))


def revoke_links(s: Session, staff: Staff, step: FlowStep, *, actor: str) -> int:
    """Stop the party's SMS links for this document at once (a lost or shared phone, a wrong
    number); a re-send issues a new one. Returns how many links were live."""
    count = revoke_where(s, party_id=step.party_id, document_id=step.flow.document_id)
    audit.record(s, "link.revoked", actor=actor, case_id=step.flow.document.case_id, subject=f"step:{step.id}",
                 details={"party_id": step.party_id, "document_id": step.flow.document_id, "links": count})
    return count


def bulk(s: Session, staff: Staff, step_ids: list[int], action: str, *, actor: str) -> list[RowResult]:
    """Remind (re-send on the first consented address) or revoke links for many rows; each row
    stands alone (a savepoint), so one refusal does not undo the others."""
    if action not in BULK_ACTIONS:
        raise DomainError("未知的批量操作", code="bad_action")
    ids = list(dict.fromkeys(step_ids))
    if not ids:
        raise DomainError("请至少选择一项", code="nothing_selected")
    if len(ids) > MAX_BULK:
        raise DomainError("一次最多处理{limit}项", code="too_many", limit=MAX_BULK)
    results = []
    for step_id in ids:
        try:
            with s.begin_nested():
                step = open_step(s, staff, step_id)
                if action == "remind":
                    found = resend(s, staff, step, None, actor=actor)
                    results.append(RowResult(step_id, True, "queued", party_name=_party(step).name,
                                             channel=found.channel))
                else:
                    count = revoke_links(s, staff, step, actor=actor)
                    results.append(RowResult(step_id, True, "revoked", party_name=_party(step).name, links=count))
        except DomainError as exc:
            results.append(RowResult(step_id, False, exc.code, exc.localized()))
    audit.record(s, f"worklist.bulk_{action}", actor=actor,
                 details={"rows": len(ids), "ok": sum(r.ok for r in results)})
    return results
