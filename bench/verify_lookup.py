"""The public verify page's code look-up: first (validating the stored file) and repeated (the
report reused from the cache Redis, ``signing.verify_cache``), against the uncached path.

    python bench/verify_lookup.py [--rounds 20] [--pages 2]

Seals one judgment through the seal job on an embedded app, then times ``GET /verify/<code>``
with the Flask test client: the first look-up after the cache was emptied, ``--rounds`` repeated
look-ups, and ``--rounds`` look-ups on the uncached path (``verify_cached`` swapped for
``verification.verify`` in the same process, the page before this cache). Prints the median and
worst of each and the ratio of the cached median to the uncached median. The rate limit of the
page (30 look-ups per 10 minutes per address) is lifted for the run.
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
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--pages", type=int, default=2)
    args = ap.parse_args()

    from bench import world
    from court import db, ratelimit, redis_conn
    from court.models import Document, DocumentKind, StepAction
    from court.services import cases, documents, flows
    from signing import service, verification, verify_cache
    from tests.support.factories import pdf_bytes

    app = world.embedded_app("verify-lookup-bench-")
    ratelimit.hit = lambda *a, **k: None  # type: ignore[assignment]
    with app.app_context():
        s = db.session()
        court = world.new_court(s)
        case = cases.create_case(s, court, "（2026）京0491民初9001号", "civil")
        doc = documents.upload(s, case, DocumentKind.JUDGMENT, "民事判决书", pdf_bytes(args.pages, "Judgment"),
                               max_bytes=10**7)
        flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL)])
        s.commit()
        service.seal_step(flow.steps[0].id)
        code = db.session().get(Document, doc.id).verify_code
        assert code, "the seal job did not seal"
        url = "/verify/" + "-".join(code[i:i + 4] for i in range(0, 16, 4))
        client = app.test_client()

        def timed() -> float:
            started = time.perf_counter()
            r = client.get(url)
            elapsed = time.perf_counter() - started
            assert r.status_code == 200 and "法院印章" in r.get_data(as_text=True), r.status_code
            return elapsed

        redis_conn.cache().flushdb()
        first = timed()
        cached = [timed() for _ in range(args.rounds)]
        real = verify_cache.verify_cached
        verify_cache.verify_cached = lambda pdf, **kw: verification.verify(pdf, **kw)  # type: ignore[assignment]
        try:
            uncached = [timed() for _ in range(args.rounds)]
        finally:
            verify_cache.verify_cached = real  # type: ignore[assignment]

    def line(name: str, xs: list[float]) -> str:
        return f"{name:<28} median {statistics.median(xs) * 1000:8.1f} ms   worst {max(xs) * 1000:8.1f} ms   n={len(xs)}"

    print(f"verify look-up of a sealed {args.pages}-page judgment (GET /verify/<code>)")
    print(line("first look-up (validates)", [first]))
    print(line("repeated look-up (cached)", cached))
    print(line("uncached path (before)", uncached))
    print(f"ratio cached/uncached median: {statistics.median(cached) / statistics.median(uncached):.3f} "
          f"(speed-up x{statistics.median(uncached) / statistics.median(cached):.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
