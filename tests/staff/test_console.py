"""The staff console: log-in, CSRF, cases, association codes with QR, uploads, flows, audit."""
import io
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from court import db
from court.display import CHINA
from court.services import staff as staff_service
from tests.support.console import PASSWORD
from tests.support.factories import id_number, pdf_bytes


def test_login_required_and_login(console):
    r = console.get("/console/cases")
    assert r.status_code == 302 and "/console/login" in r.headers["Location"]
    bad = console.login(password="wrong password!")
    assert bad.status_code == 401 and "用户名或密码不正确" in bad.get_data(as_text=True)
    ok = console.login()
    assert ok.status_code == 302
    page = console.get("/console/")
    assert page.status_code == 200 and "待办与异常" in page.get_data(as_text=True)


def test_session_cookie_flags(console, client):
    console.login()
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_login_attempts_are_limited(console):
    for _ in range(5):
        assert console.login(password="nope nope nope").status_code == 401
    limited = console.login()  # even the right password is refused now
    assert limited.status_code == 429 and "登录尝试次数过多" in limited.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(console, client):
    console.login()
    r = client.post("/console/cases", data={"number": "（2026）京0491民初1号"})
    assert r.status_code == 400
    r = client.post("/console/cases", data={"number": "（2026）京0491民初1号", "csrf_token": "forged"})
    assert r.status_code == 400


def test_case_party_code_upload_flow_and_audit(console, client):
    console.login()
    r = console.post("/console/cases", {"number": "（2026）京0491民初88号", "type": "civil", "title": "借款纠纷"})
    assert r.status_code == 302
    case_url = r.headers["Location"]
    case_id = int(case_url.rstrip("/").split("/")[-1])
    code_page = console.post(f"/console/cases/{case_id}/parties",
                             {"role": "defendant", "name": "李四", "id_number": id_number(seq="222"), "phone": "13800000002"},
                             follow_redirects=True)
    html = code_page.get_data(as_text=True)
    code = re.search(r'class="code-big">([A-Z0-9-]+)<', html).group(1)
    assert len(code) == 14 and "<svg" in html and "<path" in html
    case_html = console.get(case_url).get_data(as_text=True)
    assert code not in case_html and "138****0002" in case_html and "13800000002" not in case_html

    bad = console.post(f"/console/cases/{case_id}/documents",
                       {"kind": "subpoena", "title": "传票", "file": (io.BytesIO(b"not a pdf"), "x.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "文件不是PDF格式" in bad.get_data(as_text=True)
    up = console.post(f"/console/cases/{case_id}/documents",
                      {"kind": "subpoena", "title": "传票", "file": (io.BytesIO(pdf_bytes()), "s.pdf")},
                      content_type="multipart/form-data")
    doc_url = up.headers["Location"]
    doc_id = int(doc_url.split("/")[-1])
    party_id = db.session().get(__import__("court.models", fromlist=["Document"]).Document, doc_id).case.parties[0].id
    approver = console.members["seal_approver"][0]
    started = console.post(f"/console/documents/{doc_id}/flows",
                           {"approver_id": str(approver.id), "seal": "1", "parties": [str(party_id)],
                            "party_action": "receive", "ordered": "1"}, follow_redirects=True)
    text = started.get_data(as_text=True)
    assert "签署流程已启动" in text and "待办理" in text and "等待中" in text
    assert console.get(f"/console/documents/{doc_id}/versions/1").data.startswith(b"%PDF")

    # the seal approver approves from their own session
    client.post("/console/logout", data={"csrf_token": console.token("/console/")})
    console.login("seal_approver1")
    step_id = re.search(r"/console/steps/(\d+)/approve", console.get(doc_url).get_data(as_text=True)).group(1)
    unconfirmed = console.post(f"/console/steps/{step_id}/approve", follow_redirects=True)
    assert "请再次输入您的登录密码" in unconfirmed.get_data(as_text=True)
    done = console.post(f"/console/steps/{step_id}/approve", {"password": PASSWORD}, follow_redirects=True)
    assert "已处理" in done.get_data(as_text=True)

    audit = console.get(f"/console/cases/{case_id}/audit").get_data(as_text=True)
    assert "哈希链完整" in audit and "批准用印" in audit and "添加当事人" in audit


def test_other_courts_cases_are_404(console, s):
    from court.models import StaffRole

    console.login()
    other = staff_service.create_court(s, "上海市第一中级人民法院", "沪01")
    from court.services import cases

    case = cases.create_case(s, other, "（2026）沪01民初1号", "civil")
    s.commit()
    assert console.get(f"/console/cases/{case.id}").status_code == 404
    assert StaffRole.CLERK


def test_console_in_english(console, client):
    console.login()
    page = client.get("/console/?lang=en").get_data(as_text=True)
    assert "Cases" in page and "待办与异常" not in page


def test_push_a_notice_with_progress(console, client, s, run_jobs):
    from court.models import Notification, PartyRole
    from court.services import cases

    court = console.members["clerk"][0].court
    case = cases.create_case(s, court, "（2026）京0491民初66号", "civil")
    added = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(seq="111"), "13800000001"),
        cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(seq="222"), "13800000002")])
    from court.services import consent

    for party, _code in added:  # a push serves only parties who consented (here: on paper, entered by staff)
        consent.give(s, None, case, channels=["sms"], address={"sms": party.phone}, method="staff", party=party,
                     recorded_by="staff:test")
    s.commit()
    console.login()
    form = console.get(f"/console/notices/new?case_ids={case.id}").get_data(as_text=True)
    assert "开庭通知" in form and f'value="{case.id}" checked' in form
    when = (datetime.now(CHINA) + timedelta(days=3)).strftime("%Y-%m-%dT09:30")
    missing = console.post("/console/notices/new", {"template": "hearing_notice", "who": "all",
                                                    "case_ids": [str(case.id)], "field_time": when})
    assert missing.status_code == 400 and "缺少字段：开庭地点" in missing.get_data(as_text=True)
    r = console.post("/console/notices/new", {"template": "hearing_notice", "who": "roles", "roles": ["defendant"],
                                              "case_ids": [str(case.id)], "field_time": when,
                                              "field_place": "第三法庭"})
    assert r.status_code == 303 and "/console/notices/preview/" in r.headers["Location"]
    assert console.get(r.headers["Location"]).status_code == 200
    r = console.post(r.headers["Location"])
    assert r.status_code == 303
    page_url = r.headers["Location"]
    assert "推送" in console.get(page_url).get_data(as_text=True)
    run_jobs(("notify",))
    status = console.get(page_url + "/status").json
    assert status["status"] == "done" and status["total"] == 1 and status["processed"] == 1
    assert status["counts"]["failed"] == 0 and status["counts"]["sent"] + status["counts"]["delivered"] == 1
    sms = db.session().scalars(select(Notification).where(Notification.template == "hearing_notice")).one()
    assert sms.address == "13800000002" and sms.params["place"] == "第三法庭"


