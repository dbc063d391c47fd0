"""The console reads in Chinese: no English source terms, codes or Python reprs on any page; the
audit log names people and actions; credentials are named and listed per party; a finished
document offers no second flow (#12 item 16)."""
from __future__ import annotations

import html as html_lib
import re
from urllib.parse import unquote

import pytest

from court import db, display
from court.models import DocumentStatus
from court.services import cases as case_service
from notify import messages
from tests.support import console_world

# what must never reach a reader: a code of the domain, a Python value, a snake_case status
CODES = ({m.value for enum in display.LABELS for m in enum}
         | set(case_service.CASE_TYPES) | set(messages.TEMPLATES) | {"queued", "running", "dispatched", "done"})
LEAKS = [re.compile(r"\{'|'\}|\bNone\b|\bTrue\b|\bFalse\b"), re.compile(r"\b[a-z]+(?:_[a-z]+)+\b"),
         re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True)) + r")\b"),
         re.compile(r"\b(?:staff|party|person|system):\w+")]


def visible_text(page: str) -> str:
    """The words a reader sees: no scripts, styles or tags; nor what is shown as a code on purpose,
    beside its words: the raw audit record behind its click, a name another system matches on (a
    webhook event, an API key's prefix: ``<code class="wire">``), a template's ``{placeholder}``
    its author types."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<pre data-raw>.*?</pre>", " ", page, flags=re.S)
    page = re.sub(r'<code class="wire">[^<]*</code>', " ", page)
    page = re.sub(r"\{[a-z_]+\}", " ", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html_lib.unescape(page))


def leaks(text: str) -> list[str]:
    found = []
    for pattern in LEAKS:
        for m in pattern.finditer(text):
            found.append(text[max(0, m.start() - 30):m.end() + 30])
    return found


@pytest.fixture
def world(console, s, run_jobs):
    return console_world.build(s, console.members, run_jobs)


def _login(console, client, username):  # type: ignore[no-untyped-def]
    with client.session_transaction() as sess:
        sess.clear()  # logged out
    assert console.login(username).status_code == 302


def test_every_console_page_reads_in_chinese(console, client, app, world):
    """Walk every page of the console (each GET route with the seeded case, documents, push) as
    each role, and read it as a person would."""
    ids = {"case_id": world.case.id, "document_id": world.waiting.id, "push_id": world.push_id,
           "party_id": world.parties[0].id, "template_id": 1, "endpoint_id": 1}
    skip = {"console.archive", "console.export", "console.download", "console.page_image", "console.my_signature",
            "console.dashboard_csv", "console.notice_status", "console.issued_code", "console.staff_issued",
            "console.notice_preview", "console.login"}
    paths = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "GET" not in rule.methods or rule.endpoint in skip:
            continue
        if set(rule.arguments) - set(ids):
            continue
        paths.add(re.sub(r"<(?:int:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule))
    paths |= {f"/console/documents/{world.finished.id}", f"/console/documents/{world.credentials[0].id}",
              "/console/notices/new", "/console/seal-register"}
    assert len(paths) >= 15
    problems = {}
    for username in ("admin1", "clerk1", "seal_approver1"):
        _login(console, client, username)
        for path in sorted(paths):
            r = client.get(path)
            if r.status_code in (403, 404) or r.mimetype != "text/html":
                continue
            assert r.status_code == 200, (username, path, r.status_code)
            found = leaks(visible_text(r.get_data(as_text=True)))
            if found:
                problems[f"{username} {path}"] = found[:5]
    assert not problems, "English or code on console pages:\n" + "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_walk_would_catch_a_leak():
    """The reader of the walk above does see the leaks the issue reported."""
    for leaked in ("类型 civil", "状态 uploaded", "document_ready", "no_address: 当事人未登记", "{'template': 'x'}",
                   "None", "staff:3"):
        assert leaks(visible_text(f"<p>{leaked}</p>")), leaked
    assert not leaks(visible_text("<p>民事 已上传 文书送达 当事人未登记手机号码</p><pre data-raw>{'a': None}</pre>"))


def test_audit_log_shows_names_actions_and_details_with_the_raw_row_one_click_away(console, client, world):
    _login(console, client, "clerk1")
    page = client.get(f"/console/cases/{world.case.id}/audit").get_data(as_text=True)
    text = visible_text(page)
    assert "吴书记员（书记员）" in text  # the actor by name and role, not staff:2
    assert "创建案件" in text and "添加当事人 张三（原告） 身份 原告" in text and "启动签署流程" in text
    assert "通知已送达 通知 #1 渠道 站内通知 通知类型 待办提醒" in text  # details as key/value, codes in words
    assert "原始记录" in page and '"action": "party.added"' in html_lib.unescape(page)  # the raw row, behind <details>
    assert "overflow-wrap:anywhere" in page  # long values wrap instead of widening the page


def test_credential_downloads_with_case_title_and_party_in_its_name(console, client, world):
    _login(console, client, "clerk1")
    version = world.credentials[0].current
    r = client.get(f"/console/documents/{world.credentials[0].id}/versions/{version.number}")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    header = r.headers["Content-Disposition"]
    assert header.startswith("attachment; filename=\"credential-SD202600001-party-")
    real = unquote(header.split("filename*=UTF-8''")[1])
    assert real == "（2026）京0491民初123号-举证通知书-送达凭证-张三.pdf"
    assert header.isascii()  # RFC 5987: the Chinese name travels percent-encoded
    other = client.get(f"/console/documents/{world.finished.id}/versions/1").headers["Content-Disposition"]
    assert unquote(other.split("filename*=UTF-8''")[1]) == "（2026）京0491民初123号-举证通知书-第1版.pdf"


def test_case_page_lists_each_credential_with_its_party(console, client, world):
    _login(console, client, "clerk1")
    text = visible_text(client.get(f"/console/cases/{world.case.id}").get_data(as_text=True))
    assert "电子送达凭证（举证通知书） — 张三（原告）" in text
    assert "电子送达凭证（举证通知书） — 李四（被告）" in text
    assert "民事" in text and "civil" not in text


def test_a_finished_flow_offers_no_new_flow_and_says_why(console, client, world):
    _login(console, client, "clerk1")
    page = client.get(f"/console/documents/{world.finished.id}").get_data(as_text=True)
    assert "启动签署流程" not in page and "签署流程已完成，文书已定稿" in page
    running = client.get(f"/console/documents/{world.waiting.id}").get_data(as_text=True)
    assert "启动签署流程" not in running and "已有进行中的签署流程" in running
    # and the rule holds for any channel: a forged POST starts nothing
    r = console.post(f"/console/documents/{world.finished.id}/flows", {"seal": "1"}, follow_redirects=True)
    assert "签署流程已完成" in r.get_data(as_text=True)
    assert db.session().get(type(world.finished), world.finished.id).status is DocumentStatus.COMPLETED


def test_api_messages_name_fields_in_chinese(api, court_setup, s):
    court, _members = court_setup
    case = case_service.create_case(s, court, "（2026）京0491民初124号", "civil")
    s.commit()
    r = api("post", "/notices", json={"case_ids": [case.id], "recipients": {"all": True},
                                      "template": "hearing_notice", "fields": {"place": "第三法庭"}})
    assert r.status_code == 400 and r.json["error"]["message"] == "缺少字段：开庭时间"
