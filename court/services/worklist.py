"""The clerk's worklist: what is outstanding across the cases a staff member may see.

One home for "what needs doing", asked by the console's start page and the staff API alike.
A staff member sees the cases of their own court (the console and the API scope every case by
``Case.court_id``; cases carry no assigned clerk, so "mine" narrows to the cases and flows they
created).

Rows are of three sorts:

- a party's open RECEIVE/SIGN step in a running flow (``step:<id>``), tagged with every kind that
  applies: awaiting signature (always, with how long), not yet delivered, delivery failed, consent
  declined or withdrawn, flagged for another method of service, its SMS link about to expire;
- a party whose consent is declined or withdrawn but who has nothing open (``party:<id>``);
- a case flagged for another method of service (``Case.needs_attention``) whose notes no row above
  already stands for (``case:<id>``): a WeChat message that could not fall back to SMS, a credential
  refused for want of consent, a flagged party whose flow has ended. Without it such a case showed
  only on the old console start page;
- a hearing in the next days (``event:<id>``).

The whole list is derived in a fixed number of queries (no query per row), whatever the number
of parties: a clerk serving 300 subpoenas gets the page as fast as one serving three. The scan is
bounded (:data:`MAX_SCAN` open steps); beyond that the list says it is incomplete.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from court import db
from court.i18n import N_
from court.models import (
    AuditEvent,
    Case,
    CaseEvent,
    CaseStatus,
    Consent,
    Document,
    DocumentKind,
    FlowStatus,
    FlowStep,
    Notification,
    NotificationStatus,
    Party,
    ServiceRecord,
    SigningFlow,
    SmsLink,
    Staff,
    StepAction,
    StepStatus,
)
from court.services import consent

KINDS: dict[str, str] = {
    "awaiting": N_("待签收/签名"),
    "not_delivered": N_("已发送未送达"),
    "failed": N_("发送失败"),
    "declined": N_("不同意或撤回电子送达"),
    "flagged": N_("需其他方式送达"),
    "link_expiring": N_("链接即将过期"),
    "hearing": N_("近期开庭"),
}
SORTS = ("age", "-age", "case", "party")
MAX_SCAN = 2000  # open steps read per request; a court with more sees "narrow the search"
PER_PAGE = 50
MAX_PER_PAGE = 200
LINK_WARN = timedelta(hours=48)
HEARING_AHEAD = timedelta(days=7)
OPEN = (StepStatus.READY, StepStatus.RUNNING)
UNDELIVERED = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.SENT)
LIVE_CASES = (CaseStatus.OPEN, CaseStatus.IN_TRIAL)


@dataclass
class Query:
    """What the clerk asked for. Built from untrusted input by :func:`query_from`."""

    q: str = ""
    kind: str = ""
    case_status: str = ""
    min_age_days: int = 0
    sort: str = "age"
    page: int = 1
    per_page: int = PER_PAGE
    mine: bool = False


@dataclass
class Item:
    key: str  # step:<id> | party:<id> | event:<id>
    kinds: list[str]
    case_id: int
    case_number: str
    case_status: CaseStatus
    since: datetime  # waiting since (a step, a consent answer) or when (a hearing)
    party_id: int | None = None
    party_name: str = ""
    document_id: int | None = None
    document_title: str = ""
    document_kind: DocumentKind | None = None
    flow_id: int | None = None
    step_id: int | None = None
    action: StepAction | None = None
    delivery: NotificationStatus | None = None  # the newest message's state
    consent_state: str = "none"
    link_expires_at: datetime | None = None
    title: str = ""  # a hearing's title
    place: str | None = None

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.since).days)

    @property
    def actionable(self) -> bool:
        """Can the clerk re-send, revoke or cancel from this row (an open party step)?"""
        return self.step_id is not None


@dataclass
class Worklist:
    items: list[Item]
    total: int
    counts: dict[str, int]
    page: int
    pages: int
    truncated: bool
    now: datetime
    query: Query = field(default_factory=Query)


def _int(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high)


def query_from(args: dict[str, object]) -> Query:
    """A :class:`Query` from a query string: unknown values fall back to the defaults, numbers
    are clamped, the search text is cut; bad input never fails the page."""
    kind = str(args.get("kind") or "")
    status = str(args.get("case_status") or "")
    sort = str(args.get("sort") or "age")
    return Query(
        q=str(args.get("q") or "").strip()[:100],
        kind=kind if kind in KINDS else "",
        case_status=status if status in CaseStatus._value2member_map_ else "",
        min_age_days=_int(args.get("min_age_days") or 0, 0, 0, 3650),
        sort=sort if sort in SORTS else "age",
        page=_int(args.get("page") or 1, 1, 1, 10_000),
        per_page=_int(args.get("per_page") or PER_PAGE, PER_PAGE, 1, MAX_PER_PAGE),
        mine=str(args.get("mine") or "") in ("1", "true", "on", "yes"),
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _case_filters(staff: Staff, query: Query) -> list:  # type: ignore[type-arg]
    where = [Case.court_id == staff.court_id]
    if query.case_status:
        where.append(Case.status == CaseStatus(query.case_status))
    else:
        where.append(Case.status.in_(LIVE_CASES + (CaseStatus.CLOSED,)))  # archived cases are done
    return where


def _steps(s: Session, staff: Staff, query: Query) -> list:  # type: ignore[type-arg]
    stmt = (
        select(FlowStep.id.label("step_id"), FlowStep.action, FlowStep.party_id, SigningFlow.id.label("flow_id"),
               SigningFlow.created_at.label("flow_at"), Document.id.label("document_id"), Document.title,
               Document.kind, Case.id.label("case_id"), Case.number, Case.status.label("case_status"),
               Party.name, Party.person_id, Party.phone, Party.email)
        .join(SigningFlow, FlowStep.flow_id == SigningFlow.id)
        .join(Document, SigningFlow.document_id == Document.id)
        .join(Case, Document.case_id == Case.id)
        .join(Party, FlowStep.party_id == Party.id)
        .where(*_case_filters(staff, query), FlowStep.status.in_(OPEN), SigningFlow.status == FlowStatus.RUNNING,
               FlowStep.action.in_((StepAction.RECEIVE, StepAction.SIGN)))
    )
    if query.q:
        pattern = _like(query.q)
        stmt = stmt.where(or_(Case.number.like(pattern, escape="\\"), Party.name.like(pattern, escape="\\"),
                              Document.title.like(pattern, escape="\\")))
    if query.mine:
        stmt = stmt.where(or_(Case.created_by_id == staff.id, SigningFlow.created_by_id == staff.id))
    return list(s.execute(stmt.order_by(FlowStep.id).limit(MAX_SCAN + 1)).all())


@dataclass
class _PartyRow:
    """What the consent rules need of a party (``consent.PartyLike``)."""

    id: int
    case_id: int
    person_id: int | None
    phone: str | None
    email: str | None


def _step_items(s: Session, rows: list, now: datetime) -> list[Item]:  # type: ignore[type-arg]
    doc_ids = sorted({r.document_id for r in rows})
    records: dict[tuple[int, int], Any] = {}
    latest: dict[tuple[int, int], tuple[NotificationStatus, bool]] = {}
    expiry: dict[tuple[int, int], datetime] = {}
    if doc_ids:
        for row in s.execute(select(ServiceRecord.party_id, ServiceRecord.document_id, ServiceRecord.effective_at,
                                    ServiceRecord.stage, ServiceRecord.created_at)
                             .where(ServiceRecord.document_id.in_(doc_ids))):
            records[(row.party_id, row.document_id)] = row
        opened: set[tuple[int, int]] = set()
        for n in s.execute(select(Notification.party_id, Notification.document_id, Notification.status,
                                  Notification.opened_at)
                           .where(Notification.document_id.in_(doc_ids), Notification.party_id.is_not(None))
                           .order_by(Notification.id)):
            key = (n.party_id, n.document_id)
            if n.opened_at is not None:
                opened.add(key)
            latest[key] = (n.status, key in opened)
        for ln in s.execute(select(SmsLink.party_id, SmsLink.document_id, func.max(SmsLink.expires_at).label("until"))
                            .where(SmsLink.document_id.in_(doc_ids), SmsLink.revoked_at.is_(None),
                                   SmsLink.expires_at > now)
                            .group_by(SmsLink.party_id, SmsLink.document_id)):
            expiry[(ln.party_id, ln.document_id)] = ln.until
    people = {r.party_id: _PartyRow(r.party_id, r.case_id, r.person_id, r.phone, r.email) for r in rows}
    states = consent.states_many(s, list(people.values()))
    items = []
    for r in rows:
        key = (r.party_id, r.document_id)
        rec = records.get(key)
        status, was_opened = latest.get(key, (None, False))
        kinds = ["awaiting"]
        if status is NotificationStatus.FAILED:
            kinds.append("failed")
        elif status in UNDELIVERED and not was_opened and (rec is None or rec.effective_at is None):
            kinds.append("not_delivered")
        state = states.get(r.party_id, "none")
        if state in ("declined", "withdrawn"):
            kinds.append("declined")
        if rec is not None and rec.stage == "flagged":
            kinds.append("flagged")
        until = expiry.get(key)
        if until is not None and until - now <= LINK_WARN:
            kinds.append("link_expiring")
        items.append(Item(
            key=f"step:{r.step_id}", kinds=kinds, case_id=r.case_id, case_number=r.number, case_status=r.case_status,
            since=rec.created_at if rec is not None else r.flow_at,
            party_id=r.party_id, party_name=r.name, document_id=r.document_id, document_title=r.title,
            document_kind=r.kind, flow_id=r.flow_id, step_id=r.step_id, action=r.action, delivery=status,
            consent_state=state, link_expires_at=until,
        ))
    return items


def _consent_items(s: Session, staff: Staff, query: Query, covered: set[int]) -> list[Item]:
    """Parties who declined or withdrew consent and have no open step listed."""
    stmt = (select(Party.id, Party.case_id, Party.person_id, Party.phone, Party.email, Party.name,
                   Case.number, Case.status.label("case_status"), func.max(Consent.given_at).label("answered_at"),
                   func.max(Consent.withdrawn_at).label("withdrawn_at"))
            .join(Case, Party.case_id == Case.id)
            .join(Consent, (Consent.case_id == Party.case_id) & or_(
                Consent.party_id == Party.id, (Consent.person_id == Party.person_id) & Party.person_id.is_not(None)))
            .where(*_case_filters(staff, query))
            .group_by(Party.id, Party.case_id, Party.person_id, Party.phone, Party.email, Party.name, Case.number,
                      Case.status))
    if query.q:
        pattern = _like(query.q)
        stmt = stmt.where(or_(Case.number.like(pattern, escape="\\"), Party.name.like(pattern, escape="\\")))
    if query.mine:
        stmt = stmt.where(Case.created_by_id == staff.id)
    rows = [r for r in s.execute(stmt.limit(MAX_SCAN)).all() if r.id not in covered]
    states = consent.states_many(s, [_PartyRow(r.id, r.case_id, r.person_id, r.phone, r.email) for r in rows])
    return [Item(key=f"party:{r.id}", kinds=["declined"], case_id=r.case_id, case_number=r.number,
                 case_status=r.case_status, since=max(t for t in (r.answered_at, r.withdrawn_at) if t is not None),
                 party_id=r.id, party_name=r.name, consent_state=states[r.id])
            for r in rows if states.get(r.id) in ("declined", "withdrawn")]


FLAG_ACTIONS = ("service.escalated_to_staff", "consent.declined", "consent.withdrawn", "service.credential_refused",
                "notification.no_fallback")  # what writes a case's needs_attention note, for "waiting since"


def _case_items(s: Session, staff: Staff, query: Query, listed: list[Item]) -> list[Item]:
    """Cases flagged for another method whose notes name no party already listed as flagged or
    declined (a note reads ``<party name>：<why>``; the rest of the note is the row)."""
    stmt = (select(Case.id, Case.number, Case.status, Case.needs_attention, Case.created_at)
            .where(*_case_filters(staff, query), Case.needs_attention.is_not(None), Case.needs_attention != ""))
    if query.q:
        pattern = _like(query.q)
        stmt = stmt.where(or_(Case.number.like(pattern, escape="\\"), Case.needs_attention.like(pattern, escape="\\")))
    if query.mine:
        stmt = stmt.where(Case.created_by_id == staff.id)
    rows = s.execute(stmt.order_by(Case.id).limit(MAX_SCAN)).all()
    if not rows:
        return []
    shown: dict[int, set[str]] = {}
    for it in listed:
        if it.party_name and ("flagged" in it.kinds or "declined" in it.kinds):
            shown.setdefault(it.case_id, set()).add(it.party_name)
    flagged_at = {case_id: at for case_id, at in s.execute(select(AuditEvent.case_id, func.max(AuditEvent.at)).where(
        AuditEvent.case_id.in_([r.id for r in rows]), AuditEvent.action.in_(FLAG_ACTIONS)).group_by(AuditEvent.case_id))}
    out = []
    for r in rows:
        names = shown.get(r.id, set())
        notes = [n for n in r.needs_attention.split("；") if n and n.split("：", 1)[0] not in names]
        if notes:
            out.append(Item(key=f"case:{r.id}", kinds=["flagged"], case_id=r.id, case_number=r.number,
                            case_status=r.status, since=flagged_at.get(r.id) or r.created_at, title="；".join(notes)))
    return out


def _hearing_items(s: Session, staff: Staff, query: Query, now: datetime) -> list[Item]:
    stmt = (select(CaseEvent.id, CaseEvent.title, CaseEvent.at, CaseEvent.place, Case.id.label("case_id"), Case.number,
                   Case.status.label("case_status"))
            .join(Case, CaseEvent.case_id == Case.id)
            .where(*_case_filters(staff, query), CaseEvent.kind == "hearing", CaseEvent.at >= now,
                   CaseEvent.at <= now + HEARING_AHEAD))
    if query.q:
        pattern = _like(query.q)
        stmt = stmt.where(or_(Case.number.like(pattern, escape="\\"), CaseEvent.title.like(pattern, escape="\\")))
    if query.mine:
        stmt = stmt.where(Case.created_by_id == staff.id)
    return [Item(key=f"event:{r.id}", kinds=["hearing"], case_id=r.case_id, case_number=r.number,
                 case_status=r.case_status, since=r.at, title=r.title, place=r.place)
            for r in s.execute(stmt.order_by(CaseEvent.at).limit(MAX_SCAN))]


def _sort_key(sort: str, now: datetime):  # type: ignore[no-untyped-def]
    if sort == "case":
        return lambda it: (it.case_number, it.party_name, it.key)
    if sort == "party":
        return lambda it: (it.party_name or "\uffff", it.case_number, it.key)
    # age: what has waited longest first; hearings are ranked by how soon they are
    sign = -1 if sort == "-age" else 1

    def key(it: Item) -> tuple[float, str]:
        waited = (it.since - now).total_seconds() if "hearing" not in it.kinds else -(it.since - now).total_seconds()
        return (sign * waited, it.key)

    return key


def build(s: Session, staff: Staff, query: Query | None = None, *, now: datetime | None = None) -> Worklist:
    """The staff member's outstanding work, filtered, counted per kind, sorted and paged."""
    query = query or Query()
    now = now or db.utcnow()
    rows = _steps(s, staff, query)
    truncated = len(rows) > MAX_SCAN
    items = _step_items(s, rows[:MAX_SCAN], now)
    items += _consent_items(s, staff, query, {it.party_id for it in items if it.party_id is not None})
    items += _case_items(s, staff, query, items)
    items += _hearing_items(s, staff, query, now)
    if query.min_age_days:
        cut = now - timedelta(days=query.min_age_days)
        items = [it for it in items if "hearing" in it.kinds or it.since <= cut]
    counts = Counter(k for it in items for k in it.kinds)
    if query.kind:
        items = [it for it in items if query.kind in it.kinds]
    items.sort(key=_sort_key(query.sort, now))
    total = len(items)
    pages = max(1, -(-total // query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    return Worklist(items=items[start:start + query.per_page], total=total,
                    counts={k: counts.get(k, 0) for k in KINDS}, page=page, pages=pages, truncated=truncated,
                    now=now, query=query)
