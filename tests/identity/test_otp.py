"""SMS one-time codes: sent through the outbox, hashed, 5-minute life, 5 tries, send limits."""
import time

import pytest
from sqlalchemy import select

from court import redis_conn
from court.errors import DomainError, RateLimited
from court.models import ChannelBinding, Notification
from identity import otp, phones

PHONE = "13800138000"


def last_code(s, phone=PHONE):
    n = s.scalars(select(Notification).where(Notification.address == phone).order_by(Notification.id.desc())).first()
    assert n.channel == "sms" and n.template == "otp" and n.params["minutes"] == 5
    return n.params["code"]


def test_code_goes_through_the_outbox_and_is_stored_hashed(s):
    otp.send_code(s, PHONE, "register")
    s.commit()
    code = last_code(s)
    assert len(code) == 6 and code.isdigit()
    keys = redis_conn.client().keys("identity:otp:*")
    assert len(keys) == 1 and PHONE.encode() not in keys[0]
    stored = redis_conn.client().hgetall(keys[0])
    assert code.encode() not in b"".join(stored.values())
    otp.verify_code(s, PHONE, "register", code)


def test_code_is_single_use_and_bound_to_its_purpose(s):
    otp.send_code(s, PHONE, "sign")
    code = last_code(s)
    with pytest.raises(DomainError) as err:
        otp.verify_code(s, PHONE, "register", code)
    assert err.value.code == "otp_expired"
    otp.verify_code(s, PHONE, "sign", code)
    with pytest.raises(DomainError) as err:
        otp.verify_code(s, PHONE, "sign", code)
    assert err.value.code == "otp_used" and "已经使用过" in err.value.localized()  # not "expired"


def test_wrong_code_says_tries_left_then_locks(s):
    otp.send_code(s, PHONE, "register")
    code = last_code(s)
    wrongs = [f"{(int(code) + n) % 1000000:06d}" for n in range(1, 6)]
    for left, wrong in zip((4, 3, 2, 1), wrongs, strict=False):
        with pytest.raises(DomainError) as err:
            otp.verify_code(s, PHONE, "register", wrong)
        assert err.value.code == "otp_wrong" and err.value.params == {"left": left}
        assert f"还可以再试{left}次" in err.value.localized()
    with pytest.raises(DomainError) as err:
        otp.verify_code(s, PHONE, "register", wrongs[4])
    assert err.value.code == "otp_locked"
    with pytest.raises(DomainError) as err:  # even the right code no longer works
        otp.verify_code(s, PHONE, "register", code)
    assert err.value.code == "otp_locked"


def test_code_expires_after_five_minutes(s, monkeypatch):
    otp.send_code(s, PHONE, "register")
    code = last_code(s)
    real = time.time
    monkeypatch.setattr(otp.time, "time", lambda: real() + 301)
    with pytest.raises(DomainError) as err:
        otp.verify_code(s, PHONE, "register", code)
    assert err.value.code == "otp_expired" and "过期" in err.value.message


def test_format_errors_do_not_use_a_try(s):
    otp.send_code(s, PHONE, "register")
    code = last_code(s)
    for bad in ("12345", "abcdef", ""):
        with pytest.raises(DomainError) as err:
            otp.verify_code(s, PHONE, "register", bad)
        assert err.value.code == "otp_format"
    otp.verify_code(s, PHONE, "register", " " + code.translate(str.maketrans("0123456789", "０１２３４５６７８９")))


def _clear_minute_window(phone=PHONE):
    redis_conn.client().delete(f"rl:{otp.SEND_SCOPE}:{phones.subject(phone)}:60")


def test_one_a_minute(s):
    otp.send_code(s, PHONE, "register")
    with pytest.raises(RateLimited) as err:
        otp.send_code(s, PHONE, "register")
    assert "秒后再重新获取" in err.value.localized()
    assert 0 < err.value.params["seconds"] <= 60
    otp.send_code(s, "13900139000", "register")  # other numbers are not affected


def test_five_an_hour_and_ten_a_day(s):
    for _ in range(5):
        otp.send_code(s, PHONE, "register")
        _clear_minute_window()
    with pytest.raises(RateLimited) as err:
        otp.send_code(s, PHONE, "register")
    assert "每小时最多5次" in err.value.localized()
    assert err.value.params["minutes"] >= 1
    r = redis_conn.client()
    for _ in range(5):
        r.delete(f"rl:{otp.SEND_SCOPE}:{phones.subject(PHONE)}:3600")
        otp.send_code(s, PHONE, "register")
        _clear_minute_window()
    r.delete(f"rl:{otp.SEND_SCOPE}:{phones.subject(PHONE)}:3600")
    with pytest.raises(RateLimited) as err:
        otp.send_code(s, PHONE, "register")
    assert "每天10次" in err.value.localized()
    assert s.scalar(select(Notification.id).order_by(Notification.id.desc())) == 10


