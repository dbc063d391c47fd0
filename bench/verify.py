"""Hostile PDFs through the public verify page and through the seal job: worst time and peak memory.

    python bench/verify.py [--rounds 3]

Each file of ``tests/support/pdfcorpus.py`` (cross-reference bombs, decompression and object-stream
bombs, /Prev loops, deep nesting, truncated and damaged files) and the 510 KB page that inflates
to 500 MB is posted to ``POST /verify`` with the Flask test client, put through the upload check,
stored as a document (bypassing that check, as a file stored before it existed would be) and
sealed by the seal job (the function the RQ worker runs), and — for the page bomb — drawn for
the review page. For every file and path it prints the worst wall time over the rounds and the
peak memory: the larger of this process's growth (a new high-water mark of its RSS; 0.0 when
the work stayed below an earlier peak) and the child process's peak RSS (the work on untrusted
bytes runs in a limited child, see court/sandbox.py). Targets: a clear refusal (or,
for a damaged but repairable file, a normal result) in under 2 s and under 300 MB.
"""
from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LIMIT_SECONDS, LIMIT_MB = 2.0, 300.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Probe:
    """Wraps court.sandbox.run to remember the largest child peak of one measurement."""

    def __init__(self) -> None:
        from court import sandbox

        self.peak = 0.0
        self._run = sandbox.run

        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            try:
                out = self._run(*args, **kwargs)
            except sandbox.TooExpensive:
                lim = kwargs.get("limits") or sandbox.limits()
                self.peak = max(self.peak, 50.0 + lim.memory_mb)  # killed at its limit: count the whole budget
                raise
            except Exception as exc:  # a refusal from the child still says what it cost
                cost = getattr(exc, "cost", None)
                if cost is not None:
                    self.peak = max(self.peak, cost.peak_rss_mb)
                raise
            self.peak = max(self.peak, out.peak_rss_mb)
            return out

        sandbox.run = run  # type: ignore[assignment]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from sqlalchemy import select

    from bench import world
    from court import db, redis_conn
    from court.errors import DomainError
    from court.models import Document, DocumentKind, FlowStep, StepAction
    from court.services import cases, documents, flows
    from court.services import staff as staff_service
    from signing import pages, service
    from tests.support import pdfcorpus

    app = world.embedded_app("verify-bench-")
    probe = Probe()
    files = {name: make() for name, make in pdfcorpus.HOSTILE.items()}
    files["content_bomb_510KB"] = pdfcorpus.content_bomb()
    worst_ok = True
    with app.app_context():
        s = db.session()
        court = staff_service.create_court(s, "北京互联网法院", "京0491")
        case = cases.create_case(s, court, "（2026）京0491民初1号", "civil")
        s.commit()
        import signing

        signing.verify(pdfcorpus.minimal())  # keys, fork server and stamper ready, as on a running server
        service.stamper(court=court)
        from tests.web_sign.conftest import csrf

        client = app.test_client()
        token = csrf(client)
        posted = 0
        print(f"{'file':22} {'bytes':>8}  {'path':8} {'worst s':>8} {'peak MB':>8}  outcome")
        for name, data in files.items():
            for path in ("verify", "upload", "seal", "render"):
                if path == "render" and name != "content_bomb_510KB":
                    continue
                worst_t, worst_m, outcome = 0.0, 0.0, ""
                for _ in range(args.rounds):
                    probe.peak = 0.0
                    base = _rss_mb()
                    started = time.perf_counter()
                    if path == "verify":
                        posted += 1  # a new client address each time: the per-address limit is not measured here
                        r = client.post("/verify", data={"csrf_token": token, "pdf": (io.BytesIO(data), "x.pdf")},
                                        environ_base={"REMOTE_ADDR": f"10.0.{posted // 250}.{posted % 250}"})
                        text = r.get_data(as_text=True)
                        marker = text.split('id="verdict"', 1)[-1].split("</div>", 1)[0].split(">", 1)[-1]
                        outcome = f"{r.status_code} {marker.strip()[:60]}"
                    elif path == "upload":
                        try:
                            documents.upload(s, case, DocumentKind.SUBPOENA, name, data, max_bytes=10**8)
                            outcome = "accepted"
                        except DomainError as exc:
                            outcome = f"refused {exc.code}: {exc.localized()[:50]}"
                        s.rollback()
                    elif path == "seal":
                        doc = Document(case_id=case.id, kind=DocumentKind.SUBPOENA, title=name)
                        s.add(doc)
                        s.flush()
                        documents.add_version(s, doc, data, "uploaded")
                        flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL)])
                        s.commit()
                        res = service.seal_step(flow.steps[0].id)
                        step = db.session().scalar(select(FlowStep).where(FlowStep.id == flow.steps[0].id))
                        outcome = f"{res.status} {(step.error or '')[:60]}"
                        s = db.session()
                    else:
                        doc = Document(case_id=case.id, kind=DocumentKind.SUBPOENA, title=name)
                        s.add(doc)
                        s.flush()
                        version = documents.add_version(s, doc, data + b"%" + str(time.time()).encode(), "uploaded")
                        s.commit()
                        png = pages.render(version, 1)
                        outcome = "not drawn (over the limits)" if png is None else f"drawn {len(png)} bytes"
                    elapsed = time.perf_counter() - started
                    worst_t = max(worst_t, elapsed)
                    worst_m = max(worst_m, probe.peak, _rss_mb() - base)
                ok = worst_t < LIMIT_SECONDS and worst_m < LIMIT_MB
                worst_ok &= ok
                print(f"{name:22} {len(data):8d}  {path:8} {worst_t:8.3f} {worst_m:8.1f}  {outcome}"
                      + ("" if ok else "   <-- over target"))
    print(f"web process peak RSS: {_rss_mb():.0f} MB")
    print(f"target (every file < {LIMIT_SECONDS:.0f} s and < {LIMIT_MB:.0f} MB): " + ("met" if worst_ok else "NOT met"))
    redis_conn.stop_embedded(str(Path(app.extensions["court_config"].court.instance_path) / "redis"))
    return 0 if worst_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
