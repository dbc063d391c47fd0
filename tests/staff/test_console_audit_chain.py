"""The console's audit page after someone with database access rewrote history."""
from __future__ import annotations

from sqlalchemy import select

from court import audit_chain
from court.models import AuditEvent
from tests.support.audit import rewrite_forward


def test_console_page_reports_a_rewritten_chain(console, s):  # noqa: F811
    console.login()
    r = console.post("/console/cases", {"number": "（2026）京0491民初77号", "type": "civil", "title": "借款纠纷"})
    case_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    page = console.get(f"/console/cases/{case_id}/audit").get_data(as_text=True)
    assert "哈希链完整" in page
    audit_chain.save_checkpoint(s, audit_chain.verify(s))
    s.commit()
    created = s.scalar(select(AuditEvent).where(AuditEvent.action == "case.created"))
    rewrite_forward(s, created.id)
    page = console.get(f"/console/cases/{case_id}/audit").get_data(as_text=True)
    assert "哈希链校验失败" in page and f"#{created.id} edited" in page
