"""Real-name registration: validation with Chinese reasons, find-or-create by ID number."""
import pytest
from sqlalchemy import func, select

from court import crypto
from court.errors import DomainError
from court.models import AuditEvent, Person
from identity import registration
from tests.support.factories import id_number


def test_register_creates_an_encrypted_masked_person(s):
    number = id_number()
    p = registration.register(s, real_name=" 张 三 ", id_number=number, phone="+86 138-0013-8000")
    s.commit()
    assert p.real_name == "张三"
    assert p.phone == "13800138000" and p.phone_verified_at is None
    assert crypto.decrypt(p.id_number_enc) == number
    assert p.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    assert number not in p.id_number_hash
    event = s.scalar(select(AuditEvent).where(AuditEvent.action == "identity.registered"))
    assert event.details == {"id_number": p.id_number_masked, "phone": "138****8000"}


def test_register_again_finds_the_same_person(s):
    number = id_number()
    first = registration.register(s, real_name="张三", id_number=number, phone="13800138000")
    again = registration.register(s, real_name="张三", id_number=number.lower(), phone="13900139000")
    assert again.id == first.id
    assert s.scalar(select(func.count()).select_from(Person)) == 1
    assert again.phone == "13800138000"  # typing someone's ID number changes nothing of theirs


def test_a_verified_phone_is_not_replaced_by_registration(s):
    from court import db

    p = registration.register(s, real_name="张三", id_number=id_number(), phone="13800138000")
    p.phone_verified_at = db.utcnow()
    again = registration.register(s, real_name="张三", id_number=id_number(), phone="13900139000")
    assert again.phone == "13800138000"


def test_a_wrong_name_for_a_known_id_number_is_refused(s):
    p = registration.register(s, real_name="张三", id_number=id_number(), phone="13800138000")
    with pytest.raises(DomainError) as err:
        registration.register(s, real_name="李四", id_number=id_number(), phone="13800138000")
    assert err.value.code == "name_mismatch" and "不一致" in err.value.localized()
    assert p.real_name == "张三"


def test_minority_names_with_middle_dot(s):
    p = registration.register(s, real_name="买买提•艾力", id_number=id_number(), phone="13800138000")
    assert p.real_name == "买买提·艾力"


@pytest.mark.parametrize("name, number, phone, code, words", [
    ("", id_number(), "13800138000", "bad_name", "真实姓名"),
    ("Zhang San", id_number(), "13800138000", "bad_name", "与身份证一致"),
    ("张", id_number(), "13800138000", "bad_name", "与身份证一致"),
    ("张三", "110105194912310021", "13800138000", "bad_id_number", "校验位"),
    ("张三", "320311770706001", "13800138000", "bad_id_number", "18位"),
    ("张三", id_number(), "12800138000", "bad_phone", "手机号码"),
    ("张三", id_number(), "1380013800", "bad_phone", "手机号码"),
])
def test_invalid_input_is_refused_in_chinese(s, name, number, phone, code, words):
    with pytest.raises(DomainError) as err:
        registration.register(s, real_name=name, id_number=number, phone=phone)
    assert err.value.code == code
    assert words in err.value.message
    assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_english_reason_is_available(s):
    with pytest.raises(DomainError) as err:
        registration.register(s, real_name="张三", id_number=id_number(), phone="123")
    assert err.value.localized("en") == "Please enter a valid 11-digit mainland China mobile number"


def test_a_court_record_is_looked_up_without_the_typed_registration_limit(s):
    """Issue 12, item 1: an SMS-link party's taps never count as "registrations" of her ID number."""
    from court.errors import RateLimited

    number = id_number()
    first = registration.for_court_record(s, real_name="张三", id_number=number, phone="13800138000")
    for _ in range(registration.LIMIT.count + 5):
        assert registration.for_court_record(s, real_name="张三", id_number=number, phone="13800138000").id == first.id
    with pytest.raises(DomainError) as err:  # the court's name must still match the person's
        registration.for_court_record(s, real_name="李四", id_number=number, phone="13800138000")
    assert err.value.code == "name_mismatch"
    for _ in range(registration.LIMIT.count - 1):  # typed registrations keep their own limit
        registration.register(s, real_name="张三", id_number=number, phone="13800138000")
    with pytest.raises(RateLimited):
        registration.register(s, real_name="张三", id_number=number, phone="13800138000")
