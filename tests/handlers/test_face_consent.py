"""Separate consent before any face is processed, through real /wechat XML (Face Recognition Measures 2025)."""
from __future__ import annotations

from sqlalchemy import select

from court import redis_conn
from court.models import FaceConsent
from handlers import state
from tests.handlers.test_flows import _text, pushed_texts, register
from tests.support.wechat import good_face


def _face_keys() -> list[bytes]:
    return list(redis_conn.client().scan_iter("identity:face:*"))


def test_a_photo_sent_before_consent_is_refused_and_never_checked(make_user, identity_services, run_jobs, s):
    user = make_user("oNOCONSENTaaaaaaaaaaaaaaaaaa")
    notice = register(user)
    assert "人脸信息处理告知书" in notice and "开发环境模拟核验" in notice and "立即删除" in notice
    assert "工作人员核验" in notice  # the other way is named before anything is asked

    refused = _text(user.send_image(good_face()))
    assert "未被接收" in refused
    run_jobs(("default",))
    assert identity_services.checks == [] and _face_keys() == []
    assert s.scalars(select(FaceConsent)).first() is None


def test_refusing_offers_the_alternatives_and_is_recorded(make_user, identity_services, run_jobs, s):
    user = make_user("oREFUSEaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    answer = _text(user.say("不同意"))
    assert "不会处理您的人脸信息" in answer and "工作人员" in answer and "一次性链接" in answer
    assert state.load("wechat", user.openid).step == "idle"

    # a photo afterwards is not taken either
    assert "请先发送“人脸认证”" in _text(user.send_image(good_face()))
    run_jobs(("default",))
    assert identity_services.checks == []
    row = s.scalars(select(FaceConsent)).one()
    assert row.agreed is False and row.channel == "wechat" and row.provider == "development"


def test_agreeing_records_the_notice_and_lets_the_photo_through(make_user, identity_services, run_jobs, s):
    user = make_user("oAGREEaaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    assert "正脸照片" in _text(user.say("同意"))
    row = s.scalars(select(FaceConsent)).one()
    assert row.agreed and "人脸信息处理告知书" in row.text_shown and len(row.text_sha256) == 64
    s.rollback()
    assert "正在核验" in _text(user.send_image(good_face()))
    run_jobs(("default",))
    assert any("人脸识别验证通过" in t for t in pushed_texts(user))

    # 不同意 while a photo is awaited withdraws it: the next photo is refused
    user.say("人脸认证")
    assert "撤回" in _text(user.say("不同意"))
    assert "未被接收" not in _text(user.send_image(good_face()))  # idle now: told how to start, not checked
    run_jobs(("default",))
    assert len(identity_services.checks) == 1


def test_withdrawing_while_the_photo_waits_drops_it_unchecked(make_user, identity_services, run_jobs, s):
    from court.models import Person

    user = make_user("oWITHDRAWaaaaaaaaaaaaaaaaaaa")
    register(user)
    user.say("同意")
    assert "正在核验" in _text(user.send_image(good_face()))
    assert "撤回" in _text(user.say("不同意"))
    run_jobs(("default",))  # the selfie job finds no consent: the photo is dropped, nothing checked
    assert any("单独同意" in t for t in pushed_texts(user))
    assert _face_keys() == []
    s.expire_all()
    assert s.scalars(select(Person)).one().face_checked_at is None
