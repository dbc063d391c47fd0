"""The system as a cluster: two web servers and two workers (separate instance folders and working
directories), one PostgreSQL, one Redis, one S3-protocol server, all on loopback.

Staff calls and each party's journey alternate between the web servers; a worker is killed with
SIGKILL while it seals; Redis is flushed while seal jobs wait and again in the middle of a party's
journey. In the end every document is sealed exactly once and every party served exactly once.

Runs only when TEST_DATABASE_URL and TEST_REDIS_URL are set: it creates its own database beside
TEST_DATABASE_URL's (``<name>_cluster``) and flushes TEST_REDIS_URL's database and the next one.
"""
from __future__ import annotations

import base64
import io
import itertools
import json
import os
import re
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.support.cluster import CSRF, Cluster, free_port, group_alive, wait_for

DB_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = [
    pytest.mark.cluster, pytest.mark.slow,
    pytest.mark.skipif(not (DB_URL.startswith("postgresql") and REDIS_URL),
                       reason="the cluster test needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL"),
]
LINK = re.compile(r"https?://[^\s，。]+(/s/[\w-]+)")
CODE = re.compile(r"验证码为(\d{6})")
FIRST_BATCH, SECOND_BATCH = 6, 3
NAMES = ["张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十", "钱一", "冯二"]
PAGES = 120  # big enough that a seal takes a noticeable moment, so the kill lands mid-seal


@pytest.fixture(scope="module")
def database() -> str:
    base = make_url(DB_URL)
    name = f"{base.database}_cluster"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, database, s3_server):
    from court.redis_conn import cache_url_for

    base = tmp_path_factory.mktemp("cluster")
    bucket = f"cluster-{uuid.uuid4().hex[:10]}"
    s3_server.create_bucket(bucket)
    for url in (REDIS_URL, cache_url_for(REDIS_URL)):
        redis.Redis.from_url(url).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_"))}
    env.update(
        DATABASE_URL=database, REDIS_URL=REDIS_URL, STORAGE_URL=f"s3://{bucket}/court", **s3_server.settings(),
        SECRET_KEY="cluster-secret-" + "s" * 40, DATA_KEY="c1:" + "d" * 48,
        FLOW_SWEEP_SECONDS="5", NOTIFY_SWEEP_SECONDS="5", JOB_RETRY_INTERVALS="2,5,10",
        FACE_FRESH_MINUTES="30", LOG_FORMAT="json",
    )
    c = Cluster(base, env)
    init = c.flask("init")  # the release step, once
    assert init.returncode == 0, init.stderr
    admin_key = re.search(r"(ck_[\w-]+)", init.stdout).group(1)
    pki = base / "release" / "instance" / "pki"  # one court seal and CA for every host
    env.update(SEAL_P12_PATH=str(pki / "seal.p12"), PLATFORM_CA_P12_PATH=str(pki / "platform-ca.p12"))
    try:
        port = free_port()
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"  # links in SMS messages
        c.start_web(port)
        c.start_web()
        c.start_worker()
        c.start_worker()
        c.admin_key = admin_key  # type: ignore[attr-defined]
        yield c
    finally:
        c.stop_all()


class Alternating:
    """One browser-like client whose requests go to the web servers in turn (shared cookie jar:
    the cookies of 127.0.0.1 are not port-specific)."""

    def __init__(self, webs: list[str], headers: dict[str, str] | None = None):
        self.http = requests.Session()
        self.http.headers.update(headers or {})
        self._next = itertools.cycle(webs)
        self.seen: set[str] = set()

    def __call__(self, method: str, path: str, **kw) -> requests.Response:  # type: ignore[no-untyped-def]
        host = next(self._next)
        self.seen.add(host)
        resp = self.http.request(method, host + path, timeout=60, **kw)
        assert resp.status_code < 500, f"{method} {path} on {host}: {resp.status_code} {resp.text[:500]}"
        return resp

    def csrf(self, path: str) -> str:
        page = self("get", path)
        assert page.status_code == 200, page.text[:300]
        return CSRF.search(page.text).group(1)


def _pdf(pages: int, text_: str) -> bytes:
    from tests.support.factories import pdf_bytes

    return pdf_bytes(pages, text_)


def _png_signature() -> str:
    from tests.support.signing import signature_png

    return "data:image/png;base64," + base64.b64encode(signature_png()).decode()


def _selfie() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((640, 640), 60).convert("RGB").save(buf, format="JPEG")
    return buf.getvalue()


