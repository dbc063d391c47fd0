"""Crafted input against the parsers the public pages feed (DESIGN: untrusted input is parsed with
limits set before the work starts). PDFs (uploads, ``POST /verify``, the viewer) and WeChat XML
(entities, oversized bodies) are attacked in tests/signing/test_hostile.py and
tests/bot/test_webhook_security.py; this module adds what those leave out."""
from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from sqlalchemy import select

from court import db, queue, redis_conn
from court.models import AuditEvent, IdentityCheck
from tests.support.identity import face_photo
from tests.web_sign.conftest import csrf, make_world, needs_identity, sign_in

pytestmark = needs_identity


def _png(width: int, height: int, payload: bytes = b"\x00" * 64) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` (a decompression bomb's calling card)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(payload)) + chunk(b"IEND", b"")


@pytest.fixture
def world(app):
    return make_world()


def _agree_and_upload(client, photo: bytes):
    token = csrf(client, "/m/face")
    client.post("/m/face/consent", data={"csrf_token": token, "decision": "agree", "next": "/m/"})
    started = time.monotonic()
    r = client.post("/m/face", data={"csrf_token": token, "next": "/m/", "photo": (io.BytesIO(photo), "me.png")},
                    follow_redirects=True)
    return r, time.monotonic() - started


@pytest.mark.parametrize("width,height", [(60000, 60000), (8000, 8000), (100000, 10)])
def test_a_face_photo_claiming_huge_dimensions_is_refused_before_it_is_decoded_or_queued(client, world, width, height):
    bomb = _png(width, height)
    assert len(bomb) < 1024
    sign_in(client, world.alice, face=False)
    r, took = _agree_and_upload(client, bomb)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "照片尺寸过大" in page, page[-800:]
    assert took < 2.0
    assert queue.queue("default").count == 0 and not list(redis_conn.client().scan_iter("identity:face:req:*"))
    s = db.session()
    assert s.scalars(select(IdentityCheck)).all() == []  # no attempt spent, no check opened
    assert s.scalar(select(AuditEvent).where(AuditEvent.action == "identity.face_check_requested")) is None


def test_a_photo_that_does_not_decode_is_refused_clearly(client, world):
    sign_in(client, world.alice, face=False)
    r, _took = _agree_and_upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    assert "照片格式不支持" in r.get_data(as_text=True)
    assert queue.queue("default").count == 0


def test_an_ordinary_photo_is_still_queued(client, world):
    sign_in(client, world.alice, face=False)
    r, _took = _agree_and_upload(client, face_photo())
    assert "/m/face/wait" in r.request.path or "照片尺寸过大" not in r.get_data(as_text=True)
    assert queue.queue("default").count == 1


@pytest.mark.parametrize("width,height", [(60000, 60000), (30000, 1)])
def test_a_handwritten_signature_claiming_huge_dimensions_is_refused_clearly(client, app, run_jobs, width, height):
    """The signature pad posts a PNG data URL; a 1 KB one claiming a decompression bomb's size gets
    the page's own refusal, not a server error, and nothing is queued."""
    import base64

    from court.models import FlowStep, StepStatus

    w = make_world(seal=True)
    sign_in(client, w.alice)
    run_jobs(("signing",))
    token = csrf(client, f"/m/documents/{w.doc.id}/sign")
    bomb = "data:image/png;base64," + base64.b64encode(_png(width, height)).decode()
    started = time.monotonic()
    r = client.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token, "signature": bomb},
                    follow_redirects=True)
    assert time.monotonic() - started < 2.0
    assert r.status_code == 200 and ("图片尺寸过大" in r.get_data(as_text=True)
                                     or "无法识别的图片" in r.get_data(as_text=True))
    assert queue.queue("signing").count == 0
    assert db.session().get(FlowStep, w.step(w.alice).id).status is StepStatus.READY


def test_a_staff_signature_upload_claiming_huge_dimensions_is_a_clear_4xx(api):
    r = api("put", "/me/signature", role="judge", data={"file": (io.BytesIO(_png(60000, 60000)), "sig.png")},
            content_type="multipart/form-data")
    assert r.status_code == 422, r.json
    assert r.json["error"]["message"] == "图片尺寸过大"


NESTED = b"[" * 200_000 + b"]" * 200_000  # 400 KB of nesting: Python's JSON parser recurses on it


@pytest.mark.parametrize("path", ["/notify/callbacks/aliyun/cb-secret", "/api/v1/cases"])
def test_json_nested_past_the_parsers_recursion_limit_is_a_clear_4xx(client, api, app, path):
    from tests.notify.conftest import use_settings

    use_settings(app, SMS_CALLBACK_TOKEN="cb-secret")
    headers = {"Content-Type": "application/json"}
    if path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {api.members['clerk'][1]}"
    r = client.post(path, data=NESTED, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])


def test_a_body_larger_than_any_upload_is_refused_before_it_is_read(client, api):
    r = client.post("/api/v1/cases", data=b"{" + b" " * (4 * 1024 * 1024) + b"}",
                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {api.members['clerk'][1]}"})
    assert r.status_code == 413


@pytest.mark.parametrize("depth", [5_000, 20_000])
def test_a_signed_wechat_callback_nested_deeply_is_a_clear_4xx(client, depth):
    """No DTD, within the size limit, signed: only the nesting is hostile."""
    from bot.simulator.user import sign_callback
    from wechat import settings as bot_settings

    body = ("<xml><ToUserName>gh_1</ToUserName><FromUserName>oSECaaaaaaaaaaaaaaaaaaaaaaaa</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType><MsgId>77</MsgId><Content>"
            + "<a>" * depth + "x" + "</a>" * depth + "</Content></xml>")
    signed = sign_callback(bot_settings.current(), body, safe=False)
    started = time.monotonic()
    r = client.post("/wechat", query_string=signed.params, data=signed.body, content_type="text/xml")
    assert 400 <= r.status_code < 500
    assert time.monotonic() - started < 2.0
