"""Binding an identity to a channel: the one home of the rule (DESIGN: binding; issue 10).

Knowing a name and an ID number grants nothing. A channel address (a WeChat openid, a party-page
session) is tied to a person, and a court's party record to that person, only after an identity
check *passed in that same conversation or session* against the person's name and ID number
(:mod:`court.services.identity_checks`). The bot and the party pages both call this module; neither
decides on its own. A verified phone number changes only with such a check behind it.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, crypto, db
from court.errors import DomainError, Forbidden
from court.models import ChannelBinding, IdentityCheck, Party, Person
from court.services import cases as case_service
from court.services import identity_checks


def _require_check(person: Person, check: IdentityCheck | None, holder_id: str) -> IdentityCheck:
    """The check, if it passed for ``person`` and belongs to ``holder_id``; else ``identity_check_needed``."""
    if not _owned_pass(person, check, holder_id):
        raise Forbidden("为确认是您本人，请先完成人脸识别验证", code="identity_check_needed")
    assert check is not None
    return check


def _owned_pass(person: Person, check: IdentityCheck | None, holder_id: str | None) -> bool:
    return (check is not None and check.status == identity_checks.PASS and check.person_id == person.id
            and holder_id is not None and check.holder == holder_id)


def person_for(s: Session, channel: str, address: str) -> Person | None:
    """The person a *verified* binding of ``address`` names; an unproven binding names no one."""
    return s.scalar(select(Person).join(ChannelBinding).where(
        ChannelBinding.channel == channel, ChannelBinding.address == address,
        ChannelBinding.verified_at.is_not(None)))


def bind_verified(s: Session, person: Person, channel: str, address: str, check: IdentityCheck | None, *,
                  holder_id: str | None = None) -> ChannelBinding:
    """Bind ``address`` on ``channel`` to ``person`` on the strength of ``check``.

    ``check`` must have passed for this person in the conversation that owns the address
    (``holder_id``, by default the channel's own conversation with ``address``). A binding that
    pointed elsewhere moves (an openid belongs to one WeChat user), and is stamped verified."""
    holder_id = holder_id or identity_checks.holder(channel, address)
    check = _require_check(person, check, holder_id)
    binding = s.scalar(select(ChannelBinding).where(ChannelBinding.channel == channel,
                                                    ChannelBinding.address == address))
    moved_from = None
    if binding is None:
        binding = ChannelBinding(person_id=person.id, channel=channel, address=address)
        s.add(binding)
    elif binding.person_id != person.id:
        moved_from = binding.person_id
        binding.person_id = person.id
    binding.verified_at = db.utcnow()
    binding.verified_by_check_id = check.id
    s.flush()
    audit.record(s, "binding.verified", actor=f"person:{person.id}", subject=f"person:{person.id}",
                 details={"channel": channel, "check": check.id, "method": check.method, "moved_from": moved_from})
    return binding


def matches(party: Party, person: Person) -> bool:
    """The court's party record names this person: same ID number *and* same name."""
    return party.id_number_hash == person.id_number_hash and party.name == person.real_name


def record_person(s: Session, party: Party) -> Person | None:
    """The person already behind the court's party record, or None when she is still to be
    registered from it (``identity.registration.for_court_record``). A record that cannot be
    proven online by SMS is refused: an organisation acts through people who prove who they are
    on their own links, and a record without an ID number or phone cannot be checked."""
    if party.person_id is not None:
        return s.get(Person, party.person_id)
    if party.kind == "organisation":
        raise DomainError("单位当事人请由法定代表人或委托诉讼代理人通过本人收到的短信链接办理", code="organisation_link")
    if not party.id_number_enc or not party.phone:
        raise DomainError("法院登记的信息不完整，无法在线核验身份，请联系承办法院", code="party_incomplete")
    return None


def join_parties(s: Session, person: Person, party_ids: list[int] | set[int], check: IdentityCheck | None, *,
                 holder_id: str, via: str) -> list[Party]:
    """Tie the named, still unbound party records that match ``person`` to them (the SMS-link
    counterpart of an association code). A record naming someone else is left alone and logged."""
    check = _require_check(person, check, holder_id)
    joined: list[Party] = []
    for party_id in sorted(set(party_ids)):
        party = s.get(Party, party_id)
        if party is None or party.person_id is not None:
            continue
        if not matches(party, person):
            audit.record(s, "party.identity_mismatch", actor=f"person:{person.id}", case_id=party.case_id,
                         subject=f"party:{party.id}", details={"via": via})
            continue
        party.person_id = person.id
        party.bound_at = db.utcnow()
        s.flush()
        audit.record(s, "party.joined", actor=f"person:{person.id}", case_id=party.case_id,
                     subject=f"party:{party.id}", details={"via": via, "check": check.id})
        joined.append(party)
    return joined


def join_by_code(s: Session, code: str, person: Person, check: IdentityCheck | None, *, holder_id: str) -> Party:
    """Redeem an association code for ``person``, only with a passed check in this conversation."""
    _require_check(person, check, holder_id)
    return case_service.redeem_code(s, code, person)


def phone_proven(s: Session, person: Person, number: str, *, check: IdentityCheck | None = None,
                 holder_id: str | None = None) -> bool:
    """Someone entered the SMS code sent to ``number`` for ``person``. Returns True when the
    number is now the person's verified phone.

    A person with no phone (or this same one) gets it marked verified. A *different* phone —
    verified or only entered by a court — is replaced only when ``check`` passed for the person in
    ``holder_id``: a code proves who holds a phone, not who the person is (a court may have entered
    someone else's number on a record with her name and ID number). With a check, the phone
    binding is verified too."""
    checked = check if _owned_pass(person, check, holder_id) else None
    if person.phone and person.phone != number and checked is None:
        audit.record(s, "identity.phone_change_refused", subject=f"person:{person.id}",
                     details={"phone": crypto.mask_phone(number), "reason": "identity_check_needed"})
        return False
    changed = person.phone != number
    person.phone = number
    person.phone_verified_at = db.utcnow()
    binding = s.scalar(select(ChannelBinding).where(ChannelBinding.channel == "phone",
                                                    ChannelBinding.address == number))
    if binding is None:
        binding = ChannelBinding(person_id=person.id, channel="phone", address=number)
        s.add(binding)
    elif binding.person_id != person.id:  # numbers are recycled: the newest proven owner wins
        audit.record(s, "identity.phone_rebound", subject=f"person:{person.id}",
                     details={"from_person": binding.person_id, "phone": crypto.mask_phone(number)})
        previous = s.get(Person, binding.person_id)
        if previous is not None and previous.phone == number:
            previous.phone_verified_at = None
        binding.person_id = person.id
        binding.verified_at = None
        binding.verified_by_check_id = None
    if checked is not None:
        binding.verified_at = db.utcnow()
        binding.verified_by_check_id = checked.id
    s.flush()
    if changed:
        audit.record(s, "identity.phone_changed", actor=f"person:{person.id}", subject=f"person:{person.id}",
                     details={"phone": crypto.mask_phone(number), "check": checked.id if checked else None})
    return True


def refuse_wrong_name(s: Session, person: Person, name: str) -> None:
    """An ID number typed with a name that is not its owner's is refused, saying so plainly."""
    if person.real_name != name:
        audit.record(s, "identity.register_name_mismatch", actor="anonymous", subject=f"person:{person.id}")
        raise DomainError("姓名与身份证号码不一致，请核对后重新输入；如确认无误，请联系法院",
                          code="name_mismatch")
