"""Figures for Prometheus (``/metrics``), shared by every host and process.

Nothing is counted in one process's memory: a cluster has several web servers and workers, and
Prometheus scrapes one of them at a time. Latencies are recorded by the workers into Redis
histogram buckets (:func:`observe`); everything else is read when scraped — queue depths and
live workers from Redis, notifications and identity checks from the database.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from court import db, queue, redis_conn

log = logging.getLogger(__name__)
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
HISTOGRAMS = {"seal": "court_seal_seconds", "sign": "court_sign_seconds"}
_KEY = "metrics:hist:{}"


def observe(name: str, seconds: float) -> None:
    """Record one duration of ``name`` (``seal``, ``sign``); never fails the caller."""
    bucket = next((str(b) for b in BUCKETS if seconds <= b), "+Inf")
    try:
        with redis_conn.client().pipeline(transaction=False) as pipe:
            pipe.hincrby(_KEY.format(name), bucket, 1)
            pipe.hincrbyfloat(_KEY.format(name), "sum", seconds)
            pipe.execute()
    except Exception:
        log.debug("could not record metric %s", name, exc_info=True)


def _histogram(name: str, metric: str) -> HistogramMetricFamily:
    raw = {redis_conn.text(k): float(v) for k, v in redis_conn.client().hgetall(_KEY.format(name)).items()}
    running, buckets = 0.0, []
    for bound in (*map(str, BUCKETS), "+Inf"):
        running += raw.get(bound, 0.0)
        buckets.append((bound, running))
    family = HistogramMetricFamily(metric, f"time to {name} one document (worker job), seconds")
    family.add_metric([], buckets, sum_value=raw.get("sum", 0.0))
    return family


class CourtCollector(Collector):
    def collect(self) -> Iterator[Any]:
        from rq import Worker
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        from court.models import IdentityCheck, Notification

        conn = redis_conn.client()
        depth = GaugeMetricFamily("court_queue_jobs", "jobs per queue and state", labels=["queue", "state"])
        for name in queue.QUEUES:
            q = queue.queue(name)
            depth.add_metric([name, "queued"], q.count)
            depth.add_metric([name, "started"], StartedJobRegistry(name, connection=conn).count)
            depth.add_metric([name, "scheduled"], ScheduledJobRegistry(name, connection=conn).count)
            depth.add_metric([name, "failed"], FailedJobRegistry(name, connection=conn).count)
        yield depth
        yield GaugeMetricFamily("court_workers", "live RQ workers", value=Worker.count(connection=conn))
        s = db.session()
        notes = GaugeMetricFamily("court_notifications", "notifications by channel and status",
                                  labels=["channel", "status"])
        for channel, status, n in s.execute(select(Notification.channel, Notification.status, func.count())
                                            .group_by(Notification.channel, Notification.status)):
            notes.add_metric([channel, getattr(status, "value", str(status))], n)
        yield notes
        checks = GaugeMetricFamily("court_identity_checks", "identity checks by method, status and result",
                                   labels=["method", "status", "result"])
        for method, check_status, result, n in s.execute(
                select(IdentityCheck.method, IdentityCheck.status, IdentityCheck.result, func.count())
                .group_by(IdentityCheck.method, IdentityCheck.status, IdentityCheck.result)):
            checks.add_metric([method, check_status, result or ""], n)
        yield checks
        for name, metric in HISTOGRAMS.items():
            yield _histogram(name, metric)
