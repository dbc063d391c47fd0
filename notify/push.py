"""Staff pushes: one notice template to many parties across one or more cases.

:func:`start_push` checks everything a person can get wrong (unknown template, missing field,
cases of another court, parties not in the cases) and returns at once; the fan-out runs in the
background (:func:`fan_out`): parties are taken in id order, a chunk at a time; each chunk's
outbox rows are bulk-inserted in one transaction together with the push's cursor, and one
dispatch job per chunk is sent after the commit. An interrupted fan-out resumes from the cursor
(the sweep restarts it), and every row's dedupe key (``push:<id>:<party>``) makes writing a
party twice impossible. Parties with no way to reach them get a failed row saying why.

A push is service of the notice it carries, so it goes through the same rules as every sender
(``court.services.consent``, asked in bulk, once per chunk): a party who consented gets the
message at their first address (confirmed ones first) and a :class:`ServiceRecord` for the push,
whose legal date of service the delivery reports then fix; a party without consent gets no
message (a failed row saying so) and their case is flagged for another method of service.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from court import audit, db
from court.errors import DomainError, NotFound
from court.models import Case, NoticePush, Notification, NotificationStatus, Party, PartyRole, ServiceRecord
from court.services import consent, consent_addresses
from notify import messages, push_recipients, settings

S = NotificationStatus


def _recipients(spec: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise DomainError("收件人格式不正确", code="bad_recipients")
    keys = {k for k in ("all", "roles", "party_ids") if spec.get(k)}
    if len(keys) != 1:
        raise DomainError("请选择收件人：全部当事人、按诉讼地位或指定当事人（三选一）", code="bad_recipients")
    if "roles" in keys:
        roles = list(spec["roles"])
        allowed = {r.value for r in PartyRole}
        bad = [r for r in roles if r not in allowed]
        if bad:
            raise DomainError("未知的诉讼地位：{roles}", code="bad_role", roles=", ".join(map(str, bad)))
        return {"roles": sorted(set(roles))}
    if "party_ids" in keys:
        return {"party_ids": sorted({int(p) for p in spec["party_ids"]})}
    return {"all": True}


def _party_filter(push_case_ids: list[int], spec: dict[str, Any]) -> list[Any]:
    where: list[Any] = [Party.case_id.in_(push_case_ids)]
    if "roles" in spec:
        where.append(Party.role.in_([PartyRole(r) for r in spec["roles"]]))
    elif "party_ids" in spec:
        where.append(Party.id.in_(spec["party_ids"]))
    return where


@dataclass(frozen=True)
class Checked:
    """A push request that passed every check: what :func:`start_push` stores and
    :func:`preview` shows."""

    template: messages.MessageTemplate
    fields: dict[str, str]
    case_ids: list[int]
    recipients: dict[str, Any]
    total: int


def check(
    s: Session, *, court_id: int, case_ids: list[int], recipients: dict[str, Any], template: str,
    fields: dict[str, Any],
) -> Checked:
    """Everything a person can get wrong in a push, checked before anything is stored."""
    tpl = messages.get(template)
    if not tpl.pushable:
        raise DomainError("该模板不能用于推送：{name}", code="unknown_template", name=template)
    clean = messages.check_fields(tpl, fields or {})
    case_ids = sorted({int(c) for c in case_ids or []})
    if not case_ids:
        raise DomainError("请至少选择一个案件", code="no_cases")
    found = set(s.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.court_id == court_id)))
    missing = [c for c in case_ids if c not in found]
    if missing:
        raise NotFound("案件不存在：{ids}", code="case_not_found", ids=", ".join(map(str, missing)))
    spec = _recipients(recipients)
    where = _party_filter(case_ids, spec)
    total = s.scalar(select(func.count()).select_from(Party).where(*where)) or 0
    if "party_ids" in spec and total != len(spec["party_ids"]):
        raise DomainError("部分当事人不属于所选案件", code="party_not_in_case")
    if total == 0:
        raise DomainError("所选案件中没有符合条件的当事人", code="no_recipients")
    # every rendered message must fit the SMS rules: check with the longest court name / case number
    sample = s.execute(select(Case.number).where(Case.id.in_(case_ids)).order_by(func.length(Case.number).desc())).first()
    messages.render_sms(tpl, message_params(clean, _court_name(s, court_id), sample[0]), settings.get().SMS_SIGN_NAME)
    return Checked(tpl, clean, case_ids, spec, total)


def start_push(
    s: Session, *, court_id: int, case_ids: list[int], recipients: dict[str, Any], template: str,
    fields: dict[str, Any], actor: str = "system",
) -> NoticePush:
    ok = check(s, court_id=court_id, case_ids=case_ids, recipients=recipients, template=template, fields=fields)
    push = NoticePush(court_id=court_id, template=template, fields=ok.fields, case_ids=ok.case_ids,
                      recipients=ok.recipients, total=ok.total, status="queued")
    if actor.startswith("staff:"):
        push.created_by_id = int(actor.split(":")[1])
    s.add(push)
    s.flush()
    audit.record(s, "notice.push_created", actor=actor, subject=f"push:{push.id}",
                 details={"template": template, "cases": len(ok.case_ids), "recipients": ok.recipients,
                          "total": ok.total})
    from notify import jobs  # (not at the top: notify.jobs imports this module)
    jobs.fan_out.enqueue(push.id, key="", session=s)
    return push


def message_params(fields: dict[str, Any], court_name: str, case_number: str) -> dict[str, Any]:
    """What one party's message is rendered from: the push's fields and their case (the sender
    and the preview both use this, so the preview is the message)."""
    return {**fields, "court": court_name, "case_number": case_number}


_target = push_recipients.target
_agents_told = push_recipients.agents_told


def _masked(channel: str, address: str | None) -> str:
    """An address as staff pages show it: phone and e-mail masked, a WeChat openid not at all."""
    from court import crypto

    if not address or channel == "wechat":
        return ""
    if channel == "email" and "@" in address:
        user, _, domain = address.partition("@")
        return f"{user[:1]}***@{domain}"
    return crypto.mask_phone(address) if channel == "sms" else address


@dataclass(frozen=True)
class PreviewRecipient:
    party_id: int
    name: str
    role: PartyRole
    case_number: str
    channel: str
    address: str  # masked for the page
    problem: str | None  # why the party would get nothing (code: words)
    agent: str = ""  # an organisation: the agent the notice goes to


@dataclass(frozen=True)
class Preview:
    """The push exactly as parties will see it, before anything is stored or sent."""

    checked: Checked
    case_number: str  # the case the sample message is rendered for
    sms: str  # the SMS as the phone shows it (signature included)
    sms_parts: int
    wechat_title: str
    wechat: list[tuple[str, str]]  # (field name on the phone, text shown)
    recipients: list[PreviewRecipient]  # the first PREVIEW_RECIPIENTS, with the channel each gets


PREVIEW_RECIPIENTS = 200


def _wechat_shown(tpl: messages.MessageTemplate, params: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    """The WeChat template message as the phone shows it: the sender's slot values
    (:func:`messages.wechat_data`) in the configured template's fields, fitted and cut as WeChat does."""
    from wechat import rules as wechat_rules
    from wechat import settings as wechat_settings
    from wechat.templates import WECHAT_LAYOUTS, default_wechat_fields, template_specs

    layout = WECHAT_LAYOUTS.get(tpl.name)
    if layout is None:
        return "", []
    keys = default_wechat_fields(tpl.name)
    try:
        spec = template_specs(wechat_settings.current()).get(tpl.name)
        keys = dict(spec.fields) if spec is not None else keys
    except Exception:  # noqa: BLE001 - a misconfigured template shows the recommended layout
        pass
    labels = {keys[slot.name]: slot.label for slot in layout.slots if slot.name in keys}
    values = messages.wechat_data(tpl, params)
    data = {keys[slot]: {"value": wechat_rules.fit(keys[slot], v)} for slot, v in values.items() if slot in keys}
    shown = wechat_rules.shown(data)
    return layout.title, [(labels.get(k, k), text) for k, text in shown.fields]


