"""Cases and their parties; association codes that let a party join a case."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, casenumbers, crypto, db, idnumbers, phones, uscc
from court.errors import Conflict, DomainError, NotFound
from court.models import (
    Case,
    CaseEvent,
    Court,
    FlowStep,
    Notification,
    Party,
    PartyRole,
    Person,
    ServiceRecord,
    StaffRole,
)
from court.services import lifecycle
from court.services.court_scope import court_row

CASE_TYPES = ("civil", "criminal", "administrative", "enforcement", "other")
WRITERS = (StaffRole.JUDGE, StaffRole.CLERK)  # who changes a case (and an admin); console and API ask this
# Crockford-style alphabet without look-alikes (0/O, 1/I/L, U): 5 bits a character.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 30**12 ≈ 2**59: unguessable under the bot's 5-an-hour limit


def create_case(s: Session, court: Court, number: str, type: str, title: str = "", actor: str = "system") -> Case:
    number = casenumbers.validated(number)
    if type not in CASE_TYPES:
        raise DomainError("案件类型不正确", code="bad_case_type", allowed=", ".join(CASE_TYPES))
    if s.scalar(select(Case).where(Case.court_id == court.id, Case.number == number)):
        raise Conflict("该案号已存在", code="case_exists")
    case = Case(court_id=court.id, number=number, type=type, title=title)
    if actor.startswith("staff:"):
        case.created_by_id = int(actor.split(":")[1])
    s.add(case)
    s.flush()
    audit.record(s, "case.created", actor=actor, case_id=case.id, subject=f"case:{case.id}", details={"number": number})
    return case


def get_case(s: Session, court_id: int, case_id: int) -> Case:
    return court_row(s, Case, case_id, court_id, lambda c: c.court_id,
                     NotFound("案件不存在", code="case_not_found"))


def get_party(s: Session, court_id: int, party_id: int) -> Party:
    return court_row(s, Party, party_id, court_id, lambda p: p.case.court_id,
                     NotFound("当事人不存在", code="party_not_found"))


@dataclass
class PartyInput:
    role: PartyRole
    name: str
    id_number: str | None = None
    phone: str | None = None
    email: str | None = None
    kind: str = "person"  # person | organisation
    uscc: str | None = None  # an organisation's unified social credit code (court.uscc)


PARTY_KINDS = ("person", "organisation")


def _organisation(party: Party, item: PartyInput) -> None:
    """An organisation is named by its unified social credit code, never by an ID number; it acts
    through its legal representative or an agent (``court.services.agents``)."""
    if item.id_number:
        raise DomainError("单位当事人不填写身份证号码，请填写统一社会信用代码", code="bad_id_number")
    if not item.uscc:
        raise DomainError("请填写单位的统一社会信用代码", code="bad_uscc")
    party.uscc = uscc.validated(item.uscc)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """Print an association code in readable groups: ``ABCD-EFGH-JKMN``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(text: str) -> str:
    return re.sub(r"[\s\-_]", "", text).upper()


def code_hash(code: str) -> str:
    return crypto.lookup_hash(normalize_code(code), "code")


def _assign_code(party: Party, ttl: timedelta) -> str:
    code = _new_code()
    party.code_hash = code_hash(code)
    party.code_expires_at = db.utcnow() + ttl
    party.code_used_at = None
    party.code_version = (party.code_version or 0) + 1
    return format_code(code)


def add_parties(
    s: Session, case: Case, inputs: list[PartyInput], *, ttl_days: int = 30, actor: str = "system"
) -> list[tuple[Party, str]]:
    """Add parties and return each with its association code in clear (the only time it is).

    The same person is never added to a case twice (same ID number; without one, same name, role
    and phone): a form submitted twice or a reloaded page would otherwise give the case a second
    party who receives every notice again. Nothing is added when any input is refused."""
    lifecycle.require_writable(case)
    out: list[tuple[Party, str]] = []
    for item in inputs:
        name = item.name.strip()
        if not name or len(name) > 100:
            raise DomainError("当事人姓名不能为空", code="bad_name")
        if item.kind not in PARTY_KINDS:
            raise DomainError("当事人类型不正确", code="bad_party_kind")
        party = Party(case_id=case.id, role=item.role, name=name, email=item.email, kind=item.kind)
        if item.kind == "organisation":
            _organisation(party, item)
        elif item.uscc:
            raise DomainError("自然人当事人不填写统一社会信用代码", code="bad_uscc")
        if item.id_number:
            value = idnumbers.validated(item.id_number)
            party.id_number_enc = crypto.encrypt(value)
            party.id_number_hash = crypto.lookup_hash(value)
            party.id_number_masked = crypto.mask_id_number(value)
        if item.phone:
            party.phone = phones.validated(item.phone)
        _refuse_duplicate(s, case, party)
        code = _assign_code(party, timedelta(days=ttl_days))
        s.add(party)
        s.flush()
        audit.record(
            s, "party.added", actor=actor, case_id=case.id, subject=f"party:{party.id}",
            details={"role": item.role.value, "id_number": party.id_number_masked, "kind": party.kind,
                     "uscc": party.uscc},
        )
        out.append((party, code))
    return out


