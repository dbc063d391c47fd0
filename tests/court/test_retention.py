"""Personal data is kept only as long as needed, and never at the cost of the case file.

Time is moved by handing the purge a later ``now`` (a month or half a year on), never by editing
rows: what is tested is exactly what the daily job does on that day."""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from court import db, redis_conn, retention
from court.models import (
    AuditEvent,
    ChannelBinding,
    Consent,
    FlowStep,
    IdentityCheck,
    PartySession,
    Person,
    ServiceRecord,
)
from court.services import flow_steps
from court.services import retention as purge
from tests.support.factories import id_number
from tests.web_sign.conftest import csrf, make_world, needs_identity, person_for, sign_in

pytestmark = needs_identity
DAY = timedelta(days=1)


def _register(n: int) -> tuple[str, str]:
    """A person who registered (SMS code proven) and never joined a case; returns ID number, phone."""
    from identity import registration

    number, phone = id_number(seq=f"{700 + n:03d}"), f"1390000{n:04d}"
    registration.register(db.session(), real_name="王五", id_number=number, phone=phone, phone_proven=True)
    db.session().commit()
    return number, phone


def _joined_without_consent(party) -> int:  # type: ignore[no-untyped-def]
    """A person joined to ``party`` (as after the association code) who gave no consent yet."""
    from court import crypto
    from court.models import Party

    s = db.session()
    party = s.get(Party, party.id)
    number = crypto.decrypt(party.id_number_enc)
    person = Person(real_name=party.name, id_number_enc=crypto.encrypt(number), id_number_hash=crypto.lookup_hash(number),
                    id_number_masked=crypto.mask_id_number(number), phone=party.phone)
    s.add(person)
    s.flush()
    party.person_id, party.bound_at = person.id, db.utcnow()
    s.commit()
    return person.id


def _count(model) -> int:  # type: ignore[no-untyped-def]
    db.session().expire_all()
    return int(db.session().scalar(select(func.count()).select_from(model)) or 0)


def test_a_session_ended_31_days_ago_is_gone_and_its_cookie_revives_nothing(app, client):
    world = make_world()
    sign_in(client, world.alice)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert client.post("/m/logout", data={"csrf_token": csrf(client, "/m/")}).status_code == 302

    assert purge.purge(now=db.utcnow() + 29 * DAY)["party_session"] == 0
    assert _count(PartySession) == 1  # a complaint about last week can still be answered

    assert purge.purge(now=db.utcnow() + 31 * DAY)["party_session"] == 1
    assert _count(PartySession) == 0
    assert thief.get("/m/").status_code in (302, 403)
    assert thief.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403


def test_a_registration_that_never_joined_a_case_is_anonymised_after_its_period(app):
    from identity import registration

    number, phone = _register(1)
    assert purge.purge(now=db.utcnow() + 179 * DAY)["unjoined_registration"] == 0
    assert registration.find_by_id_number(db.session(), number) is not None

    assert purge.purge(now=db.utcnow() + 181 * DAY)["unjoined_registration"] == 1
    s = db.session()
    s.expire_all()
    assert registration.find_by_id_number(s, number) is None
    person = s.scalar(select(Person))
    assert (person.real_name, person.phone, person.id_number_masked) == (purge.PURGED, None, "")
    assert s.scalar(select(func.count()).select_from(ChannelBinding)) == 0  # the proven phone's binding too
    assert purge.purge(now=db.utcnow() + 181 * DAY)["unjoined_registration"] == 0  # idempotent
    # the same person can start again; nothing of the old registration comes back with it
    again, created = registration.find_or_create(s, real_name="王五", id_number=number, phone=phone)
    assert created and again.id != person.id


