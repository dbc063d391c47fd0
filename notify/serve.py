"""Serving documents on parties: tell each actor their step is ready, keep the service record,
and escalate when a channel does not reach the party.

Channel and address for a party come from ``court.services.consent`` (the one home of the rule):
confirmed addresses first (a verified WeChat binding, then SMS, then e-mail), then a phone or
e-mail the court entered. A party without consent is only *told* that a document is waiting (the
link leads to the consent page first and nothing counts as service); a party who declined is told
and the case is flagged at once. If the WeChat message is not delivered or
opened within ``ESCALATE_SMS_AFTER_MINUTES`` an SMS follows; if nothing has been opened after
``ESCALATE_STAFF_AFTER_DAYS`` the case is flagged for staff (postal or public-notice service).
Escalation checks are scheduled with RQ's scheduler and also found by the periodic sweep, so a
lost scheduled job only delays them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, db
from court.errors import DomainError
from court.models import (
    Document,
    FlowStatus,
    FlowStep,
    Notification,
    NotificationStatus,
    Party,
    ServiceRecord,
    SigningFlow,
    Staff,
    StepAction,
    StepStatus,
)
from court.services import agents, consent, consent_addresses, outbox, service_actions
from notify import links, messages, settings

OPEN_STEP = (StepStatus.READY, StepStatus.RUNNING)
STEP_TEMPLATE = {StepAction.RECEIVE: "document_ready", StepAction.SIGN: "sign_request"}
STAFF_ACTION = {StepAction.APPROVE: "审批用印", StepAction.SIGN: "签名"}


def wechat_openid(s: Session, party: Party) -> str | None:
    """The party's WeChat address to use (a verified binding or one confirmed in consent)."""
    found = consent_addresses.eligibility(s, party).first(channels=("wechat",))
    return found.address if found is not None else None


def _context(doc: Document) -> dict[str, object]:
    case = doc.case
    return {"court": case.court.name, "case_number": case.number,
            "kind": messages.KIND_LABELS.get(doc.kind.value, "诉讼文书"), "title": doc.title,
            "days": settings.get().LINK_TTL_DAYS}


def _send(s: Session, *, channel: str, address: str, template: str, params: dict[str, object], party: Party,
          doc: Document, key: str) -> Notification | None:
    if s.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None:
        return None  # this cause already wrote its message (a job run twice)
    return outbox.add(s, channel=channel, address=address, template=template, params=params,
                      case_id=doc.case_id, party_id=party.id, person_id=party.person_id,
                      document_id=doc.id, dedupe_key=key)


def _schedule(s: Session, rec: ServiceRecord, at: datetime) -> None:
    rec.next_check_at = at
    delay = max(timedelta(0), at - db.utcnow())
    from notify import jobs  # (not at the top: notify.jobs imports this module)
    jobs.escalate.enqueue(rec.id, key=f"{rec.stage}-{int(at.timestamp())}", delay=delay, session=s)


def _flag(s: Session, rec: ServiceRecord, party: Party, doc: Document, reason: str) -> None:
    rec.stage, rec.next_check_at = "flagged", None
    consent.flag(s, doc.case_id, f"{party.name}：{reason}，需邮寄送达或公告送达（《{doc.title}》）")
    audit.record(s, "service.escalated_to_staff", case_id=doc.case_id, subject=f"party:{party.id}",
                 details={"document_id": doc.id, "reason": reason})


def step_ready(s: Session, step: FlowStep) -> None:
    """Tell the actor of a ready step; for a party, open (or reopen) the service record."""
    if step.status not in OPEN_STEP or step.flow.status is not FlowStatus.RUNNING:
        return
    if step.party_id is not None and step.action in STEP_TEMPLATE:
        _party_step(s, step)
    elif step.staff_id is not None and step.action in STAFF_ACTION:
        _staff_step(s, step)