def test_code_sent_for_a_person_verifies_and_binds_their_phone(s, person):
    otp.send_code(s, PHONE, "register", person_id=person.id)
    otp.verify_code(s, PHONE, "register", last_code(s, PHONE))
    s.commit()
    assert person.phone == PHONE and person.phone_verified_at is not None
    binding = s.scalar(select(ChannelBinding).where(ChannelBinding.channel == "phone"))
    assert binding.person_id == person.id and binding.address == PHONE


def test_a_code_to_another_number_does_not_replace_the_persons_phone(s, person):
    """Even a phone never proven by a code (typed, or entered by a court) changes only with an
    identity check: a code proves who holds a number, not who the person is (tests/security)."""
    otp.send_code(s, "13900139000", "register", person_id=person.id)
    otp.verify_code(s, "13900139000", "register", last_code(s, "13900139000"))
    s.commit()
    assert person.phone == PHONE and person.phone_verified_at is None


def test_recycled_number_moves_to_the_newest_verified_owner(s, person):
    from identity import registration
    from tests.support.factories import id_number

    otp.send_code(s, PHONE, "register", person_id=person.id)
    otp.verify_code(s, PHONE, "register", last_code(s))
    other = registration.register(s, real_name="李四", id_number=id_number(seq="456"), phone=PHONE)
    _clear_minute_window()
    otp.send_code(s, PHONE, "register", person_id=other.id)
    otp.verify_code(s, PHONE, "register", last_code(s))
    s.commit()
    binding = s.scalar(select(ChannelBinding).where(ChannelBinding.address == PHONE))
    assert binding.person_id == other.id
    assert person.phone_verified_at is None and other.phone_verified_at is not None


def test_bad_phone_is_refused(s):
    with pytest.raises(DomainError) as err:
        otp.send_code(s, "010-12345678", "register")
    assert err.value.code == "bad_phone"


def test_code_is_scrubbed_from_the_sent_message_once_used(s):
    from court.models import NotificationStatus

    otp.send_code(s, PHONE, "register")
    code = last_code(s)
    n = s.scalar(select(Notification))
    n.status = NotificationStatus.SENT  # notify/ dispatched it
    s.commit()
    otp.verify_code(s, PHONE, "register", code)
    s.commit()
    s.expire_all()
    assert s.get(Notification, n.id).params == {"code": "******", "minutes": 5}


def test_the_same_wrong_code_again_is_not_a_new_try(s):
    otp.send_code(s, PHONE, "register")
    code = last_code(s)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(3):  # a double tap and a reload
        with pytest.raises(DomainError) as err:
            otp.verify_code(s, PHONE, "register", wrong)
        assert err.value.code == "otp_wrong" and err.value.params == {"left": 4}
    otp.verify_code(s, PHONE, "register", code)


def test_wrong_codes_are_capped_a_day_per_number_and_the_cap_is_no_oracle(s):
    """Five tries a code, and twenty different wrong codes a day across all codes: past that even
    the right code is refused, saying until when (Beijing time)."""
    guesses = 0
    code = ""
    while guesses < otp.WRONG_LIMIT.count:
        _clear_minute_window()
        redis_conn.client().delete(f"rl:{otp.SEND_SCOPE}:{phones.subject(PHONE)}:3600")
        otp.send_code(s, PHONE, "register")
        code = last_code(s)
        for n in range(1, otp.MAX_TRIES + 1):
            if guesses == otp.WRONG_LIMIT.count:
                break
            with pytest.raises(DomainError):
                otp.verify_code(s, PHONE, "register", f"{(int(code) + n) % 1000000:06d}")
            guesses += 1
    _clear_minute_window()
    otp.send_code(s, PHONE, "register")
    with pytest.raises(RateLimited) as err:
        otp.verify_code(s, PHONE, "register", last_code(s))
    assert err.value.code == "otp_wrong_daily" and "（北京时间）后再试" in err.value.localized()
    assert err.value.params["until"][:4].isdigit()
