"""A case's audit trail, with an incremental check of the chain's integrity."""
from __future__ import annotations

from court import audit as audit_log
from court import audit_chain, db
from staff.api import bp
from staff.api.cases import _case
from staff.api.openapi import route
from staff.api.schemas import AuditEventOut, AuditOut, ChainProblem


@route(bp, "/cases/<int:case_id>/audit", summary="案件审计日志及链校验 / audit log with chain check",
       tag="audit", response=AuditOut)
def case_audit(case_id: int) -> AuditOut:
    s = db.session()
    events = audit_log.events_for_case(s, _case(case_id).id)
    # rows after the last full check, and the rows returned; `flask court audit verify` checks all
    report = audit_chain.verify_recent(s, events)
    return AuditOut(
        events=[AuditEventOut.model_validate(e) for e in events], chain_ok=report.ok, chain_checked=report.checked,
        problems=[ChainProblem(**p) for p in report.problems], checked_from_id=report.from_id,
        anchored_id=report.anchored_id, anchored_at=report.anchored_at,
    )