def _party_step(s: Session, step: FlowStep) -> None:
    cfg = settings.get()
    party, doc = s.get(Party, step.party_id), step.flow.document
    rec = s.scalar(select(ServiceRecord).where(
        ServiceRecord.party_id == party.id, ServiceRecord.document_id == doc.id))
    if rec is None:
        rec = ServiceRecord(party_id=party.id, document_id=doc.id, channels_tried=[])
        s.add(rec)
    elif rec.step_id == step.id and rec.stage is not None:
        return  # already told about this step
    rec.step_id = step.id
    s.flush()
    if doc.versions:
        rec.served_version_id = doc.current.id
    template = STEP_TEMPLATE[step.action]
    params = _context(doc)
    standing = consent_addresses.eligibility(s, party)
    target = standing.first()
    now = db.utcnow()
    told_agents = _tell_agents(s, step, party, doc, template, params)
    if told_agents and party.kind == "organisation":
        target = None  # an organisation is reached through its agents' own links (they prove who they are)
    if target is None and told_agents:
        rec.stage = "sms"
        _schedule(s, rec, now + timedelta(days=cfg.ESCALATE_STAFF_AFTER_DAYS))
    elif target is not None:
        _send(s, channel=target.channel, address=target.address, template=template, params=params, party=party,
              doc=doc, key=f"step:{step.id}:{target.channel}")
        rec.stage = target.channel
        wait = (timedelta(minutes=cfg.ESCALATE_SMS_AFTER_MINUTES) if target.channel == "wechat"
                else timedelta(days=cfg.ESCALATE_STAFF_AFTER_DAYS))
        _schedule(s, rec, now + wait)
    else:
        s.add(Notification(channel="sms", address="", template=template, params=params, case_id=doc.case_id,
                           party_id=party.id, person_id=party.person_id, document_id=doc.id,
                           status=NotificationStatus.FAILED, error="no_address: 当事人未登记手机号码、电子邮箱或微信",
                           dedupe_key=f"step:{step.id}:none"))
        _flag(s, rec, party, doc, "没有可用的联系方式")
    if standing.declined is not None and rec.stage != "flagged":
        _flag(s, rec, party, doc, "当事人不同意电子送达")
    s.flush()
    audit.record(s, "service.notified", case_id=doc.case_id, subject=f"step:{step.id}",
                 details={"party_id": party.id, "document_id": doc.id, "stage": rec.stage,
                          "consent": standing.may_serve, "confirmed": bool(target and target.confirmed)})


def _tell_agents(s: Session, step: FlowStep, party: Party, doc: Document, template: str,
                 params: dict[str, object]) -> bool:
    """Send each agent who may receive service for ``party`` a link of their own (CPL art. 88)."""
    told = False
    for agent in agents.receivers(s, party):
        if agent.phone:
            _send(s, channel="sms", address=agent.phone, template=template, params=params, party=agent, doc=doc,
                  key=f"step:{step.id}:agent:{agent.id}")
            told = True
    return told


def resend(s: Session, step: FlowStep, address_key: str, nonce: str) -> Notification | None:
    """Write the outbox row of a clerk's re-send, asking the rule again (consent may have been
    withdrawn, or the flow cancelled, since the clerk clicked). Safe to run twice (``nonce``)."""
    try:
        if step.flow.status is not FlowStatus.RUNNING or step.status not in OPEN_STEP:
            raise DomainError("该事项已办结或流程已结束", code="item_closed")
        found = service_actions.target(s, step, address_key)
    except DomainError as exc:
        audit.record(s, "service.resend_dropped", subject=f"step:{step.id}", case_id=step.flow.document.case_id,
                     details={"reason": exc.code, "nonce": nonce})
        return None
    doc = step.flow.document  # to an organisation's agent: on the agent's own record, as in _tell_agents
    return _send(s, channel=found.channel, address=found.address, template=STEP_TEMPLATE[step.action],
                 params=_context(doc), party=found.recipient, doc=doc, key=f"resend:{step.id}:{nonce}")


def _staff_step(s: Session, step: FlowStep) -> None:
    staff, doc = s.get(Staff, step.staff_id), step.flow.document
    key = f"step:{step.id}:staff"
    if s.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None:
        return
    params = _context(doc) | {"action": STAFF_ACTION[step.action]}
    channel, address = ("email", staff.email) if staff.email else ("console", f"staff:{staff.id}")
    outbox.add(s, channel=channel, address=address, template="staff_task", params=params,
               case_id=doc.case_id, document_id=doc.id, dedupe_key=key)


