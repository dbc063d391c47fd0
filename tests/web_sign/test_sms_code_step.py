"""Issue 12, item 1, on the party pages: a slow, unsure party gets through the SMS-code step; an
attacker does not. The limits count new wrong codes and codes sent to one number, never page loads,
re-submits or taps inside the minute; every refusal says what happened and when to try again."""
from __future__ import annotations

import re
import time
from types import SimpleNamespace

from sqlalchemy import func, select

from court import db, ratelimit
from court.models import Notification, Party
from tests.web_sign.conftest import csrf, needs_identity
from tests.web_sign.test_identity_pages import open_link, sent_code

pytestmark = needs_identity

NEXT = "/m/"


def _wrong(code: str, n: int) -> str:
    return f"{(int(code) + n) % 1000000:06d}"


def _sms_count(phone: str) -> int:
    return db.session().scalar(select(func.count(Notification.id)).where(Notification.template == "otp",
                                                                          Notification.address == phone))


def _start(client, party: Party, document_id: int) -> str:
    open_link(client, party, document_id)
    return csrf(client, "/m/identity")


def _free_minute(party: Party) -> None:
    """The one-a-minute window, as if a minute had passed (scripted browsers are faster than people)."""
    from identity import otp, phones

    ratelimit.reset(otp.SEND_SCOPE, phones.subject(party.phone), otp.SEND_LIMITS[-1][0])


def test_a_party_who_mistypes_three_times_still_gets_through(client, world):
    token = _start(client, world.alice, world.doc.id)
    client.post("/m/identity/send", data={"csrf_token": token, "next": NEXT})
    code = sent_code(world.alice.phone)
    for n, left in ((1, 4), (2, 3), (3, 2)):
        page = client.post("/m/identity/verify", data={"csrf_token": token, "code": _wrong(code, n), "next": NEXT},
                           follow_redirects=True).get_data(as_text=True)
        assert f"验证码不正确，还可以再试{left}次" in page
    ok = client.post("/m/identity/verify", data={"csrf_token": token, "code": code, "next": NEXT})
    assert ok.status_code == 302 and "/m/face" in ok.headers["Location"]


def test_the_same_wrong_code_twice_is_one_try_and_a_format_slip_is_none(client, world):
    token = _start(client, world.alice, world.doc.id)
    client.post("/m/identity/send", data={"csrf_token": token})
    code = sent_code(world.alice.phone)
    for _ in range(3):  # a double tap, then a reload that re-sends the form
        page = client.post("/m/identity/verify", data={"csrf_token": token, "code": _wrong(code, 1)},
                           follow_redirects=True).get_data(as_text=True)
        assert "还可以再试4次" in page
    slip = client.post("/m/identity/verify", data={"csrf_token": token, "code": "12345"},
                       follow_redirects=True).get_data(as_text=True)
    assert "验证码应为6位数字" in slip
    assert "还可以再试3次" in client.post("/m/identity/verify", data={"csrf_token": token, "code": _wrong(code, 2)},
                                         follow_redirects=True).get_data(as_text=True)


