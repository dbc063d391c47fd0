"""Benchmark: one staff push to 100,000 parties, end to end through the development gateway.

Timed from the push request to the last status recorded: outbox rows written (bulk, per chunk),
messages rendered, handed to the development gateway (recorded in ``dev_message``), statuses
recorded (batched). Setting up the parties is not timed. Runs on a throw-away instance folder
(SQLite + embedded Redis by default; ``DATABASE_URL`` / ``REDIS_URL`` select real servers —
their data is NOT cleaned up, use a scratch database).

    python -m bench.fanout                 # 100,000 parties, jobs run by --workers RQ workers
    python -m bench.fanout --parties 20000 --workers 2
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parties", type=int, default=100_000)
    ap.add_argument("--per-case", type=int, default=1000, help="parties per case")
    ap.add_argument("--chunk", type=int, default=2000, help="PUSH_CHUNK_SIZE: parties per outbox chunk / job")
    ap.add_argument("--workers", type=int, default=1,
                    help="RQ worker processes (0: run the jobs in this process)")
    args = ap.parse_args()

    from sqlalchemy import func, insert, select

    from bench import world
    from court import db, queue, redis_conn
    from court.models import Case, Consent, DevMessage, NoticePush, Party, PartyRole
    from court.services import consent_text
    from notify import push

    app = world.env_app(PUSH_CHUNK_SIZE=str(args.chunk), SMS_PROVIDER="development", MAIL_PROVIDER="development")
    os.environ["REDIS_URL"] = app.config["REDIS_URL_IN_USE"]  # workers share the (embedded) server
    with app.app_context():
        redis_conn.client().flushdb()
        t0 = time.perf_counter()
        with db.transaction() as s:
            court = world.new_court(s)
            court_id = court.id
            case_ids = []
            for c in range(0, args.parties, args.per_case):
                case = Case(court_id=court.id, number=f"（2026）京0491民初{10000 + c // args.per_case}号",
                            type="civil", title="批量推送基准")
                s.add(case)
                s.flush()
                case_ids.append(case.id)
                n = min(args.per_case, args.parties - c)
                now = db.utcnow()
                s.execute(insert(Party), [
                    {"case_id": case.id, "role": PartyRole.DEFENDANT if i % 2 else PartyRole.PLAINTIFF,
                     "name": f"当事人{c + i}", "phone": f"13{(c + i):09d}", "created_at": now} for i in range(n)])
                # every party agreed to electronic service (a paper form entered by staff): a push
                # serves only parties who consented, and asks for their consent in bulk
                text = consent_text.consent_text(case, ["sms"], "zh_Hans_CN")
                s.execute(insert(Consent), [
                    {"party_id": pid, "case_id": case.id, "decision": "given", "channels": ["sms"],
                     "address": {"sms": phone}, "text_shown": text, "method": "staff", "recorded_by": "staff:bench",
                     "given_at": now}
                    for pid, phone in s.execute(select(Party.id, Party.phone).where(Party.case_id == case.id))])
        print(f"setup: {args.parties:,} parties in {len(case_ids)} cases ({time.perf_counter() - t0:.1f} s, untimed)")

        procs = []
        start = time.perf_counter()
        with db.transaction() as s:
            p = push.start_push(s, court_id=court_id, case_ids=case_ids, recipients={"all": True},
                                template="hearing_notice", fields={"time": "2026年12月1日9时", "place": "第三法庭"})
        push_id = p.id
        if args.workers == 0:
            from rq import SimpleWorker

            SimpleWorker([queue.queue("notify")], connection=redis_conn.client()).work(
                burst=True, logging_level="WARNING")
        else:
            env = dict(os.environ, FLASK_APP="app")
            for _ in range(args.workers):
                procs.append(subprocess.Popen([sys.executable, "-m", "flask", "court", "worker", "--burst",
                                               "--queues", "notify"], cwd=ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        last = -1
        while True:
            db.session.remove()
            with db.transaction() as s:
                st = push.status(s, s.get(NoticePush, push_id))
            if st["processed"] != last:
                last = st["processed"]
                print(f"  {time.perf_counter() - start:6.1f} s  written {st['queued']:>7,}  "
                      f"processed {st['processed']:>7,}", flush=True)
            if st["status"] == "done":
                break
            failed = queue.queue("notify").failed_job_registry.count
            if failed or time.perf_counter() - start > 600:
                print(f"giving up: {failed} failed job(s)" if failed else "giving up after 600 s")
                for pr in procs:
                    pr.terminate()
                return 1
            if procs and all(pr.poll() is not None for pr in procs):
                # burst workers stop when the queue is momentarily empty; start them again
                procs = [subprocess.Popen(pr.args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL) for pr in procs]
            time.sleep(1.0)
        elapsed = time.perf_counter() - start
        for pr in procs:
            pr.wait()
        with db.transaction() as s:
            recorded = s.scalar(select(func.count()).select_from(DevMessage))
        print(f"done: {st['counts']['delivered']:,} delivered, {st['counts']['failed']:,} failed, "
              f"{recorded:,} messages at the development gateway")
        print(f"fan-out of {args.parties:,} in {elapsed:.1f} s = {args.parties / elapsed:,.0f} messages/s "
              f"(target: under 60 s)")
        if not app.extensions["court_config"].court.redis_url:
            redis_conn.stop_embedded(app.extensions["court_config"].court.instance_path)
        return 0 if recorded == args.parties and elapsed < 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
