"""Operations: /metrics for Prometheus (cluster-wide figures), /healthz for a cluster, JSON logs
with a request id and no personal data."""
from __future__ import annotations

import json
import logging

from court import logs, metrics
from tests.support.signing import make_world, seal_flow, upload

LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


def _metric(body: str, prefix: str) -> float:
    line = next(ln for ln in body.splitlines() if ln.startswith(prefix))
    return float(line.rsplit(" ", 1)[1])


def test_metrics_show_queue_depth_seal_latency_and_notifications(client, s, run_jobs):
    world = make_world(s, 1)
    seal_flow(s, world, upload(s, world), world.parties[:1])
    s.commit()
    body = client.get("/metrics", environ_base=LOOPBACK).get_data(as_text=True)
    assert _metric(body, 'court_queue_jobs{queue="signing",state="queued"}') == 1
    run_jobs(("signing",))
    body = client.get("/metrics", environ_base=LOOPBACK).get_data(as_text=True)
    assert _metric(body, 'court_queue_jobs{queue="signing",state="queued"}') == 0
    assert _metric(body, "court_seal_seconds_count") == 1
    assert _metric(body, 'court_seal_seconds_bucket{le="+Inf"}') == 1
    assert "court_notifications" in body and "court_identity_checks" in body and "court_workers" in body


def test_metrics_are_not_public(client, app):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    from app import create_app

    client = create_app(app.extensions["court_config"].replace(METRICS_TOKEN="t" * 32)).test_client()
    assert client.get("/metrics", environ_base=LOOPBACK).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 32},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert ok.status_code == 200


def test_healthz_reports_what_a_cluster_operator_needs(client):
    body = client.get("/healthz").json
    assert body["status"] == "ok" and body["storage"] == "ok"
    assert body["workers"] == 0
    assert "flow_sweep_last_run" in body and "oldest_unsent_notification_seconds" in body


def test_healthz_fails_when_storage_is_not_writable(client, monkeypatch):
    from court import storage

    def refuse() -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(storage.store(), "check_writable", refuse)
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json["storage"] == "error: PermissionError"


def test_every_response_carries_a_request_id(client):
    r = client.get("/healthz")
    assert len(r.headers["X-Request-ID"]) == 32
    given = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789"})
    assert given.headers["X-Request-ID"] == "lb-0123456789"
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert hostile.headers["X-Request-ID"] != "<script>alert(1)</script>"


def test_json_logs_carry_the_request_id_and_mask_personal_data():
    record = logging.LogRecord("court.test", logging.INFO, __file__, 1, "party %s phone %s", ("110101199003071234",
                               "13812345678"), None)
    token = logs.request_id.set("req-12345678")
    try:
        logs.MaskingFilter().filter(record)
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.request_id.reset(token)
    assert line["request_id"] == "req-12345678"
    assert "110101199003071234" not in line["message"] and "1101**********1234" in line["message"]
    assert "13812345678" not in line["message"] and "138****5678" in line["message"]
    assert line["level"] == "INFO"


def test_latency_buckets_are_cumulative(app):
    for seconds in (0.01, 0.3, 7.0, 999.0):
        metrics.observe("sign", seconds)
    family = metrics._histogram("sign", "court_sign_seconds")
    samples = {(s.name, s.labels.get("le")): s.value for s in family.samples}
    assert samples[("court_sign_seconds_bucket", "0.05")] == 1
    assert samples[("court_sign_seconds_bucket", "0.5")] == 2
    assert samples[("court_sign_seconds_bucket", "10.0")] == 3
    assert samples[("court_sign_seconds_bucket", "+Inf")] == 4
    assert samples[("court_sign_seconds_count", None)] == 4
