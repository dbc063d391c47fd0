"""Page images: time, size and child memory of one sealed A4 page at each allowed width, and a
code look-up on the public verify page (which verifies the stored file every time).

    python bench/pages.py [--rounds 3]

A two-page judgment is sealed by the seal job (so its last page carries the seal widget, drawn
since PDFium's form environment is loaded), then the last page is drawn at every width of
``signing.pages.WIDTHS`` straight through the sandboxed renderer (no cache), ``--rounds`` times
each; the script prints the median wall time, the PNG size and the child's peak RSS. Then it
times ``GET /verify/<code>`` (the verification report of the stored file plus the page count).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from bench import world
    from court import db, sandbox
    from court.models import Document, StepAction
    from court.services import cases, documents, flows
    from signing import codes, pages, service
    from tests.support.factories import pdf_bytes

    app = world.embedded_app("pages-bench-")
    with app.app_context():
        s = db.session()
        court = world.new_court(s)
        case = cases.create_case(s, court, "（2026）京0491民初1号", "civil")
        doc = documents.upload(s, case, documents.parse_kind("judgment"), "民事判决书", pdf_bytes(2, "Judgment"),
                               max_bytes=10**6)
        flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL)])
        s.commit()
        service.seal_step(flow.steps[0].id)
        doc = db.session().get(Document, doc.id)
        data = documents.read_version(doc.current)
        sandbox.run(pages.count_pages, data, what="warm-up")  # the fork server up, as on a running server
        print(f"{'width':>6} {'median s':>9} {'PNG KB':>8} {'child MB':>9}")
        for width in pages.WIDTHS:
            times, peak, size = [], 0.0, 0
            for _ in range(args.rounds):
                started = time.perf_counter()
                out = sandbox.run(pages.draw_page, data, 1, width, what="page image")
                times.append(time.perf_counter() - started)
                peak, size = max(peak, out.peak_rss_mb), len(out.value)
            print(f"{width:6d} {statistics.median(times):9.3f} {size / 1024:8.0f} {peak:9.0f}")
        client = app.test_client()
        code = codes.format_code(doc.verify_code)
        times = []
        for i in range(args.rounds):
            started = time.perf_counter()
            r = client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
            times.append(time.perf_counter() - started)
            assert r.status_code == 200 and "有效" in r.get_data(as_text=True)
        print(f"GET /verify/<code>: median {statistics.median(times):.3f} s over {args.rounds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
