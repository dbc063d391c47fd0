"""Attacks on the legal date of service (DESIGN: legal date of service; the credential tells the truth).

The date is fixed only by :mod:`court.services.service_date`, and every change of it is an audit
row sealed with the audit key. An insider who can write to the database moves the date (earlier,
to start a time limit before the party could know; later, to rescue a missed deadline): the
credential must not state it, and the auditor's ``flask court audit verify`` must report it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from court import db
from court.models import AuditEvent, ServiceRecord
from tests.signing.test_credential_cli_verify import _served
from tests.support.signing import issue_credential


def _verify(app):
    return app.test_cli_runner().invoke(args=["court", "audit", "verify"])


def _edit(rec_id: int, **values) -> None:
    db.session.remove()
    with db.engine().begin() as conn:
        conn.execute(update(ServiceRecord).where(ServiceRecord.id == rec_id).values(**values))


def test_the_honest_date_gets_its_credential_and_a_clean_audit(app, s, run_jobs):
    _world, _doc, rec = _served(s)
    assert issue_credential(run_jobs, rec.id).credential_version_id is not None
    result = _verify(app)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("shift", [timedelta(days=-10), timedelta(days=3)], ids=["earlier", "later"])
def test_a_date_of_service_moved_in_the_database_gets_no_credential_and_the_audit_reports_it(app, s, run_jobs, shift):
    _world, _doc, rec = _served(s)
    rec_id, honest = rec.id, rec.effective_at
    _edit(rec_id, effective_at=honest + shift)
    after = issue_credential(run_jobs, rec_id)
    assert after.credential_version_id is None
    refused = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "service.credential_refused")).one()
    assert refused.details == {"reason": "date_differs"}
    result = _verify(app)
    assert result.exit_code == 1
    assert f"service record {rec_id} (date_differs)" in result.output


def test_a_date_of_service_set_where_nothing_counted_is_reported(app, s, run_jobs):
    """No consent: the delivery fixed nothing. The attacker writes a date anyway."""
    _world, _doc, rec = _served(s, consent=False)
    rec_id = rec.id
    assert rec.effective_at is None
    _edit(rec_id, effective_at=db.utcnow() - timedelta(hours=2), effective_channel="wechat")
    assert issue_credential(run_jobs, rec_id).credential_version_id is None
    result = _verify(app)
    assert result.exit_code == 1 and f"service record {rec_id} (no_audited_event)" in result.output


def test_a_date_of_service_removed_in_the_database_is_reported(app, s, run_jobs):
    _world, _doc, rec = _served(s)
    rec_id = rec.id
    _edit(rec_id, effective_at=None)
    assert issue_credential(run_jobs, rec_id).credential_version_id is None
    result = _verify(app)
    assert result.exit_code == 1 and f"service record {rec_id} (date_removed)" in result.output