def test_the_count_of_people_whose_face_was_processed_does_not_shrink(app):
    from court.services import face_consent, identity_checks
    from identity import registration

    number, _phone = _register(10)
    s = db.session()
    person = registration.find_by_id_number(s, number)
    check = identity_checks.open_check(s, person_id=person.id, method="face", provider="development",
                                       channel="web", holder_id="web:somewhere")
    identity_checks.decide(s, check, ok=False, result="no_face")
    s.commit()
    assert face_consent.people_processed(s) == 1

    assert purge.purge(now=db.utcnow() + 181 * DAY)["unjoined_registration"] == 1
    s = db.session()
    s.expire_all()
    assert _count(IdentityCheck) == 0
    assert face_consent.people_processed(s) == 1


def test_the_case_file_of_an_open_case_is_not_touched(app, client):
    world = make_world()
    alice = person_for(world.alice)  # joined, with her consent to electronic service
    sign_in(client, world.alice, alice)
    s = db.session()
    step = s.scalar(select(FlowStep).where(FlowStep.party_id == world.alice.id))
    flow_steps.complete_step(s, step, actor=f"person:{alice.id}")  # she signed the receipt
    s.commit()
    _register(2)  # someone else, never joined: proves the purge did run
    bob = _joined_without_consent(world.bob)  # joined, yet never consented nor signed
    before = (s.scalar(select(ServiceRecord)).signed_at, s.scalar(select(Consent)).given_at)

    counts = purge.purge(now=db.utcnow() + 3650 * DAY)

    assert counts["unjoined_registration"] == 1
    s.expire_all()
    assert (s.scalar(select(ServiceRecord)).signed_at, s.scalar(select(Consent)).given_at) == before
    kept = s.get(Person, alice.id)
    assert kept.real_name == "张三" and kept.phone == world.alice.phone
    assert s.get(Person, bob).real_name == "李四"
    assert s.scalar(select(func.count()).select_from(IdentityCheck).where(IdentityCheck.person_id == alice.id)) == 1


def test_messages_and_failed_checks_outside_a_case_go_and_those_of_the_case_stay(app, client, run_jobs):
    from court.models import DevMessage, Notification, NotificationStatus
    from court.services import identity_checks, outbox
    from identity import otp

    world = make_world()
    alice = person_for(world.alice)
    sign_in(client, world.alice, alice)  # her passed check: kept with the case
    s = db.session()
    failed = identity_checks.open_check(s, person_id=alice.id, method="face", provider="development",
                                        channel="web", holder_id="web:elsewhere")
    identity_checks.decide(s, failed, ok=False, result="low_score")
    otp.send_code(s, "13900001234", "login")
    served = outbox.add(s, channel="sms", address=world.alice.phone, template="notice", case_id=world.case.id,
                        party_id=world.alice.id)
    served.status = NotificationStatus.SENT
    s.commit()
    run_jobs(("notify",))
    assert _count(DevMessage) >= 1

    counts = purge.purge(now=db.utcnow() + 91 * DAY)

    assert counts["failed_identity_check"] == 1 and counts["dev_message"] >= 1 and counts["outbox_no_case"] >= 1
    s = db.session()  # the worker run above ended the earlier one
    s.expire_all()
    assert _count(DevMessage) == 0
    assert s.get(Notification, served.id).address == world.alice.phone
    assert all(n.address == purge.PURGED for n in s.scalars(select(Notification).where(Notification.case_id.is_(None))))
    assert [c.status for c in s.scalars(select(IdentityCheck).where(IdentityCheck.person_id == alice.id))] == ["pass"]


def test_audit_verify_passes_after_a_purge_and_the_run_is_audited_with_counts_only(app, client):
    world = make_world()
    sign_in(client, world.alice)
    _register(3)
    counts = purge.purge(now=db.utcnow() + 400 * DAY)
    assert counts["party_session"] == 1 and counts["unjoined_registration"] == 1

    out = app.test_cli_runner().invoke(args=["court", "audit", "verify"])
    assert out.exit_code == 0, out.output
    row = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "retention.purged"))
    assert row.actor == "system" and row.details == {"counts": counts}


