"""The conversation through a channel that is not WeChat (tests/handlers/fake_channel.py): the words
parties type, the validators at the step where a value is typed, what to do next after each step,
and 我的文书 with waiting and served documents."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from court import db
from court.models import Document, DocumentKind, Person, ServiceRecord
from handlers import cases, face, registration, state
from tests.handlers.fake_channel import Chat
from tests.support.factories import awaiting_receipt, id_number
from tests.support.wechat import OTP_CODE

ZHANG_ID = id_number()


@pytest.fixture
def chat(app, s, identity_services):  # type: ignore[no-untyped-def]
    return Chat(s)


def register(chat: Chat, name: str = "张三", idn: str = ZHANG_ID, phone: str = "13800000001") -> str:
    assert "真实姓名" in chat.say("注册")
    assert "身份证" in chat.say(name)
    assert "手机号码" in chat.say(idn)
    assert "验证码已发送" in chat.say(phone)
    assert "电子送达须知" in chat.say(OTP_CODE)
    return chat.say("同意")


def joined(chat: Chat, code: str) -> None:
    """张三 registered, face proven, joined to the case with ``code`` and agreed to e-service."""
    register(chat)
    prove_face(chat)
    chat.say(f"绑定 {code}")
    chat.say("同意")


def prove_face(chat: Chat) -> str:
    """Agree to the face notice, send a photo, and let the check pass."""
    if chat.step == face.CONSENT:
        assert "正脸照片" in chat.say("同意")
    assert "正在核验" in chat.photo()
    return chat.face_check_finishes(ok=True)


# --- the words parties type -------------------------------------------------------------------

@pytest.mark.parametrize("typed, answer", [
    ("签收", "实名认证"), ("怎么签收", "实名认证"), ("怎么签收？", "实名认证"), ("我要签字", "实名认证"),
    ("请帮我签收一下", "实名认证"), ("查案件", "实名认证"), ("进度", "实名认证"), ("文 书", "实名认证"),
    ("我的文书！", "实名认证"), ("绑定", "实名认证"), ("帮助", "关键词"), ("ＨＥＬＰ", "关键词"), ("？", "关键词"),
    ("人工", "12368"), ("转人工", "12368"), ("客服", "12368"), ("取消。", "没有进行中的办理"),
    ("注 册", "真实姓名"), ("实名认证", "真实姓名"),
])
def test_common_acts_are_understood_in_the_forms_people_type_them(chat, typed, answer):
    reply = chat.say(typed)
    assert answer in reply
    assert "没有理解" not in reply


def test_sign_words_list_the_documents_with_how_to_sign(chat, court_case, s):
    case, parties = court_case
    party, code = parties["张三"]
    joined(chat, code)
    assert "没有需要您签收" in chat.say("怎么签收")
    doc = awaiting_receipt(s, case.id, party.id)
    s.commit()
    for typed in ("签收", "我要签字", "怎么签收"):
        reply = chat.say(typed)
        assert "签收方法" in reply and "【待签收】传票" in reply
        assert f"https://court.test/m/documents/{doc.id}" in reply


def test_a_menu_button_is_the_same_intent_as_its_words(chat):
    assert "实名认证" in chat.click("MY_DOCUMENTS")
    assert "真实姓名" in chat.click("REGISTER")
    assert chat.step == registration.NAME
    assert "12368" in chat.say("人工")
    assert chat.step == registration.NAME  # a question never ends what the user was doing


# --- validators at the step where the value is typed --------------------------------------------

def test_a_latin_name_is_refused_at_step_one_with_what_to_do(chat):
    chat.say("注册")
    reply = chat.say("John Smith")
    assert "中文姓名" in reply and "联系承办法院" in reply
    assert chat.step == registration.NAME  # still at step 1: nothing typed later is lost


@pytest.mark.parametrize("name", ["王䶮", "吉𠮷", "买买提•艾力"])
def test_names_with_rare_characters_register(chat, s, name):
    assert "已登记" in register(chat, name=name)
    s.expire_all()
    assert s.scalars(select(Person.real_name)).one() == name.replace("•", "·")


def test_a_full_width_international_phone_is_accepted_at_step_three(chat, identity_services):
    chat.say("注册")
    chat.say("张三")
    chat.say(ZHANG_ID)
    reply = chat.say("＋８６ 138-0013-8000")
    assert "验证码已发送至 138****8000" in reply
    assert identity_services.sent == [("13800138000", "otp")]
    assert chat.step == registration.CODE


def test_a_bad_phone_is_refused_where_it_is_typed(chat):
    chat.say("注册")
    chat.say("张三")
    chat.say(ZHANG_ID)
    assert "11位中国大陆手机号码" in chat.say("+1 415 555 0100")
    assert chat.step == registration.PHONE


def test_every_registration_value_step_uses_the_validator_registration_applies():
    from court import idnumbers, names, phones

    assert registration.VALIDATORS == {registration.NAME: names.problem, registration.ID_NUMBER: idnumbers.problem,
                                       registration.PHONE: phones.problem}


# --- what to do next, and 我的文书 -------------------------------------------------------------

def test_each_finished_step_says_what_to_do_next(chat, court_case, s):
    case, parties = court_case
    party, code = parties["张三"]
    register(chat)
    passed = prove_face(chat)
    assert "人脸识别验证通过" in passed and "下一步" in passed and "绑定 关联码" in passed
    assert chat.step == state.IDLE

    joined = chat.say(f"绑定 {code}")
    assert "已成功关联案件" in joined and chat.step == cases.CONSENT
    agreed = chat.say("同意")
    assert "已记录您对案件" in agreed and "下一步" in agreed and "我的案件" in agreed
    assert chat.step == state.IDLE
    cancelled = chat.say("取消")
    assert "下一步" in cancelled


def test_my_documents_lists_waiting_and_served_with_the_date_of_service(chat, court_case, s):
    from court.services import service_date

    case, parties = court_case
    party, code = parties["张三"]
    joined(chat, code)

    awaiting_receipt(s, case.id, party.id)
    served = Document(case_id=case.id, kind=DocumentKind.NOTICE, title="举证通知书")
    s.add(served)
    s.flush()
    record = ServiceRecord(party_id=party.id, document_id=served.id)
    s.add(record)
    s.flush()
    opened_at = db.utcnow()
    assert service_date.record_event(s, record, channel="web", event="opened", at=opened_at)  # the rule fixes the date
    s.commit()

    reply = chat.say("我的文书")
    assert "【待签收】传票 （2026）京0491民初101号" in reply
    assert "已送达的文书" in reply and "《举证通知书》（2026）京0491民初101号" in reply
    in_beijing = (opened_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"{in_beijing} 送达" in reply
    assert "（（" not in reply and "））" not in reply  # a case number is printed once, with its own brackets


def test_withdrawing_consent_finds_the_case_however_its_brackets_are_typed(chat, court_case):
    case, parties = court_case
    party, code = parties["张三"]
    joined(chat, code)
    reply = chat.say("撤回同意 (2026)京0491民初１０１号")
    assert "已撤回您在案件 （2026）京0491民初101号 中对电子送达的同意" in reply
    assert "下一步" in reply
