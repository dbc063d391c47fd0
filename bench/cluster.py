"""Benchmark: a batch of seals with one RQ worker, then the same batch size with two, in one run.

Each round uploads ``--docs`` 3-page PDFs (untimed), starts the workers on an empty queue and
waits until they are registered, then starts every document's seal flow in one transaction and
times from its commit until the last document is sealed. Prints both rates and their ratio, with
the workers' CPU seconds (the machine is shared, so wall-clock alone misleads).

Use PostgreSQL for a fair figure: on SQLite every write transaction is ``BEGIN IMMEDIATE`` and the
seal is computed inside its transaction, so two workers take turns. ``DATABASE_URL`` /
``REDIS_URL`` select real servers (their data is NOT cleaned up: use a scratch database).

    python -m bench.cluster                     # 1,000 seals per round
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/scratch python -m bench.cluster --docs 300
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000, help="seals per round")
    args = ap.parse_args()

    from rq import Worker
    from sqlalchemy import func, select

    from bench import world
    from court import db, redis_conn
    from court.models import DocumentKind, DocumentVersion, StepAction
    from court.services import cases, documents, flows
    from tests.support.factories import pdf_bytes

    # the bench measures sealing, not recovery: no flow sweep during it
    app = world.env_app("court-bench-cluster-", "bench-secret-" + "x" * 40, FLOW_SWEEP_SECONDS="3600")
    os.environ["REDIS_URL"] = app.config["REDIS_URL_IN_USE"]
    kind = "PostgreSQL" if app.extensions["court_config"].court.database_url.startswith("postgresql") else "SQLite"
    print(f"database: {kind}; {os.cpu_count()} CPU cores")
    with app.app_context():
        redis_conn.client().flushdb()
        with db.transaction() as s:
            court = world.new_court(s)
            case = cases.create_case(s, court, f"（2026）京0491民初{int(time.time()) % 100000}号", "civil")
            case_id = case.id
        pdf = pdf_bytes(3, "Cluster bench")
        rates = []
        for n_workers in (1, 2):
            with db.transaction() as s:  # untimed: the documents (identical bytes, one blob)
                case = s.get(cases.Case, case_id)
                doc_ids = [documents.upload(s, case, DocumentKind.NOTICE, f"通知书{i}", pdf, max_bytes=10**7).id
                           for i in range(args.docs)]
            env = dict(os.environ, FLASK_APP="app")
            procs = [subprocess.Popen([sys.executable, "-m", "flask", "court", "worker", "--queues", "signing"],
                                      cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(n_workers)]
            while Worker.count(connection=redis_conn.client()) < n_workers:
                time.sleep(0.2)
            cpu0 = _children_cpu()
            with db.transaction() as s:
                for doc_id in doc_ids:
                    flows.start_flow(s, s.get(documents.Document, doc_id), [flows.StepInput(StepAction.SEAL)])
            start = time.perf_counter()
            while True:
                db.session.remove()
                with db.transaction() as s:
                    done = s.scalar(select(func.count()).select_from(DocumentVersion).where(
                        DocumentVersion.document_id.in_(doc_ids), DocumentVersion.reason == "sealed"))
                if done >= args.docs:
                    break
                if time.perf_counter() - start > 3600:
                    print("giving up after an hour")
                    return 1
                time.sleep(0.5)
            elapsed = time.perf_counter() - start
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait()
            cpu = _children_cpu() - cpu0
            rates.append(args.docs / elapsed)
            print(f"{n_workers} worker(s): {args.docs:,} seals in {elapsed:.1f} s = {rates[-1]:.1f} seals/s "
                  f"(workers' CPU {cpu:.1f} s, {args.docs / max(cpu, 1e-9):.1f} seals per CPU-second)")
        print(f"two workers / one worker: {rates[1] / rates[0]:.2f}x (goal 1.7x on 2 cores)")
        if not app.extensions["court_config"].court.redis_url:
            redis_conn.stop_embedded(app.extensions["court_config"].court.instance_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
