"""The service dashboard shows what was sent, reached, opened and signed, and exports the numbers."""
import csv
import io
import re
from datetime import timedelta

from court import db
from court.models import Notification, NotificationStatus, ServiceRecord
from tests.support.signing import make_world, upload


def test_dashboard_counts_messages_and_the_service_funnel(console, s):
    world = make_world(s, 2)
    doc = upload(s, world)
    now = db.utcnow()
    a, b = world.parties
    s.add_all([
        Notification(case_id=world.case.id, party_id=a.id, document_id=doc.id, channel="sms", address="13800000001",
                     template="document_ready", params={}, status=NotificationStatus.OPENED, sent_at=now,
                     delivered_at=now, opened_at=now),
        Notification(case_id=world.case.id, party_id=b.id, document_id=doc.id, channel="wechat", address="o-b",
                     template="document_ready", params={}, status=NotificationStatus.DELIVERED, sent_at=now),
        Notification(case_id=world.case.id, party_id=b.id, document_id=doc.id, channel="sms", address="13800000002",
                     template="document_ready", params={}, status=NotificationStatus.FAILED),
        ServiceRecord(party_id=a.id, document_id=doc.id, created_at=now - timedelta(minutes=5),
                      effective_at=now, signed_at=now),
        ServiceRecord(party_id=b.id, document_id=doc.id, created_at=now - timedelta(hours=3), effective_at=now),
    ])
    s.commit()
    console.login()
    page = console.get("/console/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 3 and not re.search(r'(src|href)="(https?:)?//', page)  # nothing from a CDN
    assert "短信：1</title>" in page and "微信：1</title>" in page  # the failed SMS is not counted
    assert "送达：2</title>" in page and "到达：2</title>" in page and "查阅：1</title>" in page and "签收：1</title>" in page
    assert "1–10分钟：1</title>" in page and "1–24小时：1</title>" in page
    rows = list(csv.reader(io.StringIO(console.get("/console/dashboard.csv?days=7").get_data(as_text=True).lstrip("\ufeff"))))
    assert ["funnel", "签收", "", "1"] in rows and rows[0] == ["section", "key", "channel", "count"]
    assert sum(int(r[3]) for r in rows if r[0] == "messages_by_day") == 2
