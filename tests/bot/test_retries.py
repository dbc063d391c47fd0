"""WeChat's retries (and concurrent duplicate deliveries) have exactly one effect."""
from __future__ import annotations

import threading
import time

from bot.simulator.user import event_xml, read_reply, sign_callback, text_xml
from court import ratelimit
from handlers import cases
from tests.support.wechat import face_checked_in_conversation
from wechat import settings as bot_settings

OPENID = "oRETRYaaaaaaaaaaaaaaaaaaaaaa"


def _deliver_concurrently(app, xml: str, n: int = 3, *, safe: bool = True) -> list:  # type: ignore[no-untyped-def]
    """Post the same message ``n`` times at once, each signed afresh like WeChat's retries."""
    settings = bot_settings.current()
    signed = [sign_callback(settings, xml, safe=safe) for _ in range(n)]
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def deliver(i: int) -> None:
        with app.test_client() as c:
            barrier.wait()
            res = c.post("/wechat", query_string=signed[i].params, data=signed[i].body, content_type="text/xml")
            results[i] = (res.status_code, read_reply(settings, res.get_data(), safe=safe))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_three_concurrent_deliveries_count_one_wrong_code(app, make_user, court_case, s):
    from court.models import Person

    user = make_user(OPENID)
    user.say("注册")
    for answer in ("王五", "110101199003074514", "13900000009", "246810", "同意"):
        user.say(answer)
    person = s.query(Person).one()
    face_checked_in_conversation(s, person, OPENID)
    s.commit()

    xml = text_xml(OPENID, "绑定 ZZZZ-ZZZZ-ZZZZ", msg_id=880001)
    results = _deliver_concurrently(app, xml)
    assert [status for status, _ in results] == [200, 200, 200]
    contents = {reply["Content"] for _, reply in results}
    assert len(contents) == 1 and "关联码不正确" in contents.pop()
    subject = cases.limit_subject("wechat", OPENID)
    assert ratelimit.remaining("bind_code", subject, cases.WRONG_CODES) == 4

    # a later retry of the same message (WeChat's third try) gets the same answer, no new effect
    status, reply = _deliver_concurrently(app, xml, n=1)[0]
    assert status == 200 and "还可尝试 4 次" in reply["Content"]
    assert ratelimit.remaining("bind_code", subject, cases.WRONG_CODES) == 4


def test_event_retries_are_recognised_without_a_msgid(app, make_user):
    make_user(OPENID)  # wires the simulator
    xml = event_xml(OPENID, "CLICK", "REGISTER", create_time=int(time.time()))
    results = _deliver_concurrently(app, xml, safe=False)
    assert len({reply["Content"] for _, reply in results}) == 1
    # the conversation moved one step (asking the name), not three
    from handlers import state

    assert state.load("wechat", OPENID).step == "reg.name"


def test_a_failed_first_delivery_lets_the_retry_do_the_work(app, make_user, monkeypatch):
    from handlers import conversation

    user = make_user(OPENID, safe=False)
    calls = {"n": 0}
    real = conversation.handle

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(conversation, "handle", flaky)
    xml = text_xml(OPENID, "帮助", msg_id=990001)
    first = user.post(xml)
    assert "系统繁忙" in first["Content"]  # the user gets an answer, not "service unavailable"
    second = user.post(xml)
    assert "关键词" in second["Content"] and calls["n"] == 2
