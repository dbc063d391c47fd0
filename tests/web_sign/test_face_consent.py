"""The party pages ask for separate consent before any face processing, and refusing leads somewhere."""
from __future__ import annotations

import io

from sqlalchemy import select

from court import db, queue, redis_conn
from court.models import AuditEvent, FaceConsent
from identity import settings
from tests.support.identity import face_photo
from tests.web_sign.conftest import csrf, needs_identity, sign_in

pytestmark = needs_identity


def _upload(client, token: str):  # type: ignore[no-untyped-def]
    return client.post("/m/face", data={"csrf_token": token, "photo": (io.BytesIO(face_photo()), "a.jpg"),
                                        "next": "/m/"}, follow_redirects=True)


def _nothing_queued() -> bool:
    return queue.queue("default").count == 0 and not list(redis_conn.client().scan_iter("identity:face:req:*"))


def test_the_face_page_shows_the_notice_and_no_camera_until_agreed(client, world):
    sign_in(client, world.alice, face=False)
    page = client.get("/m/face?next=/m/").get_data(as_text=True)
    assert "人脸信息处理告知书" in page
    for told in ("面部照片", "开发环境模拟核验", "立即删除", "工作人员核验"):  # what, who, how long, other ways
        assert told in page
    assert 'name="photo"' not in page and "camera" not in page  # no upload control, no camera
    assert 'value="agree"' in page and 'value="refuse"' in page


def test_a_photo_posted_without_consent_is_refused_and_not_queued(client, world):
    sign_in(client, world.alice, face=False)
    token = csrf(client, "/m/face")
    page = _upload(client, token).get_data(as_text=True)
    assert "单独同意" in page and "人脸信息处理告知书" in page
    assert _nothing_queued()


def test_refusing_leads_to_the_other_routes_and_is_recorded(client, world):
    sign_in(client, world.alice, face=False)
    token = csrf(client, "/m/face")
    r = client.post("/m/face/consent", data={"csrf_token": token, "decision": "refuse", "next": "/m/"})
    assert "/m/identity/other" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "工作人员核验" in page and "北京互联网法院" in page and "一次性链接" in page
    assert "网络身份认证" not in page  # none configured: not offered
    row = db.session().scalars(select(FaceConsent)).one()
    assert row.agreed is False and row.channel == "web" and row.provider == "development"
    assert "人脸信息处理告知书" in row.text_shown
    assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "identity.face_consent")) is not None
    assert "单独同意" in _upload(client, token).get_data(as_text=True) and _nothing_queued()


def test_consent_in_one_browser_does_not_open_the_camera_in_another(app, world):
    first, second = app.test_client(), app.test_client()
    person = sign_in(first, world.alice, face=False)
    sign_in(second, world.alice, person, face=False)
    token = csrf(first, "/m/face")
    first.post("/m/face/consent", data={"csrf_token": token, "decision": "agree"})
    assert 'name="photo"' in first.get("/m/face").get_data(as_text=True)
    assert 'name="photo"' not in second.get("/m/face").get_data(as_text=True)
    assert "单独同意" in _upload(second, csrf(second, "/m/face")).get_data(as_text=True)
    assert _nothing_queued()


def test_agreeing_opens_the_upload_and_the_check_runs(client, world, run_jobs):
    sign_in(client, world.alice, face=False)
    token = csrf(client, "/m/face")
    r = client.post("/m/face/consent", data={"csrf_token": token, "decision": "agree", "next": "/m/"})
    assert 'name="photo"' in client.get(r.headers["Location"]).get_data(as_text=True)
    assert "/m/face/wait" in client.post("/m/face", data={"csrf_token": token, "next": "/m/",
                                                          "photo": (io.BytesIO(face_photo()), "a.jpg")}).headers["Location"]
    run_jobs(("default",))
    assert client.get("/m/face/status").get_json()["ok"] is True
    requested = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "identity.face_check_requested"))
    assert requested.details["face_consent"] == db.session().scalars(select(FaceConsent)).one().id


def test_the_court_publishes_its_own_notice_and_provider_list(client, app):
    settings.configure(face_notice_text="本院告知：照片由{provider}处理，核验后删除。也可{alternatives}。",
                       face_provider_names=(("development", "本院测试核验服务"),), identity_authority="development")
    try:
        page = client.get("/m/face/notice").get_data(as_text=True)
        assert "本院告知：照片由本院测试核验服务处理" in page and "网号/网证" in page
        assert "百度智能云" in page  # every provider the platform can use is listed
    finally:
        settings.configure(face_notice_text="", face_provider_names=(), identity_authority="")
