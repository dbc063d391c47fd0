"""Identity verified by court staff: the route that works for everyone (Online Litigation Rules art. 7).

A party who comes to the court, or joins a video call, shows their ID card to a clerk; the clerk
records the comparison in the console. That is an :class:`~court.models.IdentityCheck` with
``method="staff"`` and ``ref="staff:<id>"`` (the clerk), decided at once, but owned by nobody yet:
its holder is an unguessable placeholder. The party then receives a one-time link (``notify``'s
signed SMS link, sent through the outbox); opening it *claims* the check for that browser session
(:func:`claim`), so from then on the session holds a passed, fresh identity check for that person
exactly as if it had passed a face check itself. A check can be claimed once, and only within
:data:`CLAIM_MINUTES` of the clerk's verification.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from court import audit, crypto, db
from court.errors import DomainError, Forbidden
from court.models import Case, IdentityCheck, Notification, Party, Person, SmsLink, Staff, StaffRole
from court.services import binding, identity_checks

MODES = {"in_person": "现场核验", "video": "视频核验"}
VERIFIERS = (StaffRole.CLERK, StaffRole.JUDGE)
UNCLAIMED = "unclaimed:"
DEDUPE_PREFIX = "identity-check:"  # the outbox row that carries the link names the check it unlocks


def _person_for(s: Session, party: Party) -> Person:
    """The person behind the party record: bound already, known by ID number, or created from it."""
    if party.person_id is not None:
        person = s.get(Person, party.person_id)
        assert person is not None
        return person
    if not party.id_number_enc or not party.id_number_hash:
        raise DomainError("该当事人没有登记身份证号码，无法核验身份，请先补充当事人信息", code="party_incomplete")
    person = s.scalar(select(Person).where(Person.id_number_hash == party.id_number_hash))
    if person is not None and not binding.matches(party, person):
        raise DomainError("当事人记录的姓名与已登记的身份不一致，请核对当事人信息", code="party_mismatch")
    if person is None:
        number = crypto.decrypt(party.id_number_enc)
        person = Person(real_name=party.name, id_number_enc=crypto.encrypt(number), id_number_hash=party.id_number_hash,
                        id_number_masked=crypto.mask_id_number(number), phone=party.phone)
        s.add(person)
        s.flush()
        audit.record(s, "identity.registered", actor=f"person:{person.id}", subject=f"person:{person.id}",
                     details={"id_number": person.id_number_masked, "via": "staff"})
    return person


def verify_party(s: Session, staff: Staff, party: Party, *, mode: str, id_card_checked: bool) -> IdentityCheck:
    """Record that ``staff`` compared ``party``'s ID card with the party in person or on video."""
    if staff.role not in VERIFIERS or not staff.active:
        raise Forbidden("只有法官或书记员可以核验当事人身份", code="role_forbidden")
    if party.case.court_id != staff.court_id:
        raise Forbidden("不能核验其他法院的当事人", code="other_court")
    if mode not in MODES:
        raise DomainError("请选择核验方式（现场或视频）", code="bad_mode")
    if not id_card_checked:
        raise DomainError("请先核对当事人的身份证件原件，并勾选确认", code="id_card_not_checked")
    if not party.phone:
        raise DomainError("该当事人没有登记手机号码，无法发送一次性链接", code="party_no_phone")
    person = _person_for(s, party)
    if party.person_id is None:
        party.person_id = person.id
        party.bound_at = db.utcnow()
        audit.record(s, "party.joined", actor=f"staff:{staff.id}", case_id=party.case_id, subject=f"party:{party.id}",
                     details={"via": "staff_verification"})
    elif party.person_id != person.id:  # pragma: no cover - _person_for returns the bound person
        raise Forbidden("当事人记录与身份不一致", code="party_mismatch")
    check = identity_checks.open_check(s, person_id=person.id, method="staff", provider="staff", channel="console",
                                       holder_id=UNCLAIMED + secrets.token_hex(16))
    identity_checks.decide(s, check, ok=True, result="pass", ref=f"staff:{staff.id}", actor=f"staff:{staff.id}")
    audit.record(s, "identity.staff_verified", actor=f"staff:{staff.id}", case_id=party.case_id,
                 subject=f"person:{person.id}", details={
                     "check": check.id, "party": party.id, "staff": staff.name, "mode": mode,
                     "id_number": person.id_number_masked})
    return check


def check_for_dedupe_key(s: Session, key: str | None) -> IdentityCheck | None:
    """The staff check an outbox message's link unlocks (its ``dedupe_key``), if any."""
    if not key or not key.startswith(DEDUPE_PREFIX) or not key[len(DEDUPE_PREFIX):].isdigit():
        return None
    return s.get(IdentityCheck, int(key[len(DEDUPE_PREFIX):]))


def check_for_link(s: Session, link_id: object) -> tuple[SmsLink, IdentityCheck] | None:
    """The SMS link a party opened and the clerk's check it unlocks; None for any other link."""
    link = s.get(SmsLink, link_id) if isinstance(link_id, int) else None
    note = s.get(Notification, link.notification_id) if link is not None and link.notification_id else None
    check = check_for_dedupe_key(s, note.dedupe_key if note is not None else None)
    return (link, check) if link is not None and check is not None else None


def spend_link(link: SmsLink) -> None:
    """The clerk's link works once: claimed, it is revoked."""
    link.revoked_at = db.utcnow()


def claim(s: Session, check: IdentityCheck, *, party: Party, holder_id: str, minutes: int) -> IdentityCheck:
    """Give ``holder_id`` the clerk's passed check, once, within ``minutes`` of the verification."""
    if (check.method != "staff" or check.status != identity_checks.PASS or party.person_id != check.person_id
            or check.decided_at is None):
        raise Forbidden("该链接不能用于核验身份，请联系法院工作人员", code="staff_link_invalid")
    if check.decided_at < db.utcnow() - timedelta(minutes=minutes):
        raise DomainError("该链接已超过有效期，请联系法院工作人员重新核验", code="staff_link_expired", status=410)
    done = db.rowcount(s.execute(update(IdentityCheck).where(
        IdentityCheck.id == check.id, IdentityCheck.holder.startswith(UNCLAIMED),
    ).values(holder=holder_id).execution_options(synchronize_session=False)))
    if done != 1:
        raise DomainError("该链接已使用，请联系法院工作人员重新核验", code="staff_link_used", status=410)
    s.refresh(check)
    audit.record(s, "identity.staff_check_claimed", actor=f"person:{check.person_id}",
                 subject=f"person:{check.person_id}", case_id=party.case_id,
                 details={"check": check.id, "party": party.id})
    return check


def parties_opened(s: Session, check: IdentityCheck, party: Party) -> list[int]:
    """The parties a browser that claimed a clerk's check acts for: the person's parties *of the
    verifying clerk's court* (the link's party among them), never those of other courts.

    Why: a clerk vouches for an ID card only to their own court. Without this limit an insider
    could add a party with someone's name and ID number and their own phone to a case of their
    court, "verify" it and open the link, and so read and sign what every other court served on
    that person. Her other courts' documents still need her own SMS code and identity check."""
    ref = check.ref or ""
    staff = s.get(Staff, int(ref[6:])) if ref.startswith("staff:") and ref[6:].isdigit() else None
    if staff is None:
        return [party.id]
    ids = set(s.scalars(select(Party.id).join(Case, Case.id == Party.case_id).where(
        Party.person_id == check.person_id, Case.court_id == staff.court_id)))
    return sorted(ids | {party.id})
