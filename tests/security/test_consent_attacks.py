"""Attacks on the consent the e-service credential states (DESIGN: consent gate; the credential tells
the truth). Serving without consent through the channels is attacked in tests/notify/test_consent_attacks.py
and tests/web_sign/test_consent_gate.py; here an insider with database access edits the consent
records so that the credential would claim a consent the party never gave, or no longer gave."""
from __future__ import annotations

from datetime import timedelta
from unittest import mock

from sqlalchemy import select, update

from court import db
from court.models import AuditEvent, Consent
from court.services import consent as consent_service
from tests.notify.test_consent_attacks import _record, _report, _served_on_aliyun
from tests.signing.test_credential_cli_verify import _served
from tests.support.signing import issue_credential


def _refusal() -> dict:
    row = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "service.credential_refused")).one()
    return row.details


def _give_at(s, world, at) -> Consent:
    with mock.patch("court.db.utcnow", return_value=at):
        row = consent_service.give(s, world.persons[0], world.case, channels=["sms"], address={"sms": "13800000001"},
                                   method="web", party=world.parties[0])
    s.commit()
    return row


def _sql(statement) -> None:
    db.session.remove()
    with db.engine().begin() as conn:
        conn.execute(statement)


def test_a_consent_row_inserted_in_the_database_is_not_stated(s, run_jobs):
    world, _doc, rec = _served(s, consent=False)  # signed, but the party never agreed
    rec_id, signed_at = rec.id, rec.signed_at
    s.add(Consent(person_id=world.persons[0].id, party_id=world.parties[0].id, case_id=world.case.id,
                  decision="given", channels=["sms"], address={"sms": "13800000001"}, text_shown="电子送达确认书",
                  method="web", recorded_by=f"person:{world.persons[0].id}", given_at=signed_at - timedelta(days=1)))
    s.commit()
    assert issue_credential(run_jobs, rec_id).credential_version_id is None
    assert _refusal() == {"reason": "no_audited_consent"}


def test_an_erased_withdrawal_is_not_stated_as_consent(s, run_jobs):
    world, _doc, rec = _served(s, consent=False)
    rec_id, signed_at = rec.id, rec.signed_at
    given = _give_at(s, world, signed_at - timedelta(hours=3))
    with mock.patch("court.db.utcnow", return_value=signed_at - timedelta(hours=1)):
        consent_service.withdraw(s, given, actor=f"person:{world.persons[0].id}")
    s.commit()
    consent_id = given.id
    _sql(update(Consent).where(Consent.id == consent_id).values(withdrawn_at=None, withdrawn_by=None))
    assert issue_credential(run_jobs, rec_id).credential_version_id is None
    assert _refusal() == {"reason": "consent_withdrawn"}


def test_a_consent_moved_earlier_than_it_was_given_is_not_stated(s, run_jobs):
    world, _doc, rec = _served(s, consent=False)
    rec_id, signed_at = rec.id, rec.signed_at
    given = _give_at(s, world, signed_at + timedelta(minutes=1))  # agreed only after signing
    consent_id = given.id
    _sql(update(Consent).where(Consent.id == consent_id).values(given_at=signed_at - timedelta(days=2)))
    assert issue_credential(run_jobs, rec_id).credential_version_id is None
    assert _refusal() == {"reason": "consent_backdated"}


def test_a_consent_whose_channels_were_widened_is_not_stated(s, run_jobs):
    world, _doc, rec = _served(s, consent=False)
    rec_id, signed_at = rec.id, rec.signed_at
    given = _give_at(s, world, signed_at - timedelta(hours=3))
    _sql(update(Consent).where(Consent.id == given.id).values(channels=["sms", "wechat", "email"]))
    assert issue_credential(run_jobs, rec_id).credential_version_id is None
    assert _refusal() == {"reason": "consent_differs"}


def test_the_consent_actually_given_is_stated(s, run_jobs):
    world, _doc, rec = _served(s, consent=False)
    rec_id, signed_at = rec.id, rec.signed_at
    _give_at(s, world, signed_at - timedelta(hours=3))
    assert issue_credential(run_jobs, rec_id).credential_version_id is not None


# --- through the provider's delivery-report callback --------------------------------------------


def test_a_delivery_report_arriving_after_the_consent_was_withdrawn_is_not_service(
        serve_document, make_case, aliyun, run_jobs, client, app):
    _case, party, n = _served_on_aliyun(serve_document, make_case, run_jobs, app, agree=True)
    s = db.session()
    given = consent_service.answer(s, s.get(type(party), party.id))
    consent_service.withdraw(s, given, actor="staff:1")  # the party withdrew on her paper form
    s.commit()
    arrived = db.utcnow().replace(microsecond=0) + timedelta(seconds=1)
    assert client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, arrived)).get_json()["code"] == 0
    rec = _record(party.id)
    assert rec.effective_at is None
    [event] = [e for e in rec.channels_tried if e["event"] == "delivered"]
    assert event["counts"] is False and event["why_not"] == "no_consent"


def test_a_delivery_report_with_a_forged_callback_token_changes_nothing(
        serve_document, make_case, aliyun, run_jobs, client, app):
    _case, party, n = _served_on_aliyun(serve_document, make_case, run_jobs, app, agree=True)
    arrived = n.sent_at.replace(microsecond=0) + timedelta(seconds=3)
    forged = client.post("/notify/callbacks/aliyun/not-the-secret", json=_report(n, arrived))
    assert forged.status_code in (401, 403, 404)
    assert _record(party.id).effective_at is None
    # the real report fixes the date; a replay of it, or a later one claiming an earlier time, moves nothing
    assert client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, arrived)).get_json()["code"] == 0
    fixed = _record(party.id).effective_at
    assert fixed is not None
    client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, arrived))
    client.post("/notify/callbacks/aliyun/cb-secret", json=_report(n, arrived - timedelta(seconds=2)))
    assert _record(party.id).effective_at == fixed