def _start_documents(staff: Alternating, n: int, offset: int) -> list[dict]:
    made = []
    for i in range(offset, offset + n):
        from tests.support.factories import id_number

        case = staff("post", "/api/v1/cases", json={"number": f"（2026）京0491民初{7000 + i}号"}).json()
        [party] = staff("post", f"/api/v1/cases/{case['id']}/parties", json={"parties": [{
            "role": "plaintiff", "name": NAMES[i], "id_number": id_number(seq=f"{300 + i}"),
            "phone": f"1390000{i:04d}"}]}).json()
        doc = staff("post", f"/api/v1/cases/{case['id']}/documents", files={"file": ("d.pdf", _pdf(PAGES, f"doc {i}"))},
                    data={"kind": "notice", "title": f"通知书{i}"})
        assert doc.status_code == 201, doc.text
        flow = staff("post", f"/api/v1/documents/{doc.json()['id']}/flows", json={"steps": [
            {"action": "seal"}, {"action": "receive", "party_id": party["id"]}]})
        assert flow.status_code == 201, flow.text
        made.append({"doc": doc.json()["id"], "party": party["id"], "phone": f"1390000{i:04d}"})
    return made


def _sealed(engine, doc_ids: list[int]) -> bool:
    from court.models import DocumentVersion

    with engine.connect() as conn:
        n = conn.scalar(select(func.count(func.distinct(DocumentVersion.document_id))).where(
            DocumentVersion.document_id.in_(doc_ids), DocumentVersion.reason == "sealed"))
    return n == len(doc_ids)


def _messages(engine, phone: str) -> list[str]:
    from court.models import DevMessage

    with engine.connect() as conn:
        return list(conn.scalars(select(DevMessage.body).where(DevMessage.address == phone).order_by(DevMessage.id)))


def _kill_a_worker_mid_seal(cluster: Cluster) -> int:
    """SIGKILL the worker that is sealing right now (it holds a document lock); its process group id."""
    from rq import Worker

    conn = redis.Redis.from_url(REDIS_URL)
    pids = {p.pid: name for name, p in cluster.workers().items()}

    def sealing() -> int | None:
        if not conn.keys("signing:document:*"):
            return None
        for worker in Worker.all(connection=conn):
            job_id = worker.get_current_job_id() or ""
            if job_id.startswith("seal-step-") and worker.pid in pids:
                return worker.pid
        return None

    pid = wait_for(sealing, timeout=120, what="a worker sealing a document", every=0.01)
    os.killpg(pid, signal.SIGKILL)
    cluster.procs[pids[pid]].wait(timeout=10)
    return pid


def _flash(html: str) -> str:
    return " / ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', html, re.S)) or "nothing"


def _journey(webs: list[str], engine, item: dict, *, flush_midway: bool = False) -> None:
    """One party, by SMS link: identity by SMS code, face check, consent, receipt; requests alternate."""
    party = Alternating(webs)
    body = wait_for(lambda: next((m for m in _messages(engine, item["phone"]) if LINK.search(m)), None),
                    timeout=120, what=f"the SMS link to {item['phone']}")
    landing = party("get", LINK.search(body).group(1))
    assert "/m/identity" in landing.url
    token = CSRF.search(landing.text).group(1)
    sent = len(_messages(engine, item["phone"]))
    asked = party("post", "/m/identity/send", data={"csrf_token": token, "next": f"/m/documents/{item['doc']}"})
    code_msg = wait_for(lambda: [m for m in _messages(engine, item["phone"])[sent:] if CODE.search(m)],
                        timeout=60, what=f"the SMS code (the page said: {_flash(asked.text)})")
    code = CODE.search(code_msg[-1]).group(1)
    face_page = party("post", "/m/identity/verify", data={"csrf_token": token, "code": code,
                                                          "next": f"/m/documents/{item['doc']}"})
    assert "/m/face" in face_page.url, face_page.url
    token = CSRF.search(face_page.text).group(1)
    # the separate consent to the face check (Face Recognition Measures), then the photo
    agreed = party("post", "/m/face/consent", data={"csrf_token": token, "decision": "agree",
                                                     "next": f"/m/documents/{item['doc']}"})
    assert 'id="photo"' in agreed.text, agreed.url
    token = CSRF.search(agreed.text).group(1)
    party("post", "/m/face", data={"csrf_token": token, "next": f"/m/documents/{item['doc']}"},
          files={"photo": ("selfie.jpg", _selfie(), "image/jpeg")})
    result = wait_for(lambda: (r := party("get", f"/m/face/status?next=/m/documents/{item['doc']}").json())
                      .get("done") and r, timeout=90, what="the face check")
    assert result["ok"], result
    if "/m/consent/" in result["next"]:
        token = party.csrf(result["next"])
        party("post", result["next"], data={"csrf_token": token, "agree": "yes"})
    if flush_midway:
        redis.Redis.from_url(REDIS_URL).flushdb()  # Redis lost between two steps of the journey
    token = party.csrf(f"/m/documents/{item['doc']}/sign")
    party("post", f"/m/documents/{item['doc']}/sign", data={"csrf_token": token, "signature": _png_signature()})
    wait_for(lambda: party("get", f"/m/documents/{item['doc']}/status").json().get("done"), timeout=120,
             what="the receipt signature")
    wait_for(lambda: party("get", f"/m/documents/{item['doc']}/receipt/status").json().get("ready"), timeout=120,
             what="the e-service credential")
    assert len(party.seen) == len(webs)  # both servers took part