def _refuse_duplicate(s: Session, case: Case, party: Party) -> None:
    """Conflict when ``party`` is already in the case (it may be in this batch, already flushed)."""
    if party.uscc:
        same = select(Party).where(Party.case_id == case.id, Party.uscc == party.uscc)
    elif party.id_number_hash:
        same = select(Party).where(Party.case_id == case.id, Party.id_number_hash == party.id_number_hash)
    else:
        same = select(Party).where(Party.case_id == case.id, Party.id_number_hash.is_(None), Party.name == party.name,
                                   Party.role == party.role, Party.phone == party.phone)
    existing = s.scalar(same.limit(1))
    if existing is not None:
        raise Conflict("{name}已是本案当事人，无需重复添加；如需新的关联码，请在当事人列表中重新生成",
                       code="party_exists", name=existing.name, party_id=existing.id)


def removable(s: Session, party: Party) -> bool:
    """A party may be removed only while nothing has happened to them: never joined, never
    notified, never served, no step in any flow. Afterwards the record is evidence."""
    if party.person_id is not None or party.code_used_at is not None:
        return False
    for model in (Notification, ServiceRecord, FlowStep):
        if s.scalar(select(model.id).where(model.party_id == party.id).limit(1)) is not None:
            return False
    return True


def remove_party(s: Session, party: Party, *, actor: str = "system") -> None:
    """Remove a party entered by mistake (a duplicate, a typo) while nothing has been served."""
    if not removable(s, party):
        raise Conflict("该当事人已关联、已收到通知或已在签署流程中，不能删除", code="party_in_use")
    case_id, party_id, masked = party.case_id, party.id, party.id_number_masked
    s.delete(party)
    s.flush()
    audit.record(s, "party.removed", actor=actor, case_id=case_id, subject=f"party:{party_id}",
                 details={"id_number": masked})


def regenerate_code(s: Session, party: Party, *, ttl_days: int = 30, actor: str = "system") -> str:
    code = _assign_code(party, timedelta(days=ttl_days))
    s.flush()
    audit.record(s, "party.code_regenerated", actor=actor, case_id=party.case_id, subject=f"party:{party.id}")
    return code


def find_party_by_code(s: Session, code: str) -> Party | None:
    return s.scalar(select(Party).where(Party.code_hash == code_hash(code)))


def redeem_code(s: Session, code: str, person: Person, *, now: datetime | None = None) -> Party:
    """Bind ``person`` to the party the code was issued for.

    The caller has checked the person's face verification is fresh; here the code must be
    current and unused, and the verified name and ID number must match the court's record.
    """
    now = now or db.utcnow()
    party = find_party_by_code(s, code)
    if party is None:
        raise DomainError("关联码不正确，请核对后重新输入", code="code_invalid")
    if party.code_used_at is not None:
        if party.person_id == person.id:
            return party
        raise DomainError("该关联码已被使用，如有疑问请联系法院", code="code_used")
    if party.code_expires_at is None or party.code_expires_at < now:
        raise DomainError("关联码已过期，请联系法院重新获取", code="code_expired")
    if party.id_number_hash != person.id_number_hash or party.name != person.real_name:
        audit.record(s, "party.code_identity_mismatch", actor=f"person:{person.id}", case_id=party.case_id, subject=f"party:{party.id}")
        raise DomainError("您的实名信息与法院登记的当事人信息不一致，无法关联该案件", code="identity_mismatch", status=403)
    party.person_id = person.id
    party.bound_at = now
    party.code_used_at = now
    s.flush()
    audit.record(s, "party.joined", actor=f"person:{person.id}", case_id=party.case_id, subject=f"party:{party.id}")
    return party


def add_event(s: Session, case: Case, kind: str, title: str, at: datetime, place: str | None = None, actor: str = "system") -> CaseEvent:
    lifecycle.require_writable(case)
    ev = CaseEvent(case_id=case.id, kind=kind, title=title, at=at, place=place)
    s.add(ev)
    s.flush()
    audit.record(s, "case.event_added", actor=actor, case_id=case.id, subject=f"case_event:{ev.id}", details={"kind": kind})
    return ev