def preview(
    s: Session, *, court_id: int, case_ids: list[int], recipients: dict[str, Any], template: str,
    fields: dict[str, Any],
) -> Preview:
    """Check a push and render it for its first case and first recipients, with the channel each
    would be sent on (the same consent rules as :func:`fan_out`), storing nothing."""
    ok = check(s, court_id=court_id, case_ids=case_ids, recipients=recipients, template=template, fields=fields)
    court_name = _court_name(s, court_id)
    parties = s.execute(
        select(Party.id, Party.case_id, Party.person_id, Party.phone, Party.email, Party.name, Party.role, Party.kind)
        .where(*_party_filter(ok.case_ids, ok.recipients)).order_by(Party.id).limit(PREVIEW_RECIPIENTS)).all()
    numbers = dict(s.execute(select(Case.id, Case.number).where(Case.id.in_(ok.case_ids))).all())
    standing = consent_addresses.eligibility_many(s, parties)
    told = _agents_told(s, parties)
    listed = []
    for p in parties:
        agent = told.get(p.id)
        channel, address, problem = _target(standing[p.id], agent)
        listed.append(PreviewRecipient(p.id, p.name, p.role, numbers[p.case_id], channel, _masked(channel, address),
                                       problem, agent.name if agent is not None else ""))
    number = numbers[parties[0].case_id] if parties else numbers[ok.case_ids[0]]
    params = message_params(ok.fields, court_name, number)
    sms = messages.render_sms(ok.template, params, settings.get().SMS_SIGN_NAME)
    title, wechat = _wechat_shown(ok.template, params)
    return Preview(ok, number, sms, messages.sms_parts(sms), title, wechat, listed)


