"""Without a timestamp authority the periodic job still moves the verified checkpoint, so the
console's audit page keeps checking only the newest rows."""
from __future__ import annotations

from court import audit


def test_job_without_tsa_moves_the_checkpoint(app, s):
    from signing.audit_anchor import anchor_head

    for i in range(12):
        audit.record(s, "test.event", details={"i": i})
    s.commit()
    assert audit.verify_recent(s).checked == 12  # no checkpoint yet: everything
    assert anchor_head() is None  # no TSA_URL: nothing timestamped
    audit.record(s, "test.event", details={"i": 12})
    s.commit()
    report = audit.verify_recent(s)
    assert report.ok and report.checked == 1 and report.from_id == 13 and report.anchored_id is None
