"""Figures of electronic service for the staff dashboard (and its CSV download).

Everything is counted in Beijing days, per court, from the outbox and the service records: how
many messages went out on each channel each day; of the documents served, how many reached the
party, were opened and were signed for; and how long service took to become effective.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import db, display
from court.models import Case, Notification, NotificationStatus, Party, ServiceRecord

CHANNELS = ("wechat", "sms", "email")
# (upper bound in minutes, label) for the time-to-effective-service histogram
BUCKETS: tuple[tuple[float, str], ...] = ((1, "1分钟内"), (10, "1–10分钟"), (60, "10–60分钟"), (24 * 60, "1–24小时"),
                                          (float("inf"), "超过1天"))
SENT = (NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.OPENED)


@dataclass
class ServiceStats:
    days: list[date]
    by_day: dict[date, Counter[str]]
    funnel: list[tuple[str, int]]  # 送达 → 到达 → 查阅 → 签收
    minutes_to_effective: list[float] = field(default_factory=list)

    def histogram(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for m in self.minutes_to_effective:
            counts[next(label for bound, label in BUCKETS if m < bound)] += 1
        return [(label, counts[label]) for _bound, label in BUCKETS]

    @property
    def median_minutes(self) -> float | None:
        return median(self.minutes_to_effective) if self.minutes_to_effective else None

    def rows(self) -> list[list[str]]:
        """The numbers behind the charts, as CSV rows."""
        out = [["section", "key", "channel", "count"]]
        for d in self.days:
            for ch in CHANNELS:
                out.append(["messages_by_day", d.isoformat(), ch, str(self.by_day[d][ch])])
        out += [["funnel", stage, "", str(n)] for stage, n in self.funnel]
        out += [["minutes_to_effective", label, "", str(n)] for label, n in self.histogram()]
        if self.median_minutes is not None:
            out.append(["minutes_to_effective", "median", "", f"{self.median_minutes:.1f}"])
        return out


def _day(dt: datetime) -> date:
    return dt.astimezone(display.CHINA).date()


def service_stats(s: Session, court_id: int, *, days: int = 30, now: datetime | None = None) -> ServiceStats:
    now = now or db.utcnow()
    today = _day(now)
    span = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    since = now - timedelta(days=days)
    by_day: dict[date, Counter[str]] = {d: Counter() for d in span}
    for channel, created in s.execute(select(Notification.channel, Notification.created_at).join(
            Case, Notification.case_id == Case.id).where(Case.court_id == court_id, Notification.created_at >= since,
                                                         Notification.status.in_(SENT))):
        d = _day(created)
        if d in by_day:
            by_day[d][channel] += 1
    records = s.scalars(select(ServiceRecord).join(Party).join(Case).where(
        Case.court_id == court_id, ServiceRecord.created_at >= since)).all()
    opened = {(p, d) for p, d in s.execute(select(Notification.party_id, Notification.document_id).join(
        Case, Notification.case_id == Case.id).where(Case.court_id == court_id, Notification.created_at >= since,
                                                     Notification.opened_at.is_not(None)))}
    funnel = [
        ("送达", len(records)),
        ("到达", sum(1 for r in records if r.effective_at is not None)),
        ("查阅", sum(1 for r in records if (r.party_id, r.document_id) in opened or r.signed_at is not None)),
        ("签收", sum(1 for r in records if r.signed_at is not None)),
    ]
    minutes = [max(0.0, (r.effective_at - r.created_at).total_seconds() / 60) for r in records
               if r.effective_at is not None]
    return ServiceStats(span, by_day, funnel, minutes)
