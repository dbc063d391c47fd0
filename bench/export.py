"""Benchmark: export a case's electronic file (50 documents of 20 pages, each sealed) and check it.

Prints the export time, the bundle's size, the export's peak Python memory (tracemalloc) and
the process's resident-memory growth, first for a case of ``--small`` documents and then for one
of ``--docs`` documents in the same run, so one can see that memory does not grow with the case
(the bundle is written one document version at a time), then the offline check's time.

    python -m bench.export                 # 50 documents of 20 pages
    python -m bench.export --docs 100 --pages 10
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=50)
    ap.add_argument("--small", type=int, default=5, help="documents in the comparison case")
    ap.add_argument("--pages", type=int, default=20)
    args = ap.parse_args()

    from rq import SimpleWorker

    from bench import world
    from court import db, queue, redis_conn
    from court.models import DocumentKind, PartyRole, StepAction
    from court.services import cases, documents, flows
    from signing import bundle, bundle_verify
    from tests.support.factories import id_number, pdf_bytes

    app = world.env_app()
    with app.app_context():
        pdf = pdf_bytes(args.pages, "判决书正文 Judgment text " * 20)
        with db.transaction() as s:
            court = world.new_court(s)
            court_id = court.id
        case_ids = []
        for n, count in ((1, args.small), (2, args.docs)):
            with db.transaction() as s:
                case = cases.create_case(s, s.get(type(court), court_id), f"（2026）京0491民初{n}号", "civil")
                cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(seq="222"))])
                for i in range(count):
                    doc = documents.upload(s, case, DocumentKind.JUDGMENT, f"判决书{i + 1}",
                                           pdf + f"%{n}-{i}\n".encode(), filename="j.pdf", max_bytes=10**9)
                    flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL)])
                case_ids.append(case.id)
        t = time.perf_counter()
        worker = SimpleWorker([queue.queue("signing")], connection=redis_conn.client())
        worker.work(burst=True)
        print(f"set-up: {args.small + args.docs} documents of {args.pages} pages sealed in "
              f"{time.perf_counter() - t:.1f} s (not part of the figures)")

        for case_id, count in zip(case_ids, (args.small, args.docs), strict=True):
            out = Path(app.extensions["court_config"].court.instance_path) / f"case-{case_id}.zip"
            rss0 = _rss_mb()
            tracemalloc.start()
            t = time.perf_counter()
            with db.transaction() as s:
                case = s.get(__import__("court.models", fromlist=["Case"]).Case, case_id)
                summary = bundle.export_to_path(s, case, out)
            took = time.perf_counter() - t
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"export, {count:3d} documents ({summary['versions']} versions): {took:6.2f} s, "
                  f"{out.stat().st_size / 1e6:6.1f} MB bundle, peak Python memory {peak / 1e6:6.1f} MB, "
                  f"RSS growth {_rss_mb() - rss0:6.1f} MB")
            t = time.perf_counter()
            report = bundle_verify.verify_bundle(out)
            print(f"verify-bundle: {'ok' if report.ok else 'FAILED'} in {time.perf_counter() - t:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
