"""The real provider SDKs against local stand-ins, delivery callbacks, e-mail, start-up checks."""
from __future__ import annotations

import json
import socket
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from config import StartupRefused
from court import db
from court.models import DeliveryReport, NotificationStatus, ServiceRecord
from court.services import outbox
from tests.notify.conftest import (
    aliyun_report,
    bulk_consent,
    china,
    consent_for,
    notifications,
    queue_otp,
    read,
    use_settings,
)

S = NotificationStatus


CODE = "246810"  # the one-time code these tests send and look for
_otp = partial(queue_otp, code=CODE)


def test_aliyun_sendsms_with_a_verified_signature(s, aliyun, run_jobs):
    n = _otp(s)
    run_jobs()
    [call] = aliyun.calls
    assert call["action"] == "SendSms"
    p = call["params"]
    assert p["PhoneNumbers"] == "13900000009" and p["SignName"] == "法院电子送达" and p["TemplateCode"] == "SMS_100001"
    assert json.loads(p["TemplateParam"]) == {"code": "246810", "minutes": "5"} and p["OutId"] == str(n.id)
    [row] = notifications()
    assert row.status is S.SENT and row.provider_id == "1000^0" and "code" not in row.params


def test_aliyun_rate_limit_is_retried_and_bad_numbers_fail(s, aliyun, run_jobs, app):
    use_settings(app, NOTIFY_MAX_ATTEMPTS=2)
    aliyun.errors += ["isv.BUSINESS_LIMIT_CONTROL"]
    n = _otp(s)
    run_jobs()
    [row] = notifications()
    assert row.status is S.SENT and row.attempts == 2  # retried after the rate limit
    aliyun.errors += ["isv.MOBILE_NUMBER_ILLEGAL"]
    bad = _otp(db.session(), "13900000008")
    run_jobs()
    [row] = notifications(id=bad.id)
    assert row.status is S.FAILED and row.attempts == 1 and "MOBILE_NUMBER_ILLEGAL" in row.error
    assert n.id != bad.id


def test_aliyun_wrong_secret_is_a_recorded_failure(s, aliyun, run_jobs, app):
    use_settings(app, ALIYUN_ACCESS_KEY_SECRET="wrong", NOTIFY_MAX_ATTEMPTS=1)
    _otp(s)
    run_jobs()
    [row] = notifications()
    assert row.status is S.FAILED and "SignatureDoesNotMatch" in row.error


def test_aliyun_batch_and_delivery_reports(serve_document, make_case, aliyun, run_jobs, client, app):
    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    case, parties = make_case()
    for p in parties:
        consent_for(p)
    _case, parties, doc, _flow = serve_document(case, parties)
    run_jobs()
    rows = notifications()
    assert all(r.status is S.SENT for r in rows)
    arrived = max(r.sent_at for r in rows).replace(microsecond=0) + timedelta(seconds=5)
    report = [aliyun_report(r, arrived, sms_size="2", with_out_id=aliyun.calls[0]["action"] == "SendSms")
              for r in rows]
    assert client.post("/notify/callbacks/aliyun/wrong", json=report).status_code == 404
    resp = client.post("/notify/callbacks/aliyun/cb-secret", json=report)
    assert resp.get_json() == {"code": 0, "msg": "成功"}
    resp = client.post("/notify/callbacks/aliyun/cb-secret", json=report)  # Aliyun retries
    assert resp.get_json()["code"] == 0
    assert len(read(select(DeliveryReport))) == len(rows)
    for rec in read(select(ServiceRecord)):
        assert rec.effective_at == arrived  # Beijing time -> UTC
        assert rec.effective_channel == "sms"
    assert all(r.status is S.DELIVERED for r in notifications())
    unknown = [{**report[0], "biz_id": "nope", "out_id": ""}]
    assert client.post("/notify/callbacks/aliyun/cb-secret", json=unknown).get_json()["code"] == 1