def template_label(name: str) -> str:
    """The notice's name for staff (``hearing_notice`` → 开庭通知), from the templates' table."""
    tpl = messages.TEMPLATES.get(name)
    return tpl.title if tpl is not None else "通知"


def _court_name(s: Session, court_id: int) -> str:
    from court.models import Court

    return s.get(Court, court_id).name


def fan_out(push_id: int, *, on_chunk: Callable[[int], None] | None = None) -> int:
    """Write the push's outbox rows chunk by chunk; returns how many rows this run wrote."""
    cfg = settings.get()
    chunk = max(1, int(cfg.PUSH_CHUNK_SIZE))
    written = 0
    while True:
        with db.transaction() as s:
            push = s.get(NoticePush, push_id, with_for_update=db.is_postgres())
            if push is None or push.status in ("dispatched", "done", "failed"):
                return written
            now = db.utcnow()
            if push.status == "queued":
                push.status = "running"
            push.heartbeat_at = now
            court_name = _court_name(s, push.court_id)
            where = _party_filter(push.case_ids, push.recipients)
            parties = s.execute(
                select(*push_recipients.COLUMNS).where(*where, Party.id > push.cursor).order_by(Party.id).limit(chunk)
            ).all()
            if not parties:
                push.status = "dispatched"
                push.finished_at = now
                audit.record(s, "notice.push_dispatched", subject=f"push:{push.id}",
                             details={"queued": push.queued, "total": push.total})
                return written
            plans = push_recipients.plan(s, parties, now)
            shared, plans = push_recipients.groups(s, where, plans, now)
            case_numbers = dict(s.execute(select(Case.id, Case.number).where(
                Case.id.in_({pl.party.case_id for pl in plans.values()}))).all())
            # written already with their group's first party (an earlier chunk, or a resumed run)
            done = set(s.scalars(select(Notification.party_id).where(
                Notification.push_id == push.id,
                Notification.party_id.in_({p.id for p in parties} | {m for g in shared.values() for m in g}))))
            rows, records, unserved = [], [], {}
            for p in parties:
                if p.id in done:
                    continue
                group = shared.get(p.id, [p.id])
                if group[0] != p.id:  # its group's first party went without it: a message of its own
                    group = [p.id]
                group = [m for m in group if m not in done]
                done.update(group)
                members = [plans[m] for m in group]
                params = message_params(push.fields, court_name, case_numbers[p.case_id])
                if len(members) > 1:
                    names = push_recipients.names_for(messages.get(push.template), params, members,
                                                      cfg.SMS_SIGN_NAME)
                    params = {**params, "for_parties": names, "for_party_ids": group}
                for pl in members:
                    row = {"case_id": pl.party.case_id, "party_id": pl.party.id, "person_id": pl.party.person_id,
                           "document_id": None, "template": push.template, "params": params, "status": S.PENDING,
                           "attempts": 0, "push_id": push.id, "dedupe_key": f"push:{push.id}:{pl.party.id}",
                           "created_at": now, "error": None, "channel": pl.channel, "address": pl.address}
                    if pl.party.id != p.id:  # one message per person: the others' rows say it went with it
                        row.update(status=S.CANCELLED, params={"merged_with_party": p.id},
                                   error=f"merged: 与{p.name}的通知合并为一条消息发送给同一收件人")
                    if pl.problem is not None:
                        row.update(status=S.FAILED, error=pl.problem)
                        if pl.to is not None:  # reachable but not consented: another method of service
                            unserved.setdefault(pl.party.case_id, []).append(pl.party.name)
                    elif pl.to is not None:
                        # what the rules decided when the message was queued, so the delivery of a
                        # 100,000-party push need not ask again (court.services.service_date re-checks withdrawals)
                        queued = {"event": "queued", "channel": pl.to.channel, "at": now.isoformat(), "counts": False,
                                  "confirmed": pl.to.confirmed, "consent_id": pl.standing.consent.id}  # type: ignore[union-attr]
                        records.append({"party_id": pl.party.id, "document_id": None, "push_id": push.id,
                                        "channels_tried": [queued], "created_at": now})
                    rows.append(row)
            if records:
                s.execute(insert(ServiceRecord.__table__), records)
            for case_id, names in unserved.items():
                consent.flag(s, case_id, f"{'、'.join(names[:3])}{'等' if len(names) > 3 else ''}未同意电子送达，"
                                         f"推送的{template_label(push.template)}需以其他方式送达")
            # one executemany (RETURNING would make SQLite insert row by row), then read the ids back
            s.execute(insert(Notification.__table__), rows)
            pending = list(s.scalars(select(Notification.id).where(
                Notification.party_id > push.cursor, Notification.party_id <= parties[-1].id,
                Notification.push_id == push.id, Notification.status == S.PENDING).order_by(Notification.id)))
            push.cursor = parties[-1].id
            push.queued += len(rows)
            if pending:
                from notify import jobs  # (not at the top: notify.jobs imports this module)
                jobs.dispatch_batch.enqueue(pending, key=f"push-{push.id}-chunk-{push.cursor}", session=s)
            written += len(rows)
        if on_chunk:
            on_chunk(written)