def _opened(s: Session, rec: ServiceRecord) -> bool:
    """Has the party opened anything for this document (a link, a WeChat page) or acted?"""
    if s.scalar(select(Notification.id).where(
            Notification.party_id == rec.party_id, Notification.document_id == rec.document_id,
            Notification.opened_at.is_not(None)).limit(1)) is not None:
        return True
    step = s.get(FlowStep, rec.step_id) if rec.step_id else None
    return step is not None and step.status in (StepStatus.DONE, StepStatus.REFUSED)


def escalate(s: Session, rec: ServiceRecord, *, now: datetime | None = None) -> str | None:
    """Move one service record on if it is due; returns the new stage (None: nothing to do)."""
    cfg = settings.get()
    now = now or db.utcnow()
    if rec.stage not in ("wechat", "sms", "email") or rec.next_check_at is None or rec.next_check_at > now:
        return None
    step = s.get(FlowStep, rec.step_id) if rec.step_id else None
    if step is None or step.status not in OPEN_STEP or step.flow.status is not FlowStatus.RUNNING or _opened(s, rec):
        rec.stage, rec.next_check_at = "done", None
        return "done"
    party, doc = s.get(Party, rec.party_id), s.get(Document, rec.document_id)
    if rec.stage == "wechat":
        sms = consent_addresses.eligibility(s, party).first(channels=("sms",))
        if rec.effective_at is None and sms is not None:
            _send(s, channel="sms", address=sms.address, template=STEP_TEMPLATE[step.action], params=_context(doc),
                  party=party, doc=doc, key=f"step:{step.id}:sms")
            audit.record(s, "service.escalated_to_sms", case_id=doc.case_id, subject=f"party:{party.id}",
                         details={"document_id": doc.id})
        rec.stage = "sms"  # from here the staff deadline applies
        _schedule(s, rec, now + timedelta(days=cfg.ESCALATE_STAFF_AFTER_DAYS))
        s.flush()
        return rec.stage
    # sms / email stage: nothing opened in time, or every channel failed
    latest = s.scalar(select(Notification.status).where(
        Notification.party_id == rec.party_id, Notification.document_id == rec.document_id
    ).order_by(Notification.id.desc()).limit(1))
    failed = latest is NotificationStatus.FAILED
    if not consent.may_serve(s, party):
        reason = "当事人未同意电子送达"
    else:
        reason = "电子送达失败" if failed else f"{cfg.ESCALATE_STAFF_AFTER_DAYS}日内未查收"
    _flag(s, rec, party, doc, reason)
    s.flush()
    return "flagged"


def flow_finished(s: Session, flow: SigningFlow) -> None:
    """Stop escalation for the flow's parties; tell the staff who started it and the parties on
    WeChat; a cancelled or failed flow's SMS links stop working."""
    doc = flow.document
    party_ids = {st.party_id for st in flow.steps if st.party_id}
    for rec in s.scalars(select(ServiceRecord).where(
            ServiceRecord.document_id == doc.id, ServiceRecord.party_id.in_(party_ids or {0}))):
        if rec.stage in ("wechat", "sms", "email"):
            rec.stage, rec.next_check_at = "done", None
    if flow.status in (FlowStatus.CANCELLED, FlowStatus.FAILED):
        for pid in party_ids:
            links.revoke(s, party_id=pid, document_id=doc.id)
        return
    params = _context(doc)
    for pid in sorted(party_ids):
        party = s.get(Party, pid)
        openid = wechat_openid(s, party)
        if openid:
            _send(s, channel="wechat", address=openid, template="flow_finished", params=params, party=party,
                  doc=doc, key=f"flow:{flow.id}:party:{pid}")
    if flow.created_by_id:
        staff = s.get(Staff, flow.created_by_id)
        key = f"flow:{flow.id}:staff"
        if staff and s.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is None:
            channel, address = ("email", staff.email) if staff.email else ("console", f"staff:{staff.id}")
            outbox.add(s, channel=channel, address=address, template="flow_finished", params=params,
                       case_id=doc.case_id, document_id=doc.id, dedupe_key=key)
    s.flush()
