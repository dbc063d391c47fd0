"""The conversation end to end: real WeChat XML (plain and safe mode) through /wechat, jobs run
like a worker would, pushed messages read back from the WeChat simulator."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.simulator.user import event_xml, message_xml
from court import db, redis_conn
from court.models import AuditEvent, ChannelBinding, Consent, Party, Person
from handlers import state
from tests.support.factories import awaiting_receipt, id_number
from tests.support.wechat import OTP_CODE, age_identity_checks, good_face

ZHANG_ID = id_number()
LI_ID = id_number(born="19850101", seq="456")


def _text(reply) -> str:  # type: ignore[no-untyped-def]
    assert reply is not None and reply["MsgType"] == "text"
    return reply["Content"]


def register(user, name: str = "张三", idn: str = ZHANG_ID, phone: str = "13800000001") -> str:  # type: ignore[no-untyped-def]
    assert "真实姓名" in _text(user.say("注册"))
    assert "身份证" in _text(user.say(name))
    assert "手机号码" in _text(user.say(idn))
    assert "验证码已发送" in _text(user.say(phone))
    assert "电子送达须知" in _text(user.say(OTP_CODE))
    return _text(user.say("同意"))


def pushed_texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["payload"]["text"]["content"] for e in user.pushed() if e["kind"] == "custom"]


def send_selfie(user, image: bytes | None = None) -> str:  # type: ignore[no-untyped-def]
    """Send a selfie (the bot's answer), first agreeing to the face notice when the bot asks for that."""
    if state.load("wechat", user.openid).step == "face.consent":
        assert "正脸照片" in _text(user.say("同意"))
    return _text(user.send_image(image or good_face()))


def verify_face(user, run_jobs, image: bytes | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """Send a selfie (agreeing to the face notice first if asked) and run the check."""
    assert "正在核验" in send_selfie(user, image)
    run_jobs(("default",))
    return pushed_texts(user)


@pytest.mark.parametrize("safe", [True, False], ids=["safe", "plain"])
def test_register_verify_face_join_and_consent(make_user, court_case, identity_services, run_jobs, s, safe):
    case, parties = court_case
    party, code = parties["张三"]
    user = make_user("oZHANGaaaaaaaaaaaaaaaaaaaaaa", safe=safe)

    assert "欢迎关注" in _text(user.subscribe())
    assert "真实姓名" in _text(user.click("REGISTER"))
    assert "与身份证一致" in _text(user.say("1"))
    assert "身份证" in _text(user.say("张三"))
    assert "校验位" in _text(user.say(ZHANG_ID[:-1] + ("0" if ZHANG_ID[-1] != "0" else "1")))
    assert "手机号码" in _text(user.say(ZHANG_ID))
    assert "11位中国大陆手机号码" in _text(user.say("12345"))
    reply = _text(user.say("138 0000 0001"))
    assert "138****0001" in reply and "13800000001" not in reply
    assert identity_services.sent == [("13800000001", "otp")]
    assert "验证码不正确" in _text(user.say("000000"))
    terms = _text(user.say(OTP_CODE))
    assert "范围" in terms and "效力" in terms
    done = _text(user.say("同意"))
    assert "1101**********" in done and "人脸信息处理告知书" in done

    s.expire_all()
    person = s.scalars(select(Person)).one()
    person_id = person.id
    assert person.real_name == "张三" and person.phone_verified_at is not None  # the SMS code proved it
    wechat_binding = select(ChannelBinding).where(ChannelBinding.person_id == person_id,
                                                  ChannelBinding.channel == "wechat")
    assert s.scalar(wechat_binding) is None  # nothing is bound before a face check passes here
    accepted = s.scalar(select(AuditEvent).where(AuditEvent.action == "person.service_terms_accepted"))
    assert accepted.details["version"] and len(accepted.details["text_sha256"]) == 64
    s.rollback()  # end the read (SQLite: let the server's requests write)

    after_face = verify_face(user, run_jobs)
    assert any("人脸识别验证通过" in t for t in after_face)
    assert any("下一步" in t and "绑定 关联码" in t for t in after_face)  # what to do now
    assert identity_services.checks[0][1]["job"] == "bot.jobs.face_result"
    s.expire_all()
    bound = s.scalar(wechat_binding)
    assert bound.address == user.openid and bound.verified_at is not None and bound.verified_by_check_id
    s.rollback()

    joined = _text(user.say(f"绑定 {code.lower()}"))
    assert "已成功关联案件" in joined and case.number in joined and "原告" in joined
    assert "电子送达确认" in joined
    assert "已记录您对案件" in _text(user.say("同意"))

    s.expire_all()
    assert s.get(Party, party.id).person_id == person_id
    consent = s.scalars(select(Consent)).one()
    assert consent.case_id == case.id and consent.method == "bot" and consent.address["wechat"] == user.openid


def test_qr_subscribe_with_scene_registers_then_joins_by_itself(make_user, court_case, run_jobs, s):
    case, parties = court_case
    party, code = parties["李四"]
    user = make_user("oLISIaaaaaaaaaaaaaaaaaaaaaaa")
    first = _text(user.subscribe(scene=f"bind:{code}"))
    assert "欢迎关注" in first and "先完成实名认证" in first and "真实姓名" in first
    assert "人脸信息处理告知书" in register(user, "李四", LI_ID, "13800000002")
    texts = verify_face(user, run_jobs)
    assert any("人脸识别验证通过" in t for t in texts)
    assert any("已成功关联案件" in t and case.number in t for t in texts)
    assert "已记录您对案件" in _text(user.say("同意"))
    s.expire_all()
    assert s.get(Party, party.id).person_id is not None


def test_scan_by_a_follower_with_a_stale_face_check_asks_for_a_selfie(make_user, court_case, run_jobs, s):
    case, parties = court_case
    party, code = parties["张三"]
    user = make_user("oSCANaaaaaaaaaaaaaaaaaaaaaaa", safe=False)
    register(user)
    verify_face(user, run_jobs)
    person = s.scalars(select(Person)).one()
    person_id = person.id
    age_identity_checks(s, person_id, db.utcnow() - timedelta(hours=1))
    s.commit()

    assert "人脸认证" in _text(user.scan(f"bind:{code}"))
    assert "请发送一张本人正脸照片" in _text(user.say("你好"))
    texts = verify_face(user, run_jobs)
    assert any("已成功关联案件" in t for t in texts)
    assert "不同意" in texts[-1]
    assert "不同意电子送达" in _text(user.say("不同意"))
    s.expire_all()
    assert s.get(Party, party.id).person_id == person_id
    [declined] = s.scalars(select(Consent)).all()  # the answer is recorded, and the case flagged
    assert declined.decision == "declined" and declined.method == "bot"
    assert "不同意电子送达" in s.get(Party, party.id).case.needs_attention
    assert s.scalar(select(AuditEvent).where(AuditEvent.action == "consent.declined")) is not None


def test_a_failed_face_check_asks_again(make_user, court_case, run_jobs):
    user = make_user("oFAILaaaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    from tests.support.identity import face_photo

    texts = verify_face(user, run_jobs, image=face_photo("blank"))
    assert any("没有检测到人脸" in t and "重新拍摄" in t for t in texts)
    assert state.load("wechat", user.openid).step == "face.selfie"
    after_face = verify_face(user, run_jobs)
    assert any("人脸识别验证通过" in t for t in after_face)
    assert any("下一步" in t and "绑定 关联码" in t for t in after_face)  # what to do now


def test_wrong_codes_are_limited_to_five_an_hour(make_user, court_case, run_jobs):
    case, parties = court_case
    _party, code = parties["张三"]
    user = make_user("oGUESSaaaaaaaaaaaaaaaaaaaaaa", safe=False)
    register(user)
    verify_face(user, run_jobs)
    for left in (4, 3, 2, 1, 0):
        reply = _text(user.say("绑定 ZZZZ-ZZZZ-ZZZ2"))
        assert "关联码不正确" in reply and f"还可尝试 {left} 次" in reply
    reply = _text(user.say(f"绑定 {code}"))
    assert "次数过多" in reply and "1小时" in reply


def test_identity_mismatch_is_refused_and_counted(make_user, court_case, run_jobs, s):
    _case, parties = court_case
    party, code = parties["张三"]
    user = make_user("oWANGaaaaaaaaaaaaaaaaaaaaaaa", safe=False)
    register(user, "王五", id_number(born="19700505", seq="789"), "13900000003")
    verify_face(user, run_jobs)
    assert "绑定案件" not in _text(user.click("BIND"))
    reply = _text(user.say(code))
    assert "不一致" in reply and "还可尝试 4 次" in reply
    s.expire_all()
    assert s.get(Party, party.id).person_id is None


def test_my_cases_and_my_documents(make_user, court_case, run_jobs, s):
    from court.models import Document, DocumentKind, ServiceRecord
    from court.services import cases

    case, parties = court_case
    party, code = parties["张三"]
    user = make_user("oDOCSaaaaaaaaaaaaaaaaaaaaaaa")
    assert "实名认证" in _text(user.click("MY_DOCUMENTS"))
    register(user)
    assert "请先完成人脸认证" in _text(user.click("MY_CASES"))  # registered, not yet proven here
    verify_face(user, run_jobs)
    assert "没有关联任何案件" in _text(user.say("我的案件"))
    user.say(f"绑定 {code}")
    user.say("同意")
    assert "没有需要您签收" in _text(user.say("我的文书"))

    cases.add_event(s, s.merge(case), "hearing", "开庭审理", db.utcnow() + timedelta(days=14), "第三法庭")
    doc = awaiting_receipt(s, case.id, party.id)
    signed_doc = Document(case_id=case.id, kind=DocumentKind.NOTICE, title="举证通知书")
    s.add(signed_doc)
    s.flush()
    record = ServiceRecord(party_id=party.id, document_id=signed_doc.id, signed_at=db.utcnow(), receipt_number="SD2026000123")
    s.add(record)
    s.commit()

    record_id = record.id
    reply = _text(user.say("我的案件"))
    assert case.number in reply and "状态：已立案" in reply and "开庭审理" in reply and "第三法庭" in reply
    # (typed: the same button twice within one second is, by WeChat's design, one event)
    reply = _text(user.say("我的文书"))
    assert "【待签收】传票" in reply
    assert '<a href="http://court.test/dev/wechat/connect/oauth2/authorize?appid=' in reply
    assert "redirect_uri=http%3A%2F%2Fcourt.test%2Fm%2Fdocuments%2F" + str(doc.id) in reply
    assert "举证通知书" in reply and "SD2026000123" in reply

    from bot import jobs

    jobs.receipt_confirmation.enqueue(record_id)
    run_jobs(("notify",))
    jobs.receipt_confirmation.enqueue(record_id)
    run_jobs(("notify",))  # idempotent: a second run sends nothing more
    confirmations = [t for t in pushed_texts(user) if "送达回执编号" in t]
    assert len(confirmations) == 1 and "SD2026000123" in confirmations[0] and "举证通知书" in confirmations[0]


def test_cancel_help_unknown_and_expiry(make_user):
    user = make_user("oMISCaaaaaaaaaaaaaaaaaaaaaaa", safe=False)
    assert "关键词" in _text(user.say("今天天气怎么样"))
    assert "当前没有进行中的办理" in _text(user.say("取消"))
    user.say("注册")
    assert "已取消" in _text(user.say("取消"))
    assert state.load("wechat", user.openid).step == "idle"

    user.say("注册")
    user.say("张三")
    key = f"conv:wechat:{user.openid}"
    doc = json.loads(redis_conn.client().get(key))
    doc["expires"] = time.time() - 1
    redis_conn.client().set(key, json.dumps(doc))
    reply = _text(user.say(ZHANG_ID))  # arrives after the step expired
    assert "已超时" in reply and "没有理解" in reply
    raw = redis_conn.client().get(key)
    assert raw is None or ZHANG_ID not in raw.decode()

    assert "图片" in _text(user.send_image(b"\xff\xd8 holiday"))
    voice = user.post(message_xml(user.openid, "voice", {"MediaId": "m1", "Format": "amr", "MsgId": 5550001}))
    assert "请您打字输入" in _text(voice)  # no Recognition: asked kindly to type
    assert user.post(event_xml(user.openid, "VIEW", "http://court.test/")) is None


def test_personal_data_in_the_conversation_state_is_encrypted(make_user):
    user = make_user("oPDaaaaaaaaaaaaaaaaaaaaaaaaa")
    user.say("注册")
    user.say("张三")
    user.say(ZHANG_ID)
    user.say("13800000001")
    raw = redis_conn.client().get(f"conv:wechat:{user.openid}").decode()
    assert ZHANG_ID not in raw and "13800000001" not in raw


def test_english(make_user, court_case, run_jobs, s):
    user = make_user("oENaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert "English" in _text(user.say("English"))
    assert "keyword" in _text(user.say("help")).lower()
    assert "real name" in _text(user.say("注册")).lower()
    user.say("中文")
    assert "真实姓名" in _text(user.say("注册"))


def test_template_delivery_report_marks_the_notification_delivered(make_user, run_jobs, s):
    from court.models import Notification, NotificationStatus

    user = make_user("oTPLaaaaaaaaaaaaaaaaaaaaaaaa")
    n = Notification(channel="wechat", address=user.openid, template="document_ready", params={},
                     status=NotificationStatus.SENT, provider_id="1000000007", sent_at=db.utcnow())
    s.add(n)
    s.commit()
    assert user.delivered(1000000007, "success") is None  # WeChat expects an empty answer
    run_jobs(("notify",))
    s.expire_all()
    got = s.get(Notification, n.id)
    assert got.status is NotificationStatus.DELIVERED and got.delivered_at is not None