def test_a_party_journey_survives_a_killed_worker_and_redis_flushes(cluster):
    from court.models import (
        Document,
        DocumentKind,
        DocumentVersion,
        FlowStep,
        ServiceRecord,
        SigningFlow,
        StepAction,
        StepStatus,
    )

    engine = create_engine(cluster.env["DATABASE_URL"])
    admin = Alternating(cluster.webs, {"Authorization": f"Bearer {cluster.admin_key}"})
    clerk = admin("post", "/api/v1/staff", json={"username": "clerk1", "name": "书记员", "role": "clerk"})
    assert clerk.status_code == 201, clerk.text
    staff = Alternating(cluster.webs, {"Authorization": f"Bearer {clerk.json()['api_key']}"})

    # 1. a worker dies mid-seal; its step is sealed by the other one, once
    with ThreadPoolExecutor(1) as pool:  # watch for a worker sealing while the documents come in
        watcher = pool.submit(_kill_a_worker_mid_seal, cluster)
        first = _start_documents(staff, FIRST_BATCH, 0)
        killed = watcher.result()
    time.sleep(1)
    assert not group_alive(killed)  # nothing of the killed worker lives on (no orphaned scheduler)
    cluster.start_worker()
    wait_for(lambda: _sealed(engine, [d["doc"] for d in first]), timeout=150, what="the first batch sealed")

    # 2. Redis flushed while seal jobs wait (no worker running): the flow sweep brings them back
    for name in list(cluster.workers()):
        cluster.stop(name)
    second = _start_documents(staff, SECOND_BATCH, FIRST_BATCH)
    redis.Redis.from_url(REDIS_URL).flushdb()
    cluster.start_worker()
    cluster.start_worker()
    wait_for(lambda: _sealed(engine, [d["doc"] for d in second]), timeout=150, what="the second batch sealed")

    # 3. every party's journey, alternating servers; Redis flushed again in the middle of one
    everything = first + second
    for n, item in enumerate(everything):
        _journey(cluster.webs, engine, item, flush_midway=(n == 0))

    # 4. exactly once, everywhere
    with engine.connect() as conn:
        for item in everything:
            sealed = conn.scalar(select(func.count()).select_from(DocumentVersion).where(
                DocumentVersion.document_id == item["doc"], DocumentVersion.reason == "sealed"))
            assert sealed == 1, f"document {item['doc']} sealed {sealed} times"
            records = conn.execute(select(ServiceRecord.signed_at, ServiceRecord.credential_version_id).where(
                ServiceRecord.party_id == item["party"], ServiceRecord.document_id == item["doc"])).all()
            assert len(records) == 1 and records[0][0] is not None and records[0][1] is not None
            links = [m for m in _messages(engine, item["phone"]) if LINK.search(m)]
            assert len(links) == 1, f"party {item['party']} was sent {len(links)} links"
            steps = conn.execute(select(FlowStep.action, FlowStep.status).join(SigningFlow).where(
                SigningFlow.document_id == item["doc"])).all()
            assert sorted((a.value, s.value) for a, s in steps) == [
                (StepAction.RECEIVE.value, StepStatus.DONE.value), (StepAction.SEAL.value, StepStatus.DONE.value)]
        credentials = conn.scalar(select(func.count()).select_from(Document).where(
            Document.kind == DocumentKind.CREDENTIAL))
        assert credentials == len(everything)
    # 5. the logs: JSON lines with request ids, and no party's phone number in clear
    logs = {p.name: p.read_text() for p in cluster.base.glob("*.log")}
    for name, content in logs.items():
        for item in everything:
            assert item["phone"] not in content, f"{name} shows {item['phone']} in clear"
    def request_ids(prefix: str) -> list[str]:
        return [json.loads(line).get("request_id") or "" for name, content in logs.items() if name.startswith(prefix)
                for line in content.splitlines() if line.startswith("{")]

    assert any(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in request_ids("web"))  # a web request's id
    assert any(rid.startswith("job:") for rid in request_ids("worker"))  # a job's id
    # the flow sweep has run since the last Redis flush (its chain restarts within seconds)
    health = wait_for(lambda: (h := requests.get(f"{cluster.webs[1]}/healthz", timeout=10).json())
                      .get("flow_sweep_last_run") and h, timeout=90, what="a flow sweep after the flush")
    assert health["status"] == "ok" and health["workers"] >= 2
    engine.dispose()
