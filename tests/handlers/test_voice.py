"""Voice messages through /wechat XML: WeChat's speech recognition (``Recognition``) is read as
typed text, a name or ID number heard by voice is asked back before it counts, and a voice
message without recognition gets a kind request to type."""
from __future__ import annotations

from sqlalchemy import select

from court import crypto
from court.models import Person
from tests.handlers.test_flows import ZHANG_ID, _text
from tests.support.wechat import OTP_CODE


def test_registration_by_voice_confirms_the_name_and_the_id_number(make_user, s):
    user = make_user("oVOICEaaaaaaaaaaaaaaaaaaaaaa")
    assert "真实姓名" in _text(user.speak("注册。"))  # a spoken command works like a typed one
    asked = _text(user.speak("张山。"))  # misheard
    assert "我们听到的姓名是：张山" in asked and "正确请回复“是”" in asked
    assert "身份证" in _text(user.say("张三"))  # typed instead: taken as typed, no question
    spaced = " ".join((ZHANG_ID[:6], ZHANG_ID[6:14], ZHANG_ID[14:]))
    assert f"我们听到的身份证号码是：{spaced}" in _text(user.speak(ZHANG_ID + "。"))
    assert "手机号码" in _text(user.speak("是。"))
    assert "验证码已发送" in _text(user.speak("13800000001"))
    assert "电子送达须知" in _text(user.speak(OTP_CODE))
    assert "实名信息已登记：张三" in _text(user.speak("同意。"))
    person = s.scalars(select(Person)).one()
    assert person.real_name == "张三" and person.id_number_hash == crypto.lookup_hash(ZHANG_ID)


def test_a_name_heard_and_confirmed_by_voice(make_user, s):
    user = make_user("oVOICEbbbbbbbbbbbbbbbbbbbbbb")
    user.say("注册")
    assert "张三" in _text(user.speak("张三"))
    assert "第2步" in _text(user.speak("是"))
    user.say(ZHANG_ID)
    user.say("13800000001")
    user.say(OTP_CODE)
    user.say("同意")
    assert s.scalars(select(Person.real_name)).one() == "张三"


def test_voice_without_recognition_asks_kindly_to_type(make_user):
    user = make_user("oVOICEccccccccccccccccccccccc"[:28])
    assert "请您打字输入" in _text(user.speak(None))
    assert "关键词" in _text(user.speak("帮助。"))