def status(s: Session, push: NoticePush) -> dict[str, Any]:
    """Progress of a push: rows written, and how many are pending, sent, delivered, failed …"""
    counts = {st.value: 0 for st in S}
    for st, n in s.execute(select(Notification.status, func.count()).where(
            Notification.push_id == push.id).group_by(Notification.status)):
        counts[st.value] = n
    # rows whose notice went in another party's message (notify.push_recipients), not cancelled notices
    counts["merged"] = s.scalar(select(func.count()).select_from(Notification).where(
        Notification.push_id == push.id, Notification.status == S.CANCELLED,
        Notification.error.like("merged:%"))) or 0
    counts["cancelled"] -= counts["merged"]
    done = counts["merged"] + counts["sent"] + counts["delivered"] + counts["opened"] + counts["failed"] + counts["cancelled"]
    finished = push.status in ("dispatched", "done") and counts["pending"] == 0 and counts["sending"] == 0
    state = "done" if finished else push.status
    return {
        "id": push.id, "status": state, "template": push.template, "total": push.total, "queued": push.queued,
        "processed": done, "progress": round(done / push.total, 4) if push.total else 1.0, "counts": counts,
        "created_at": push.created_at.isoformat(), "finished_at": push.finished_at.isoformat() if push.finished_at else None,
        "error": push.error,
    }


def failures(s: Session, push: NoticePush, limit: int = 100) -> list[dict[str, Any]]:
    rows = s.execute(select(Notification.party_id, Notification.channel, Notification.error).where(
        Notification.push_id == push.id, Notification.status == S.FAILED).order_by(Notification.id).limit(limit))
    return [{"party_id": r.party_id, "channel": r.channel, "error": r.error} for r in rows]


STALE = timedelta(minutes=2)


@dataclass(frozen=True)
class Delivery:
    """One recipient of a push: who, which case, which channel and address, and what happened."""

    party_id: int | None
    name: str
    role: PartyRole | None
    case_number: str
    channel: str
    address: str  # masked
    status: NotificationStatus
    sent_at: Any
    delivered_at: Any
    opened_at: Any
    error: str | None


def deliveries(s: Session, push: NoticePush, *, limit: int = 500) -> list[Delivery]:
    """Who the push went to, on which channel, and the delivery state of each (party order)."""
    rows = s.execute(
        select(Notification, Party.name, Party.role, Case.number)
        .join(Party, Notification.party_id == Party.id, isouter=True)
        .join(Case, Notification.case_id == Case.id, isouter=True)
        .where(Notification.push_id == push.id).order_by(Notification.party_id, Notification.id).limit(limit)).all()
    # a party whose notice went in one message with another's (notify.push_recipients): that message's state
    leads = {int(n.params["merged_with_party"]) for n, *_ in rows if n.params and n.params.get("merged_with_party")}
    sent = {n.party_id: n for n in s.scalars(select(Notification).where(
        Notification.push_id == push.id, Notification.party_id.in_(leads)))} if leads else {}
    out = []
    for n, name, role, number in rows:
        shown = sent.get(int(n.params["merged_with_party"])) if n.params and n.params.get("merged_with_party") else None
        shown = shown or n
        out.append(Delivery(n.party_id, name or "", role, number or "", n.channel, _masked(n.channel, n.address),
                            shown.status, shown.sent_at, shown.delivered_at, shown.opened_at, n.error))
    return out
