"""Without a timestamp authority the periodic job still moves the verified checkpoint, so the
console's audit page keeps checking only the newest rows."""
from __future__ import annotations

from court import audit, audit_chain


def test_job_without_tsa_moves_the_checkpoint(app, s):
    from signing.audit_anchor import anchor_head

    for i in range(12):
        audit.record(s, "test.event", details={"i": i})
    s.commit()
    assert audit_chain.verify_recent(s).checked == 12  # no checkpoint yet: everything
    assert anchor_head() is None  # no TSA_URL: nothing timestamped
    audit.record(s, "test.event", details={"i": 12})
    s.commit()
    report = audit_chain.verify_recent(s)
    assert report.ok and report.checked == 1 and report.from_id == 13 and report.anchored_id is None


def test_job_checks_the_whole_chain_once_a_day(app, s):
    """An edit of an old row that no page shows is found by the next daily full check."""
    from datetime import timedelta

    import pytest
    from sqlalchemy import text

    from court.models import AuditCheckpoint
    from signing.audit_anchor import ChainBroken, anchor_head

    for i in range(5):
        audit.record(s, "test.event", details={"i": i})
    s.commit()
    anchor_head()  # first run: a full check
    s.execute(text("UPDATE audit_event SET actor = 'staff:99' WHERE id = 2"))
    s.commit()
    anchor_head()  # within the day: only rows after the checkpoint (none)
    cp = s.get(AuditCheckpoint, 1)
    cp.full_at = cp.full_at - timedelta(days=2)
    s.commit()
    with pytest.raises(ChainBroken, match="row 2"):
        anchor_head()
