"""China Standard Time: courts, parties and providers all read and write Beijing time.

One definition of the zone (UTC+8, no daylight saving since 1991) for every layer: dates shown to
people, provider reports given in local time without a zone, the seal's signing time.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def local(dt: datetime) -> datetime:
    """``dt`` (aware, or naive UTC as the database returns it) in Beijing time."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(CHINA)


def shown(dt: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``dt`` as people read it: Beijing time, to the minute unless ``fmt`` says otherwise."""
    return local(dt).strftime(fmt)
