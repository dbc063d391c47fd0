"""The audit log is a hash chain: any edited or deleted row is found by verify()."""
from sqlalchemy import text

from court import audit, audit_chain


def _fill(s, n=5):
    for i in range(n):
        audit.record(s, "test.event", actor="staff:1", details={"i": i})
    s.commit()


def _verify_after(s, sql: str) -> audit_chain.ChainReport:  # type: ignore[no-untyped-def]
    """Five events written, then changed behind the log's back by ``sql``; what verify() finds."""
    _fill(s)
    s.execute(text(sql))
    s.commit()
    return audit_chain.verify(s)


def test_intact_chain_verifies(s):
    _fill(s)
    report = audit_chain.verify(s)
    assert report.ok and report.checked == 5 and report.problems == []


def test_edited_row_is_detected(s):
    report = _verify_after(s, "UPDATE audit_event SET actor = 'staff:99' WHERE id = 3")
    assert not report.ok
    assert {"id": 3, "problem": "edited"} in [{"id": p["id"], "problem": p["problem"]} for p in report.problems]


def test_edited_details_are_detected(s):
    assert [p["id"] for p in _verify_after(s, "UPDATE audit_event SET details = '{\"i\": 42}' WHERE id = 2").problems] == [2]


def test_deleted_middle_row_is_detected(s):
    report = _verify_after(s, "DELETE FROM audit_event WHERE id = 3")
    assert not report.ok
    assert any(p["problem"] == "deleted" for p in report.problems)


def test_deleted_last_row_is_detected(s):
    report = _verify_after(s, "DELETE FROM audit_event WHERE id = 5")
    assert not report.ok and report.problems[-1]["problem"] == "deleted"


def test_rehashed_forgery_breaks_the_next_link(s):
    """Someone who edits a row and recomputes its hash still breaks the following row's link."""
    import hashlib

    from court.models import AuditEvent

    _fill(s)
    ev = s.get(AuditEvent, 2)
    ev.actor = "staff:99"
    ev.hash = hashlib.sha256(audit.canonical(ev)).hexdigest()
    s.commit()
    problems = audit_chain.verify(s).problems
    assert any(p["id"] == 3 and p["problem"] == "broken_link" for p in problems)