def test_dry_run_prints_what_it_would_purge_and_changes_nothing(app, client):
    world = make_world()
    sign_in(client, world.alice)
    _register(4)
    tables = (PartySession, Person, ChannelBinding, IdentityCheck, AuditEvent)
    before = [_count(m) for m in tables]

    out = app.test_cli_runner().invoke(args=["court", "purge-expired", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "would purge" in out.output
    later = purge.purge(dry_run=True, now=db.utcnow() + 400 * DAY)
    assert later["party_session"] == 1 and later["unjoined_registration"] == 1
    assert [_count(m) for m in tables] == before
    assert db.session().scalar(select(Person).where(Person.real_name == "王五")) is not None


def test_the_cli_purges_and_reports_per_kind(app):
    out = app.test_cli_runner().invoke(args=["court", "purge-expired"])
    assert out.exit_code == 0, out.output
    for key in ("party_session", "unjoined_registration", "dev_message", "conversation_language"):
        assert key in out.output
    assert "purged" in out.output


def test_the_daily_job_purges_and_keeps_its_chain_alive(app, run_jobs):
    purge.purge_job.enqueue()
    assert run_jobs(("default",)) == 1
    assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "retention.purged")) is not None
    purge.ensure_scheduled()  # what a worker does at start: the chain's next run is scheduled
    assert redis_conn.client().get(purge.CHAIN.key) is not None


def test_a_conversation_language_lasts_its_period_after_the_last_visit(app):
    r = redis_conn.client()
    r.set("conv-lang:wechat:o-returning", "en")
    assert purge.purge()["conversation_language"] == 1
    assert 89 * 86400 < r.ttl("conv-lang:wechat:o-returning") <= 90 * 86400
    assert purge.purge()["conversation_language"] == 0  # already expiring: not counted again


def test_the_captured_log_carries_no_id_number_or_phone_during_a_purge(app, client, caplog):
    world = make_world()
    sign_in(client, world.alice)
    people = [_register(n) for n in range(5, 8)]
    caplog.set_level(logging.DEBUG)
    purge.purge(dry_run=True, now=db.utcnow() + 400 * DAY)
    assert purge.purge(now=db.utcnow() + 400 * DAY)["unjoined_registration"] == 3
    assert "retention purge" in caplog.text
    for number, phone in people:
        assert number not in caplog.text and phone not in caplog.text
    assert world.alice.phone not in caplog.text


def test_two_purges_at_once_take_each_row_once(app):
    """On PostgreSQL (TEST_DATABASE_URL) the batches lock with SKIP LOCKED; on SQLite the writes
    queue. Either way each row is counted once and neither run fails or deadlocks."""
    import threading

    for n in range(30):
        _register(100 + n)
    later = db.utcnow() + 200 * DAY
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(purge.purge(now=later, batch=4))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(results) == 2
    assert sum(r["unjoined_registration"] for r in results) == 30
    assert sum(r["party_session"] for r in results) == 0
    s = db.session()
    s.expire_all()
    assert s.scalar(select(func.count()).select_from(Person).where(Person.real_name != purge.PURGED)) == 0


def test_an_unknown_or_zero_period_is_refused_and_an_operators_period_is_obeyed(app, config):
    from app import create_app

    with pytest.raises(ValueError):
        retention.configure({"party_sesion": 30})
    with pytest.raises(ValueError):
        retention.configure({"case_consent": 30})  # the case file has no period here
    with pytest.raises(ValueError):
        retention.configure({"party_session": 0})
    _register(9)
    config.RETENTION_DAYS = "unjoined_registration=10"  # what an operator sets in the environment
    create_app(config)
    try:
        assert purge.purge(now=db.utcnow() + 11 * DAY)["unjoined_registration"] == 1
    finally:
        retention.configure({})


def test_readme_shows_the_inventory_the_code_enforces():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert retention.markdown() in readme
    assert all(h.case_file or h.default_days or h.kept for h in retention.HOLDINGS)