def test_aliyun_uses_sendbatchsms_for_many(s, aliyun, run_jobs, make_case, app):
    from notify import push

    case, parties = make_case()
    bulk_consent(case.id)
    push.start_push(s, court_id=case.court_id, case_ids=[case.id], recipients={"all": True},
                    template="hearing_notice", fields={"time": "2030年12月1日9时", "place": "第三法庭"})
    s.commit()
    run_jobs()
    [call] = aliyun.calls
    assert call["action"] == "SendBatchSms"
    assert json.loads(call["params"]["PhoneNumberJson"]) == ["13800000001", "13800000002"]
    params = json.loads(call["params"]["TemplateParamJson"])
    assert params[0] == {"court": "北京互联网法院", "case_number": case.number, "time": "2030年12月1日9时",
                         "place": "第三法庭"}
    rows = notifications()
    assert {r.provider_id for r in rows} == {"1000^0"} and all(r.status is S.SENT for r in rows)


def test_tencent_sendsms_and_callbacks(serve_document, tencent, run_jobs, client, app):
    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    _otp(db.session())
    run_jobs()
    call = tencent.calls[0]
    assert call["action"] == "SendSms"
    body = call["params"]
    assert body["PhoneNumberSet"] == ["+8613900000009"] and body["SmsSdkAppId"] == "1400000001"
    assert body["TemplateId"] == "SMS_100001" and body["TemplateParamSet"] == ["246810", "5"]
    [row] = notifications()
    assert row.status is S.SENT and row.provider_id.startswith("2028:")
    cb = [{"user_receive_time": china(db.utcnow()), "nationcode": "86", "mobile": "13900000009",
           "report_status": "FAIL", "errmsg": "MK:0005", "description": "用户关机", "sid": row.provider_id}]
    assert client.post("/notify/callbacks/tencent/cb-secret", json=cb).get_json() == {"result": 0, "errmsg": "OK"}
    [row] = notifications()
    assert row.status is S.FAILED and "MK:0005" in row.error


def test_tencent_errors(s, tencent, run_jobs, app):
    use_settings(app, NOTIFY_MAX_ATTEMPTS=1)
    tencent.errors += ["LimitExceeded.PhoneNumberThirtySecondLimit"]
    _otp(s)
    tencent.errors += ["Response:FailedOperation.TemplateIncorrectOrUnapproved"]
    _otp(db.session(), "13900000007")
    run_jobs()
    first, second = notifications()
    assert first.status is S.FAILED and "ThirtySecondLimit" in first.error
    assert second.status is S.FAILED and "TemplateIncorrectOrUnapproved" in second.error


def test_missing_template_code_is_a_clear_failure(s, aliyun, run_jobs, app):
    use_settings(app, SMS_TEMPLATE_CODES={})
    _otp(s)
    run_jobs()
    [row] = notifications()
    assert row.status is S.FAILED and "SMS_TEMPLATE_CODES.otp" in row.error


def test_smtp_mail(s, app, run_jobs):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        use_settings(app, MAIL_PROVIDER="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none",
                     MAIL_FROM="service@court.example")
        outbox.add(s, channel="email", address="party@example.com", template="general_notice",
                   params={"court": "北京互联网法院", "case_number": "（2026）京0491民初1号", "content": "请补充证据材料。"})
        s.commit()
        run_jobs()
    finally:
        controller.stop()
    [env] = received
    assert env.rcpt_tos == ["party@example.com"]
    text = env.content.decode()
    assert "Message-ID: <notification-" in text
    [row] = notifications()
    assert row.status is S.SENT and row.provider_id.startswith("<notification-")


def test_production_refuses_the_development_gateway(production_config):
    from app import create_app

    config = production_config
    config.SMS_PROVIDER = "development"
    with pytest.raises(StartupRefused, match="development sms"):
        create_app(config)


def test_unknown_provider_name_is_refused(config):
    from app import create_app

    config.SMS_PROVIDER = "carrier-pigeon"
    with pytest.raises(StartupRefused, match="SMS_PROVIDER"):
        create_app(config)
