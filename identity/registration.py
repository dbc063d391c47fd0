"""Real-name registration (Online Litigation Rules art. 7): name, ID number, mobile number.

A person is found by the keyed hash of their ID number, so registering again from another
channel reaches the same record. Nothing here proves who is typing: the phone becomes
verified only through a one-time code (:mod:`identity.otp`) and the identity through a face
check (:mod:`identity.face`), which is what the bot and the web pages require before any
binding or signing.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, crypto, idnumbers, names, ratelimit
from court.models import Person
from court.services import binding
from identity import phones

log = logging.getLogger(__name__)

RL_SCOPE = "register"
LIMIT = ratelimit.Limit(10, 86400)  # registrations per ID number a day


# one rule for names on every channel (bot, party pages, console, API): court/names.py
normalize_name = names.normalize


def find_by_id_number(s: Session, id_number: str) -> Person | None:
    return s.scalar(select(Person).where(Person.id_number_hash == crypto.lookup_hash(idnumbers.normalize(id_number))))


def register(s: Session, *, real_name: str, id_number: str, phone: str, phone_proven: bool = False) -> Person:
    """:func:`find_or_create`'s person (callers that do not care whether it is new)."""
    return find_or_create(s, real_name=real_name, id_number=id_number, phone=phone, phone_proven=phone_proven)[0]


def find_or_create(s: Session, *, real_name: str, id_number: str, phone: str,
                   phone_proven: bool = False) -> tuple[Person, bool]:
    """Validate, then find the person by ID number or create them; True when created.

    Raise :class:`DomainError` with a Chinese reason for bad input, and ``name_mismatch`` when the
    ID number belongs to someone registered under another name. A *known* person is returned
    untouched: typing their name and ID number changes nothing of theirs (not the phone, not the
    name) and grants nothing; the caller must have an identity check pass in its own conversation
    or session before it binds anything (:mod:`court.services.binding`). A new person's phone is
    stored verified when ``phone_proven`` (the caller checked an SMS code to it just now).
    """
    name = names.validated(real_name)
    number = idnumbers.validated(id_number)
    mobile = phones.validated(phone)
    id_hash = crypto.lookup_hash(number)
    ratelimit.hit(RL_SCOPE, id_hash[:32], LIMIT, message="登记尝试过于频繁，请明天再试")

    person = s.scalar(select(Person).where(Person.id_number_hash == id_hash))
    if person is None:
        person = Person(real_name=name, id_number_enc=crypto.encrypt(number), id_number_hash=id_hash,
                        id_number_masked=crypto.mask_id_number(number), phone=mobile)
        s.add(person)
        s.flush()
        audit.record(s, "identity.registered", actor=f"person:{person.id}", subject=f"person:{person.id}",
                     details={"id_number": person.id_number_masked, "phone": crypto.mask_phone(mobile)})
        if phone_proven:
            binding.phone_proven(s, person, mobile)
        log.info("person %s registered", person.id)
        return person, True

    binding.refuse_wrong_name(s, person, name)
    audit.record(s, "identity.registered_again", actor="anonymous", subject=f"person:{person.id}",
                 details={"changed": False})
    log.info("person %s registered again (identity check needed before anything is granted)", person.id)
    return person, False


def for_court_record(s: Session, *, real_name: str, id_number: str, phone: str) -> Person:
    """The person behind a party record the *court* entered, created from it the first time.

    The name and ID number come from the court, not from whoever is typing, so nothing here is
    guessed and the per-ID-number registration limit (meant for typed attempts) does not apply:
    an SMS-link party tapping the code buttons is never told about a "registration" she never
    made (issue 12, item 1). Knowing the person still grants nothing without the SMS code and,
    for binding, an identity check in the same session.
    """
    person = find_by_id_number(s, id_number)
    if person is not None:
        binding.refuse_wrong_name(s, person, normalize_name(real_name))
        return person
    return find_or_create(s, real_name=real_name, id_number=id_number, phone=phone)[0]
