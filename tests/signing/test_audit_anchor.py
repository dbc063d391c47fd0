"""Timestamp anchors against someone who holds the audit key and rewrites history.

The key stops whoever can only write to the database; the anchors stop whoever also has the
key, because the timestamp authority signed the hash of the anchored row."""
from __future__ import annotations

import hashlib
import hmac
import tempfile

import pytest
from sqlalchemy import select, text

from court import audit, audit_chain
from court.models import AuditAnchor, AuditEvent, AuditHead


@pytest.fixture
def config(config):
    config.TSA_URL = "dev"
    return config


def _fill(s, n, start=0):
    for i in range(start, start + n):
        audit.record(s, "test.event", actor="staff:1", details={"i": i})
    s.commit()


def _reseal_forward_with_key(s, row_id: int) -> None:
    """What an insider holding AUDIT_KEY can do: edit a row and re-seal everything after it."""
    kid, key = audit.current_key()
    s.execute(text("UPDATE audit_event SET actor = 'staff:99' WHERE id = :i"), {"i": row_id})
    s.expire_all()
    prev = s.get(AuditEvent, row_id - 1).hash if row_id > 1 else audit.GENESIS
    for ev in s.scalars(select(AuditEvent).where(AuditEvent.id >= row_id).order_by(AuditEvent.id)):
        ev.prev_hash, ev.key_id = prev, kid
        ev.hash = prev = hmac.new(key, audit.canonical(ev), hashlib.sha256).hexdigest()
        s.flush()
        last = ev.id
    head = s.get(AuditHead, 1)
    head.last_id, head.last_hash = last, prev
    s.commit()


def test_anchor_is_a_trusted_timestamp_of_the_head(app, s):
    from signing.audit_anchor import anchor_head

    _fill(s, 5)
    anchor = anchor_head()
    assert anchor is not None and anchor.last_id == 5 and anchor.tsa == "development TSA"
    report = audit_chain.verify(s)
    assert report.ok and report.anchored_id == 5
    assert anchor_head() is None  # the head is already anchored: nothing new


def test_key_holder_rewriting_history_before_an_anchor_is_detected(app, s):
    from signing.audit_anchor import anchor_head

    _fill(s, 6)
    anchor_head()
    _fill(s, 3, start=6)
    _reseal_forward_with_key(s, 2)
    report = audit_chain.verify(s)
    assert not report.ok
    assert [p["problem"] for p in report.problems] == ["anchor_mismatch"]
    assert report.problems[0]["id"] == 6 and "anchor #1" in report.problems[0]["detail"]


def test_editing_the_stored_anchor_hash_does_not_help(app, s):
    from signing.audit_anchor import anchor_head

    _fill(s, 4)
    anchor_head()
    _reseal_forward_with_key(s, 1)
    s.execute(text("UPDATE audit_anchor SET last_hash = (SELECT hash FROM audit_event WHERE id = 4)"))
    s.commit()
    s.expire_all()
    assert [p["problem"] for p in audit_chain.verify(s).problems] == ["anchor_mismatch"]


def test_anchor_from_another_timestamp_authority_is_not_trusted(app, s):
    """A key holder who rewrites history and timestamps it with their own TSA is caught."""
    from signing import tsa
    from signing.settings import SigningSettings

    _fill(s, 4)
    _reseal_forward_with_key(s, 2)
    own_tsa = tsa.timestamper(SigningSettings(instance_path=tempfile.mkdtemp(), tsa_url="dev"))
    head = s.get(AuditHead, 1)
    token = own_tsa(audit_chain.anchor_digest(head.last_id, head.last_hash))
    audit_chain.add_anchor(s, head.last_id, head.last_hash, token, "development TSA", audit.db.utcnow())
    s.commit()
    report = audit_chain.verify(s)
    assert [p["problem"] for p in report.problems] == ["anchor_invalid"]
    assert "not from a trusted timestamp authority" in report.problems[0]["detail"]


def test_a_broken_chain_is_not_anchored(app, s):
    from signing.audit_anchor import ChainBroken, anchor_head

    _fill(s, 3)
    s.execute(text("UPDATE audit_event SET actor = 'staff:99' WHERE id = 3"))
    s.commit()
    with pytest.raises(ChainBroken, match="row 3"):
        anchor_head()
    assert s.scalar(select(AuditAnchor)) is None


def test_cli_verify_gives_a_verdict_and_names_the_first_broken_row(app, s):
    _fill(s, 2500)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["court", "audit", "anchor"]).exit_code == 0
    ok = runner.invoke(args=["court", "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "audit chain intact: 2500" in ok.output and "anchored up to row 2500" in ok.output
    s.execute(text("UPDATE audit_event SET details = '{\"i\": 7}' WHERE id = 1201"))
    s.commit()
    broken = runner.invoke(args=["court", "audit", "verify"])
    assert broken.exit_code == 1
    assert "first broken row 1201 (edited" in broken.output


def test_cli_verify_moves_the_checkpoint_so_pages_check_only_new_rows(app, s):
    _fill(s, 30)
    assert app.test_cli_runner().invoke(args=["court", "audit", "verify"]).exit_code == 0
    _fill(s, 2, start=30)
    report = audit_chain.verify_recent(s)
    assert report.ok and report.checked == 2


def test_deleted_anchors_show_as_unanchored_history(app, s):
    """A key holder who deletes the anchors before rewriting old history is still reported."""
    from datetime import timedelta

    from signing.audit_anchor import anchor_head

    _fill(s, 3)
    anchor_head()
    old = audit.db.utcnow() - timedelta(days=3)
    s.execute(text("UPDATE audit_event SET at = :t"), {"t": old})
    s.commit()
    s.execute(text("DELETE FROM audit_anchor"))
    s.commit()
    _reseal_forward_with_key(s, 1)
    report = audit_chain.verify(s)
    assert [p["problem"] for p in report.problems] == ["unanchored"] and report.problems[0]["id"] == 3


def test_rekey_command_reseals_pre_upgrade_rows(app, s):
    _fill(s, 3)
    prev = audit.GENESIS
    for ev in s.scalars(select(AuditEvent).order_by(AuditEvent.id)):  # as written before the upgrade
        ev.key_id, ev.prev_hash = None, prev
        ev.hash = prev = hashlib.sha256(audit.canonical(ev)).hexdigest()
        s.flush()
    s.get(AuditHead, 1).last_hash = prev
    s.commit()
    runner = app.test_cli_runner()
    before = runner.invoke(args=["court", "audit", "verify"])
    assert before.exit_code == 1 and "first broken row 1 (unsealed" in before.output
    done = runner.invoke(args=["court", "audit", "rekey", "--yes"])
    assert done.exit_code == 0 and "3 rows re-sealed" in done.output
    assert runner.invoke(args=["court", "audit", "verify"]).exit_code == 0
    again = runner.invoke(args=["court", "audit", "anchor"])
    assert again.exit_code == 0 and "anchored row 4" in again.output
    refused = runner.invoke(args=["court", "audit", "rekey", "--yes"])  # anchors pin the hashes now
    assert refused.exit_code == 1 and "AUDIT_RETIRED_KEYS" in refused.output
