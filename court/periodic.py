"""Periodic jobs on RQ's scheduler: one self-rescheduling chain per job, restarted if broken.

Each chain keeps the id of its next scheduled run in a Redis key that expires after three
intervals. A run schedules its successor only while it is the chain's owner, so two chains never
run side by side; :func:`ensure` starts a new chain when the key is gone (a Redis flush, a lost
job). Workers call :func:`ensure` at start and then every few seconds from :func:`keep_alive`.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from court import queue, redis_conn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chain:
    name: str  # e.g. "flow-sweep"
    job: queue.Job[..., Any]  # the declared job (its queue is the chain's)
    interval: Callable[[], int]  # seconds, read each time (settings may change in tests)

    @property
    def key(self) -> str:
        return key(self.name)


def key(name: str) -> str:
    """The Redis key holding the id of chain ``name``'s next scheduled run."""
    return f"periodic:{name}:chain"


def schedule_next(chain: Chain, *, force: bool = False) -> bool:
    interval = max(1, int(chain.interval()))
    if not queue.queue(chain.job.queue_name).is_async:
        return False
    job_id = f"{chain.name}-{uuid.uuid4().hex[:12]}"
    if not redis_conn.client().set(chain.key, job_id, nx=not force, ex=interval * 3):
        return False
    chain.job.schedule_link(timedelta(seconds=interval), job_id=job_id, result_ttl=interval * 2)
    return True


def continue_chain(chain: Chain, current_job_id: str | None) -> None:
    """Called at the end of a run: the owner schedules the next run; a stray duplicate does not."""
    owner = redis_conn.client().get(chain.key)
    if current_job_id and redis_conn.text(owner) == current_job_id:
        schedule_next(chain, force=True)
    else:
        ensure(chain)


def ensure(chain: Chain) -> None:
    """Cheap: start the chain if it is not alive. Never raises (Redis trouble: try again later)."""
    try:
        schedule_next(chain, force=False)
    except Exception:
        log.warning("could not schedule %s", chain.name, exc_info=True)


def keep_alive(hooks: list[Callable[[], None]], every: float) -> threading.Event:
    """Call every hook now and then every ``every`` seconds in a daemon thread (a worker's
    chains come back within one interval of a Redis flush). Set the returned event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            for hook in hooks:
                try:
                    hook()
                except Exception:
                    log.warning("periodic hook %r failed", hook, exc_info=True)
            if stop.wait(every):
                return

    threading.Thread(target=loop, name="periodic-keep-alive", daemon=True).start()
    return stop


def scheduler_thread(queue_names: list[str], stop: threading.Event, interval: float = 1.0) -> threading.Thread:
    """RQ's scheduler (moving due ``enqueue_in`` jobs and retries onto their queues) in a thread
    of the worker process rather than a forked child: it dies with its worker, even under
    SIGKILL, instead of living on as an orphan. Its locks are refreshed every ``interval`` and
    re-taken after a Redis flush."""
    from rq.scheduler import RQScheduler

    def loop() -> None:
        scheduler = RQScheduler(queue_names, connection=redis_conn.client(), interval=int(max(1, interval)))
        while not stop.is_set():
            try:
                if not scheduler.acquired_locks or scheduler.should_reacquire_locks:
                    scheduler.acquire_locks()
                if scheduler.acquired_locks:
                    scheduler.heartbeat()
                    scheduler.enqueue_scheduled_jobs()
            except Exception:
                log.warning("scheduler pass failed; trying again", exc_info=True)
            stop.wait(interval)
        try:
            scheduler.release_locks()
        except Exception:
            log.debug("could not release scheduler locks", exc_info=True)

    thread = threading.Thread(target=loop, name="rq-scheduler", daemon=True)
    thread.start()
    return thread
