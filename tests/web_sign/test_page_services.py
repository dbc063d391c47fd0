"""The rules the party pages ask of ``court/services`` (issue 15, item 4), tried as an attacker
would against the services themselves: a QR token replayed or guessed, a signature posted twice,
a party record that cannot be proven by SMS, a face check passed in another browser."""
from __future__ import annotations

import pytest

from court import db
from court.errors import DomainError, RateLimited
from court.models import Party, StepStatus
from court.services import binding, handoff, identity_checks, party_documents, party_sessions
from tests.web_sign.conftest import make_world, person_for


def test_a_handoff_token_signs_in_once_and_a_guess_signs_in_no_one(app):
    w = make_world()
    person = person_for(w.alice)
    s = db.session()
    token = handoff.create(person.id, [w.alice.id], w.doc.id)
    taken = handoff.take(s, token)
    assert taken is not None
    who, payload = taken
    assert who.id == person.id and payload["party_ids"] == [w.alice.id] and payload["document_id"] == w.doc.id
    assert handoff.take(s, token) is None  # spent: a photo of the QR code is worth nothing
    assert handoff.take(s, "made-up-token") is None
    assert handoff.take(s, token + "x" * 10_000) is None  # an absurd token is cut, not hashed whole


def test_handoff_codes_are_rate_limited_per_person(app):
    w = make_world()
    person = person_for(w.alice)
    for _n in range(handoff.LIMIT.count):
        handoff.create(person.id, [w.alice.id], w.doc.id)
    with pytest.raises(RateLimited):
        handoff.create(person.id, [w.alice.id], w.doc.id)


def test_a_signature_is_applied_once_per_attempt(app):
    w = make_world()
    step = w.step(w.alice)
    assert not party_documents.signing(step)
    assert party_documents.start_signing(step) is True
    assert party_documents.signing(step)
    assert party_documents.start_signing(step) is False  # a double tap or a re-post queues nothing more
    party_documents.signing_over(step)
    assert not party_documents.signing(step) and party_documents.start_signing(step) is True
    step.attempts += 1  # the job failed and counted the attempt: a new one may be signed
    assert party_documents.start_signing(step) is True
    party_documents.signing_over(step, step.attempts - 1)
    assert not party_documents.signing(step)


def test_the_list_groups_and_the_step_a_page_acts_on(app):
    w = make_world()
    s = db.session()
    step = w.step(w.alice)
    assert step.status is StepStatus.READY
    assert party_documents.list_state(s, w.doc, w.alice) == "to_sign"
    assert party_documents.step_for(s, w.doc, w.alice).id == step.id
    step.status = StepStatus.REFUSED
    assert party_documents.list_state(s, w.doc, w.alice) == "refused"
    step.status = StepStatus.DONE
    assert party_documents.list_state(s, w.doc, w.alice) == "signed"
    assert party_documents.step_for(s, w.doc, w.alice).id == step.id
    step.status, step.error = StepStatus.READY, "seal service down"
    assert party_documents.sign_failed(step, step.attempts - 1) and not party_documents.sign_failed(step, step.attempts)


def test_a_record_that_cannot_be_proven_by_sms_is_refused_plainly(app):
    w = make_world()
    s = db.session()
    alice = s.get(Party, w.alice.id)
    assert binding.record_person(s, alice) is None  # still to be registered from the court's record
    alice.phone = None
    with pytest.raises(DomainError) as err:
        binding.record_person(s, alice)
    assert err.value.code == "party_incomplete"
    alice.kind = "organisation"
    with pytest.raises(DomainError) as err:
        binding.record_person(s, alice)
    assert err.value.code == "organisation_link"


def test_a_check_passed_elsewhere_joins_nothing_and_one_here_signs_out_the_others(app):
    w = make_world()
    s = db.session()
    person = person_for(w.alice)
    _t1, other = party_sessions.start(s, person, [w.alice.id], via="sms", minutes=30)
    token, here = party_sessions.start(s, person, [w.alice.id, w.bob.id], via="sms", minutes=30,
                                       proven_phone="13800000001")
    holder = party_sessions.holder_id(token)
    elsewhere = identity_checks.open_check(s, person_id=person.id, method="face", provider="development",
                                           channel="web", holder_id=party_sessions.holder_id(_t1))
    identity_checks.decide(s, elsewhere, ok=True, result="pass")
    with pytest.raises(DomainError):
        party_sessions.identity_passed(s, here, person, elsewhere, holder=holder)
    check = identity_checks.open_check(s, person_id=person.id, method="face", provider="development",
                                       channel="web", holder_id=holder)
    identity_checks.decide(s, check, ok=True, result="pass")
    party_sessions.identity_passed(s, here, person, check, holder=holder)
    s.commit()
    assert other.ended_at is not None and here.ended_at is None
    assert s.get(Party, w.bob.id).person_id is None  # 李四's record names someone else: never joined
    assert person.phone == "13800000001" and person.phone_verified_at is not None