def test_many_taps_on_both_buttons_never_lock_her_out_nor_spoil_her_code(client, world):
    """The reported day: about ten taps on 获取验证码 and 下一步, then her valid code was refused."""
    token = _start(client, world.alice, world.doc.id)
    client.post("/m/identity/send", data={"csrf_token": token})
    code = sent_code(world.alice.phone)
    for _ in range(12):
        again = client.post("/m/identity/send", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
        assert "秒后再重新获取" in again and "登记尝试过于频繁" not in again
        client.post("/m/identity/verify", data={"csrf_token": token, "code": ""})
        client.get("/m/identity")
    assert _sms_count(world.alice.phone) == 1  # taps inside the minute sent nothing
    ok = client.post("/m/identity/verify", data={"csrf_token": token, "code": code, "next": NEXT})
    assert "/m/face" in ok.headers["Location"]


def test_the_send_button_states_when_it_can_be_used_again(client, world):
    token = _start(client, world.alice, world.doc.id)
    before = client.get("/m/identity").get_data(as_text=True)
    assert 'data-wait="0"' in before and 'id="send-wait"' not in before
    client.post("/m/identity/send", data={"csrf_token": token})
    page = client.get("/m/identity").get_data(as_text=True)
    wait = int(re.search(r'data-wait="(\d+)"', page).group(1))
    assert 50 <= wait <= 60  # the live countdown starts from the server's own wait
    clock = re.search(r'id="send-wait">可在 (\d{4}-\d{2}-\d{2} \d{2}:\d{2})（北京时间）后重新获取', page)
    assert clock is not None  # without JS the page states the time


def test_expired_used_and_wrong_are_told_apart(client, app, world, monkeypatch):
    from identity import otp

    token = _start(client, world.alice, world.doc.id)
    client.post("/m/identity/send", data={"csrf_token": token})
    old = sent_code(world.alice.phone)
    later = time.time() + otp.LIFETIME_SECONDS + 1  # only the code's clock moves (the cookie's would not verify)
    monkeypatch.setattr(otp, "time", SimpleNamespace(time=lambda: later))
    expired = client.post("/m/identity/verify", data={"csrf_token": token, "code": old},
                          follow_redirects=True).get_data(as_text=True)
    assert "验证码已过期（有效期5分钟），请重新获取" in expired
    monkeypatch.setattr(otp, "time", time)

    _free_minute(world.alice)
    client.post("/m/identity/send", data={"csrf_token": token})
    code = sent_code(world.alice.phone)
    assert client.post("/m/identity/verify", data={"csrf_token": token, "code": code}).status_code == 302
    # the same form sent again from this browser (back, then 下一步): the step is done, go on
    again = client.post("/m/identity/verify", data={"csrf_token": token, "code": code, "next": NEXT})
    assert again.headers["Location"].endswith(NEXT)
    # the code entered in another browser: already used, not "expired"
    other = app.test_client()
    other_token = _start(other, world.alice, world.doc.id)
    used = other.post("/m/identity/verify", data={"csrf_token": other_token, "code": code},
                      follow_redirects=True).get_data(as_text=True)
    assert "该验证码已经使用过" in used and "过期" not in used


def test_attacker_guessing_codes_is_stopped_for_the_day_with_the_time_said(client, world):
    """Many wrong codes to one number: five tries a code, and at most twenty different wrong codes
    a day across all codes; past that even the right code is not checked (no oracle)."""
    from identity import otp

    token = _start(client, world.alice, world.doc.id)
    guesses = 0
    while True:
        _free_minute(world.alice)
        client.post("/m/identity/send", data={"csrf_token": token})
        code = sent_code(world.alice.phone)
        page = ""
        for n in range(1, otp.MAX_TRIES + 1):
            page = client.post("/m/identity/verify", data={"csrf_token": token, "code": _wrong(code, n)},
                               follow_redirects=True).get_data(as_text=True)
            if "今天输错验证码的次数过多" in page:
                break
            guesses += 1
        if "今天输错验证码的次数过多" in page:
            break
        assert "验证码输入错误次数过多，已失效，请重新获取" in page
    assert guesses == otp.WRONG_LIMIT.count
    assert re.search(r"请于\d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）后再试", page)
    right = client.post("/m/identity/verify", data={"csrf_token": token, "code": code},
                        follow_redirects=True).get_data(as_text=True)
    assert "今天输错验证码的次数过多" in right and "/m/face" not in right


def test_attacker_asking_for_codes_to_one_number_is_told_how_long(client, world):
    token = _start(client, world.alice, world.doc.id)
    for _ in range(5):
        _free_minute(world.alice)
        client.post("/m/identity/send", data={"csrf_token": token})
    _free_minute(world.alice)
    page = client.post("/m/identity/send", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert re.search(r"每小时最多5次），请\d+分钟后（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）再试", page)
    assert _sms_count(world.alice.phone) == 5
