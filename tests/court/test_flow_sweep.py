"""Recovery: a seal step whose job was lost (Redis flushed, worker killed) is enqueued again by the
flow sweep, once, and sealed once; a killed holder's document lock lapses within seconds."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from court import db, locks, redis_conn
from court.models import Document, DocumentStatus, FlowStep, StepStatus
from court.services import flow_sweep
from tests.support.signing import make_world, seal_flow, upload


def _seal_flow(s):
    world = make_world(s, 1)
    doc = upload(s, world)
    flow = seal_flow(s, world, doc, world.parties[:1])
    s.commit()
    return doc.id, flow.steps[0].id


def _signing_queue() -> Queue:
    return Queue("signing", connection=redis_conn.client())


def _sealed_versions(doc_id: int) -> int:
    db.session.remove()
    doc = db.session().get(Document, doc_id)
    return sum(1 for v in doc.versions if v.reason == "sealed")


def test_a_queued_seal_job_is_left_alone(s):
    _doc_id, _step_id = _seal_flow(s)
    assert _signing_queue().count == 1
    assert flow_sweep.run()["requeued"] == 0
    assert flow_sweep.run()["requeued"] == 0
    assert _signing_queue().count == 1  # no duplicate of a job still waiting


def test_after_a_redis_flush_the_seal_is_enqueued_again_and_done_once(s, run_jobs):
    doc_id, _step_id = _seal_flow(s)
    redis_conn.client().flushdb()  # the job is gone
    first = flow_sweep.run()
    assert first == {"steps": 1, "suspect": 1, "requeued": 0}  # first sighting: wait one round
    second = flow_sweep.run()
    assert second["requeued"] == 1
    assert flow_sweep.run()["requeued"] == 0  # the new job is live now: not again
    assert run_jobs(("signing",)) == 1
    assert _sealed_versions(doc_id) == 1
    assert db.session().get(Document, doc_id).status is DocumentStatus.SEALED
    assert flow_sweep.run()["steps"] == 0
    assert flow_sweep.last_run() is not None


def test_a_dead_workers_started_job_is_replaced_but_a_running_one_is_not(s, run_jobs):
    doc_id, step_id = _seal_flow(s)
    conn = redis_conn.client()
    q = _signing_queue()
    [job_id] = q.job_ids
    job = Job.fetch(job_id, connection=conn)
    q.remove(job)  # a worker took it ...
    job.set_status(JobStatus.STARTED)
    step = s.get(FlowStep, step_id)
    step.status = StepStatus.RUNNING
    s.commit()
    with locks.hold(locks.document_lock_name(doc_id), ttl=5):  # ... and is alive, holding the lock
        flow_sweep.run()
        assert flow_sweep.run()["requeued"] == 0
    # ... then it was killed: no lock, the job stuck in "started"
    assert flow_sweep.run()["requeued"] == 0
    assert flow_sweep.run()["requeued"] == 1
    assert run_jobs(("signing",)) == 1
    assert _sealed_versions(doc_id) == 1


def test_the_sweep_job_keeps_one_chain_alive(app):
    from court import periodic

    flow_sweep.ensure_scheduled()
    flow_sweep.ensure_scheduled()
    conn = redis_conn.client()
    assert conn.get(flow_sweep.CHAIN.key) is not None
    from rq.registry import ScheduledJobRegistry

    assert len(ScheduledJobRegistry("signing", connection=conn).get_job_ids()) == 1
    conn.flushdb()
    periodic.ensure(flow_sweep.CHAIN)  # what a worker's keep-alive does after a flush
    assert len(ScheduledJobRegistry("signing", connection=conn).get_job_ids()) == 1


def _hold_forever(url: str, name: str, ready) -> None:  # type: ignore[no-untyped-def]
    redis_conn.init(url)
    with locks.hold(name, ttl=2):
        ready.set()
        time.sleep(60)


def test_a_killed_holders_lock_lapses_in_seconds_and_a_live_one_keeps_it(app):
    name = locks.document_lock_name(999)
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_forever, args=(redis_conn.url(), name, ready))
    holder.start()
    try:
        assert ready.wait(10)
        time.sleep(3)  # longer than the TTL: the live holder refreshes it
        assert locks.is_held(name)
        with pytest.raises(locks.LockBusy):
            with locks.hold(name, wait=0.5):
                pass
        os.kill(holder.pid, signal.SIGKILL)
        start = time.monotonic()
        with locks.hold(name, wait=10):
            waited = time.monotonic() - start
        assert waited < 3.5
    finally:
        if holder.is_alive():
            holder.kill()
        holder.join()
