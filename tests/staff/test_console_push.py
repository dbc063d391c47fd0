"""The hearing-notice push from the console (#12 item 15): a date-time picker read as Beijing
time, past times refused by name, a preview that is the message parties get, one confirmation
sending once, and afterwards who got what on which channel."""
from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from court import db
from court.display import CHINA
from court.models import DevMessage, NoticePush, PartyRole
from court.services import cases, consent
from tests.staff.test_console_words import leaks, visible_text
from tests.support import console_world
from tests.support.factories import id_number


@pytest.fixture
def case(console, s):
    for role, (member, _key) in console.members.items():
        member.name = console_world.NAMES[role]  # the fixture's names are English
    court = console.members["clerk"][0].court
    c = cases.create_case(s, court, "（2026）京0491民初300号", "civil", "房屋租赁合同纠纷")
    added = cases.add_parties(s, c, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(seq="411"), "13800000041"),
        cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(seq="422"), "13800000042"),
        cases.PartyInput(PartyRole.THIRD_PARTY, "王五", id_number(seq="433"), None)])
    for party, _code in added[:2]:
        consent.give(s, None, c, channels=["sms"], address={"sms": party.phone}, method="staff", party=party,
                     recorded_by="staff:test")
    s.commit()
    console.login()
    return c


def _when(delta: timedelta) -> datetime:
    return (datetime.now(CHINA) + delta).replace(second=0, microsecond=0)


def _form(case, when: datetime, **extra):  # type: ignore[no-untyped-def]
    return {"template": "hearing_notice", "who": "all", "case_ids": [str(case.id)],
            "field_time": when.strftime("%Y-%m-%dT%H:%M"), "field_place": "第三法庭", **extra}


def test_the_form_offers_a_date_time_picker(console, case):
    page = console.get(f"/console/notices/new?case_ids={case.id}").get_data(as_text=True)
    assert re.search(r'<input id="f-hearing_notice-time" name="field_time" type="datetime-local" min="\d{4}-\d\d-\d\dT\d\d:\d\d"', page)
    assert "开庭时间" in page and "北京时间" in page and ">预览<" in page


def test_a_time_in_the_past_is_refused_naming_the_field(console, case):
    r = console.post("/console/notices/new", _form(case, _when(-timedelta(hours=1))))
    text = visible_text(r.get_data(as_text=True))
    assert r.status_code == 400 and "开庭时间不能早于当前时间" in text
    assert 'value="第三法庭"' in r.get_data(as_text=True)  # nothing typed is lost
    missing = console.post("/console/notices/new", _form(case, _when(timedelta(days=1)), field_place=""))
    assert missing.status_code == 400 and "缺少字段：开庭地点" in missing.get_data(as_text=True)
    assert db.session().scalar(select(func.count()).select_from(NoticePush)) == 0


def test_preview_shows_the_message_parties_get_then_one_confirmation_sends_once(console, client, case, run_jobs):
    when = _when(timedelta(days=2, hours=3))
    r = console.post("/console/notices/new", _form(case, when))
    assert r.status_code == 303
    preview_url = urlparse(r.headers["Location"]).path
    page = console.get(preview_url).get_data(as_text=True)
    text = visible_text(page)
    stamp = f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"  # the picker's value, as Beijing time
    sms = re.search(r'<div class="bubble">(.*?)</div>', page, re.S).group(1)
    assert html_lib.unescape(sms) == (f"【法院电子送达】北京互联网法院：您的案件（2026）京0491民初300号定于{stamp}"
                                      "在第三法庭开庭审理，请准时到庭。")
    assert "开庭提醒" in text and "开庭时间 " + when.strftime("%Y年%m月%d日 %H:%M") in text and "开庭地点 第三法庭" in text
    assert "张三 原告 （2026）京0491民初300号 短信 138****0041" in text
    assert "王五 第三人" in text and "不会发送 当事人未登记手机号码、电子邮箱或微信" in text
    assert not leaks(text)
    assert db.session().scalar(select(func.count()).select_from(NoticePush)) == 0  # a preview sends nothing

    first = console.post(preview_url)
    again = console.post(preview_url)  # a double click, or the back button and confirm again
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session().scalar(select(func.count()).select_from(NoticePush)) == 1
    assert "该通知已经发送，未重复发送" in console.get(again.headers["Location"]).get_data(as_text=True)

    run_jobs(("notify",))
    sent = [m.body for m in db.session().scalars(select(DevMessage))]
    assert len(sent) == 2 and html_lib.unescape(sms) in sent  # the preview was the message

    page = console.get(first.headers["Location"]).get_data(as_text=True)
    text = visible_text(page)
    assert "状态： 已全部处理" in text and "done" not in text
    rows = re.findall(r"<tr><td>(张三|李四|王五)</td>.*?</tr>", page, re.S)
    assert rows == ["张三", "李四", "王五"]
    assert re.search(r"张三 原告 （2026）京0491民初300号 短信 138\*\*\*\*0041 已(发送|送达)", text)
    assert "王五 第三人 （2026）京0491民初300号 — 发送失败 当事人未登记手机号码、电子邮箱或微信" in text
    assert not leaks(text)
    status = console.get(first.headers["Location"] + "/status").json
    assert status["status_label"] == "已全部处理" and status["failures"][0]["reason"].startswith("当事人未登记")


def test_a_preview_belongs_to_its_clerk_and_goes_back_to_the_form_intact(console, client, case):
    r = console.post("/console/notices/new", _form(case, _when(timedelta(days=1)), who="roles", roles=["defendant"]))
    preview_url = urlparse(r.headers["Location"]).path
    back = re.search(r'href="([^"]*draft=[^"]+)"', console.get(preview_url).get_data(as_text=True)).group(1)
    form = console.get(html_lib.unescape(back)).get_data(as_text=True)
    assert 'value="第三法庭"' in form and 'value="roles" checked' in form and 'value="defendant" checked' in form
    with client.session_transaction() as sess:
        sess.clear()
    console.login("judge1")  # another member cannot see or confirm it
    assert console.get(preview_url).status_code == 303
    assert console.post(preview_url).status_code == 303
    assert db.session().scalar(select(func.count()).select_from(NoticePush)) == 0
