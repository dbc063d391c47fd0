"""Benchmark: the clerk's service desk (``court.services.worklist.build``) over a court with many
open party steps, with the queries it runs. Setting up the cases is not timed.

Each case has ``--per-case`` parties served one subpoena (a RECEIVE flow, messages in the outbox,
consent given); the first page of the list (50 rows) and a search are built ``--runs`` times and
the median and worst times printed. SQLite + embedded Redis in a throw-away folder by default.

    python -m bench.worklist                   # 300 and 2,000 open steps
    python -m bench.worklist --sizes 300 1000 --per-case 100
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 2000], help="open party steps in the court")
    ap.add_argument("--per-case", type=int, default=300)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()

    from sqlalchemy import event, insert, select

    from bench import world
    from court import db, redis_conn
    from court.models import Consent, DocumentKind, Notification, PartyRole, StaffRole, StepAction
    from court.services import cases, documents, flows, worklist
    from court.services import staff as staff_service
    from tests.support.factories import pdf_bytes

    app = world.env_app()
    with app.app_context():
        redis_conn.client().flushdb()
        s = db.session()
        court = world.new_court(s)
        clerk, _key = staff_service.create_staff(s, court, "benchclerk", "书记员", StaffRole.CLERK)
        s.commit()
        made, n_case = 0, 0
        selects: list[str] = []
        event.listen(db.engine(), "before_cursor_execute",
                     lambda conn, cur, stmt, *a: selects.append(stmt) if stmt.lstrip().upper().startswith("SELECT") else None)
        for size in sorted(args.sizes):
            while made < size:
                n_case += 1
                count = min(args.per_case, size - made)
                case = cases.create_case(s, court, f"（2026）京0491民初{n_case}号", "civil", "买卖合同纠纷")
                added = cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name=f"当事人{made + i}",
                                                                     phone=f"139{made + i:08d}") for i in range(count)])
                parties = [p for p, _c in added]
                doc = documents.upload(s, case, DocumentKind.SUBPOENA, f"传票{n_case}", pdf_bytes(),
                                       max_bytes=2 * 1024 * 1024)
                flows.start_flow(s, doc, [flows.StepInput(StepAction.RECEIVE, party_id=p.id) for p in parties])
                now = db.utcnow()
                s.execute(insert(Consent), [{"party_id": p.id, "case_id": case.id, "decision": "given",
                                             "channels": ["sms"], "address": {"sms": p.phone}, "text_shown": "确认书",
                                             "method": "staff", "recorded_by": "bench", "given_at": now} for p in parties])
                s.execute(insert(Notification), [{"party_id": p.id, "case_id": case.id, "document_id": doc.id,
                                                  "channel": "sms", "address": p.phone, "template": "document_ready",
                                                  "params": {}, "status": "sent"} for p in parties])
                s.commit()
                made += count
            staff = s.scalar(select(type(clerk)).where(type(clerk).id == clerk.id))
            for label, query in (("first page", worklist.Query()), ("search", worklist.Query(q="当事人1"))):
                times = []
                for _ in range(args.runs):
                    selects.clear()
                    t0 = time.perf_counter()
                    view = worklist.build(s, staff, query)
                    times.append(time.perf_counter() - t0)
                    s.rollback()
                print(f"{size:>6} open steps, {label:<10}: median {statistics.median(times) * 1000:7.1f} ms, "
                      f"worst {max(times) * 1000:7.1f} ms, {len(selects)} SELECTs, {view.total} rows listed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