def test_reloading_or_resubmitting_the_party_form_keeps_one_party(console, client):
    """A clerk reloads the association-code page, or goes back and submits again: still one party,
    the code is not shown a second time, and what they typed is kept when a form is refused."""
    from court.models import Party

    console.login()
    r = console.post("/console/cases", {"number": "（2026）京0491民初89号", "type": "civil"})
    case_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    form = {"role": "defendant", "name": "王五", "id_number": id_number(seq="333"), "phone": "13800000003",
            "email": "wangwu@example.cn"}
    created = console.post(f"/console/cases/{case_id}/parties", form)
    assert created.status_code == 303  # post/redirect/get
    shown = console.get(created.headers["Location"])
    code = re.search(r'class="code-big">([A-Z0-9-]+)<', shown.get_data(as_text=True)).group(1)
    reloaded = console.get(created.headers["Location"])
    assert reloaded.status_code == 410 and code not in reloaded.get_data(as_text=True)
    assert "只显示一次" in reloaded.get_data(as_text=True)

    again = console.post(f"/console/cases/{case_id}/parties", form)
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "已是本案当事人" in html
    assert 'value="王五"' in html and 'value="13800000003"' in html  # nothing typed is lost
    parties = db.session().scalars(select(Party).where(Party.case_id == case_id)).all()
    assert len(parties) == 1 and parties[0].email == "wangwu@example.cn"


def test_a_party_entered_by_mistake_can_be_removed_until_served(console, client):
    from court.models import Notification, Party

    console.login()
    r = console.post("/console/cases", {"number": "（2026）京0491民初90号", "type": "civil"})
    case_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    console.post(f"/console/cases/{case_id}/parties", {"role": "defendant", "name": "赵六"})
    console.post(f"/console/cases/{case_id}/parties", {"role": "plaintiff", "name": "钱七"})
    s = db.session()
    zhao, qian = s.scalars(select(Party).where(Party.case_id == case_id).order_by(Party.id)).all()
    s.add(Notification(case_id=case_id, party_id=qian.id, channel="sms", address="13800000009",
                       template="document_ready", params={}))
    s.commit()
    page = console.get(f"/console/cases/{case_id}").get_data(as_text=True)
    assert f"/console/parties/{zhao.id}/remove" in page and f"/console/parties/{qian.id}/remove" not in page
    refused = console.post(f"/console/parties/{qian.id}/remove", follow_redirects=True)
    assert "不能删除" in refused.get_data(as_text=True)
    done = console.post(f"/console/parties/{zhao.id}/remove", follow_redirects=True)
    assert "当事人已删除" in done.get_data(as_text=True)
    names = [p.name for p in db.session().scalars(select(Party).where(Party.case_id == case_id))]
    assert names == ["钱七"]
    audit = console.get(f"/console/cases/{case_id}/audit").get_data(as_text=True)
    assert "party.removed" in audit
