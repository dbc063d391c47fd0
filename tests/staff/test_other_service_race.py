"""Two clerks record another form of service for the same party and document at the same moment
(court.services.other_service.record): exactly one service results, and the second clerk is told
what was recorded instead of seeing a crash. Both clerks are held at a barrier after their input
was checked and before anything is read or written, so the race is the same on every run; runs on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""
from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from court import db
from court.errors import Conflict
from court.models import OtherService, Party, ServiceRecord
from court.services import other_service
from tests.staff.test_other_service import _declined_party
from tests.support.factories import pdf_bytes


def _race(app, monkeypatch, party_id: int, doc_id: int, evidence: list[other_service.Evidence]) -> list[Any]:  # type: ignore[no-untyped-def]
    """Run one ``record`` per evidence in its own thread and session, all released together;
    returns each outcome (the row id, or the exception). On PostgreSQL both are held after their
    input and return card were checked, having read the document in their own transactions; on
    SQLite before their transactions start, since the first statement of one (BEGIN IMMEDIATE)
    waits for the other to end."""
    barrier = threading.Barrier(len(evidence), timeout=20)
    checked = other_service.check_pdf

    def check_then_wait(data: bytes, limit: int) -> None:
        checked(data, limit)
        barrier.wait()

    if db.is_postgres():
        monkeypatch.setattr(other_service, "check_pdf", check_then_wait)
    out: list[Any] = [None] * len(evidence)
    card = pdf_bytes(text="Return card")

    def clerk(i: int) -> None:
        with app.app_context():
            if not db.is_postgres():
                barrier.wait()
            s = db.session()
            try:
                party = s.get(Party, party_id)
                row = other_service.record(s, party, doc_id, evidence[i], card=card, actor=f"staff:{i + 1}")
                s.commit()
                out[i] = row.id
            except Conflict as e:
                s.rollback()
                out[i] = e
            except Exception as e:  # noqa: BLE001 - a crash is what the test is looking for
                s.rollback()
                out[i] = e
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(len(evidence))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def _counts(party_id: int, doc_id: int) -> tuple[int, int]:
    s = db.session()
    s.expire_all()
    others = s.scalar(select(func.count()).select_from(OtherService).where(
        OtherService.party_id == party_id, OtherService.document_id == doc_id))
    records = s.scalar(select(func.count()).select_from(ServiceRecord).where(
        ServiceRecord.party_id == party_id, ServiceRecord.document_id == doc_id))
    return others or 0, records or 0


@pytest.fixture
def declined(api):  # type: ignore[no-untyped-def]
    _case, party, doc = _declined_party(api)
    db.session.remove()  # the clerks' threads open their own sessions
    return party["id"], doc["id"]


def test_two_clerks_recording_different_services_at_once_make_one_and_the_second_is_told(app, monkeypatch, declined):
    party_id, doc_id = declined
    today = other_service.today()
    postal = other_service.Evidence(method="postal", tracking_number="EA123456785CN", posted_on=today,
                                    received_on=today)
    direct = other_service.Evidence(method="direct", received_on=today)
    outcomes = _race(app, monkeypatch, party_id, doc_id, [postal, direct])
    won = [o for o in outcomes if isinstance(o, int)]
    lost = [o for o in outcomes if not isinstance(o, int)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    [refusal] = lost
    assert isinstance(refusal, Conflict), repr(refusal)
    assert refusal.code == "already_recorded"
    message = refusal.localized()
    assert "赵六" in message and "不能重复录入" in message
    assert ("邮寄送达" in message) or ("直接送达" in message)  # it says what the other clerk recorded
    assert _counts(party_id, doc_id) == (1, 1)
    rec = db.session().scalar(select(ServiceRecord).where(ServiceRecord.party_id == party_id,
                                                          ServiceRecord.document_id == doc_id))
    assert rec is not None and rec.effective_at is not None
    assert [e["event"] for e in rec.channels_tried].count("served") == 1


def test_the_same_form_sent_by_two_tabs_at_once_gives_both_the_one_record(app, monkeypatch, declined):
    party_id, doc_id = declined
    today = other_service.today()
    direct = other_service.Evidence(method="direct", received_on=today)
    outcomes = _race(app, monkeypatch, party_id, doc_id, [direct, direct])
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert outcomes[0] == outcomes[1]
    assert _counts(party_id, doc_id) == (1, 1)
