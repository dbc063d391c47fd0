"""The audit chain as an attacker with write access to the database would try to rewrite it.

Without the audit key (which is not in the database) no rewrite goes unnoticed; old rows
keep verifying across a key rotation; page views check only what is new (plus what they show).
"""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from court import audit, audit_chain
from court.models import AuditEvent, AuditHead
from tests.support.audit import rewrite_forward


def _fill(s, n=5, start=0):
    for i in range(start, start + n):
        audit.record(s, "test.event", actor="staff:1", details={"i": i})
    s.commit()


def test_rewritten_history_with_recomputed_hashes_is_detected(s):
    _fill(s)
    rewrite_forward(s, 2)
    report = audit_chain.verify(s)
    assert not report.ok
    assert report.first_broken["id"] == 2 and report.first_broken["problem"] == "edited"


def test_rows_passed_off_as_pre_upgrade_sha256_are_reported(s):
    _fill(s)
    rewrite_forward(s, 3, key_id=None)
    report = audit_chain.verify(s)
    assert not report.ok and report.first_broken == {
        "id": 3, "problem": "unsealed", "detail": report.first_broken["detail"]}


def test_rows_carry_the_key_id_not_the_key(s):
    _fill(s, 1)
    ev = s.get(AuditEvent, 1)
    assert ev.key_id and len(ev.key_id) == 12
    assert audit.key_id(audit._keys[ev.key_id]) == ev.key_id


def test_key_rotation_keeps_old_rows_verifiable(s):
    audit.configure("first-audit-key-0123456789", "unused")
    _fill(s, 3)
    old_kid = s.get(AuditEvent, 1).key_id
    audit.configure("second-audit-key-0123456789", "unused", retired=["first-audit-key-0123456789"])
    _fill(s, 2, start=3)
    assert s.get(AuditEvent, 5).key_id != old_kid
    assert audit_chain.verify(s).ok
    audit.configure("second-audit-key-0123456789", "unused")  # the old key forgotten
    report = audit_chain.verify(s)
    assert [p["problem"] for p in report.problems] == ["unknown_key"] * 3


def test_page_view_checks_only_new_rows_and_the_rows_shown(s):
    _fill(s, 20)
    assert audit_chain.save_checkpoint(s, audit_chain.verify(s))
    s.commit()
    _fill(s, 3, start=20)
    report = audit_chain.verify_recent(s)
    assert report.ok and report.checked == 3 and report.from_id == 21
    # an edit among the new rows is found
    s.execute(text("UPDATE audit_event SET actor = 'staff:99' WHERE id = 22"))
    s.commit()
    s.expire_all()
    assert [p["id"] for p in audit_chain.verify_recent(s).problems] == [22]


def test_page_view_rechecks_the_old_rows_it_shows(s):
    _fill(s, 10)
    audit_chain.save_checkpoint(s, audit_chain.verify(s))
    s.commit()
    s.execute(text("UPDATE audit_event SET actor = 'staff:99' WHERE id = 4"))
    s.commit()
    s.expire_all()
    shown = list(s.scalars(select(AuditEvent).where(AuditEvent.id.in_([3, 4, 5]))))
    report = audit_chain.verify_recent(s, shown)
    assert not report.ok and report.first_broken["id"] == 4


def test_forged_checkpoint_is_ignored(s):
    _fill(s, 6)
    audit_chain.save_checkpoint(s, audit_chain.verify(s))
    s.commit()
    rewrite_forward(s, 2)
    # move the checkpoint past the forgery, recomputing what the attacker can (not the mac)
    s.execute(text("UPDATE audit_checkpoint SET last_hash = (SELECT hash FROM audit_event WHERE id = 6)"))
    s.commit()
    s.expire_all()
    report = audit_chain.verify_recent(s)
    assert report.from_id == 1 and not report.ok and report.first_broken["id"] == 2


def _legacy_chain(s, n=4):
    """Rows as written before keyed sealing: SHA-256, key_id NULL."""
    _fill(s, n)
    prev = audit.GENESIS
    for ev in s.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        ev.key_id, ev.prev_hash = None, prev
        ev.hash = hashlib.sha256(audit.canonical(ev)).hexdigest()
        prev = ev.hash
        s.flush()
    head = s.get(AuditHead, 1)
    head.last_hash = prev
    s.commit()


def test_rekey_seals_pre_upgrade_rows_once(s):
    _legacy_chain(s)
    before = audit_chain.verify(s)
    assert [p["problem"] for p in before.problems] == ["unsealed"] * 4
    assert audit_chain.rekey(s) == 4
    s.commit()
    report = audit_chain.verify(s)
    assert report.ok and report.checked == 5  # and the audit.rekeyed row
    assert s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc())).action == "audit.rekeyed"


def test_rekey_refuses_to_launder_an_edited_row(s):
    _legacy_chain(s)
    s.execute(text("UPDATE audit_event SET actor = 'staff:99' WHERE id = 2"))
    s.commit()
    s.expire_all()
    with pytest.raises(audit_chain.RekeyRefused, match="row 2"):
        audit_chain.rekey(s)
