"""Two console journeys in a real browser (#12 items 14, 15): a clerk picks the hearing time,
previews the notice as parties will get it, confirms and sees who got it on which channel; a
seal approver reads the judgment's pages on the page and approves from beside them."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from court import db
from court.display import CHINA
from court.models import Document, DocumentKind, DocumentStatus, NoticePush, PartyRole, StepAction
from court.services import cases, consent, documents, flows
from tests.e2e.helpers import (
    PASSWORD,
    at,
    console_login,
    court_with_staff,
    read,
    wait_for,
)
from tests.support.factories import id_number, pdf_bytes

pytestmark = pytest.mark.e2e


def _case_with_parties(court) -> int:  # type: ignore[no-untyped-def]
    s = db.session()
    case = cases.create_case(s, court, "（2026）京0491民初4096号", "civil", "房屋租赁合同纠纷")
    added = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(seq="511"), "13800000051"),
        cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(seq="522"), "13800000052"),
        cases.PartyInput(PartyRole.THIRD_PARTY, "王五", id_number(seq="533"), None)])
    for party, _code in added[:2]:  # consent on paper, entered by the clerk
        consent.give(s, None, case, channels=["sms"], address={"sms": party.phone}, method="staff", party=party,
                     recorded_by="staff:1")
    s.commit()
    case_id = case.id
    db.session.remove()
    return case_id


def test_the_push_preview(stack, desktop, shots):
    court, _members = court_with_staff()
    case_id = _case_with_parties(court)
    page = desktop
    console_login(page, "clerk1")
    page.goto(f"/console/notices/new?case_ids={case_id}")
    when = (datetime.now(CHINA) + timedelta(days=5)).replace(hour=9, minute=30)
    assert page.get_attribute("#f-hearing_notice-time", "type") == "datetime-local"
    page.fill("#f-hearing_notice-time", (datetime.now(CHINA) - timedelta(days=1)).strftime("%Y-%m-%dT09:30"))
    page.fill("#f-hearing_notice-place", "第三法庭")
    page.eval_on_selector("form:has(#template)", "f => f.noValidate = true")  # past the picker's own min, as a stale tab would
    page.click("button:has-text('预览')")
    page.wait_for_selector("text=开庭时间不能早于当前时间")
    shots(page, "past-time-refused")
    page.fill("#f-hearing_notice-time", when.strftime("%Y-%m-%dT%H:%M"))
    shots(page, "push-form")
    page.click("button:has-text('预览')")
    page.wait_for_url(at(r"/console/notices/preview/"))
    stamp = f"{when.year}年{when.month}月{when.day}日 09:30"
    bubble = page.inner_text(".bubble")
    assert bubble == (f"【法院电子送达】北京互联网法院：您的案件（2026）京0491民初4096号定于{stamp}在第三法庭开庭审理，"
                      "请准时到庭。")
    assert "开庭地点" in page.inner_text("#wechat-preview")
    assert "不会发送" in page.inner_text("#preview-recipients tr:has-text('王五')")
    shots(page, "push-preview")
    page.click("#confirm")
    page.wait_for_url(at(r"/console/notices/\d+$"))
    page.wait_for_selector("#p-status:has-text('已全部处理')", timeout=60_000)
    page.wait_for_selector("#recipients tr:has-text('张三')")
    rows = {name: page.inner_text(f"#recipients tr:has-text('{name}')") for name in ("张三", "李四", "王五")}
    assert "短信" in rows["张三"] and "138****0051" in rows["张三"] and re.search("已发送|已送达", rows["张三"])
    assert "当事人未登记手机号码" in rows["王五"] and "no_address" not in rows["王五"]
    shots(page, "push-recipients")
    page.go_back()  # the preview again: confirming twice sends nothing more
    page.wait_for_url(at(r"/console/notices/"))
    assert read(lambda s: s.scalar(select(func.count()).select_from(NoticePush))) == 1


def test_a_seal_approver_previews_then_approves(stack, desktop, shots):
    court, members = court_with_staff()
    s = db.session()
    case = cases.create_case(s, court, "（2026）京0491民初8192号", "civil", "借款合同纠纷")
    doc = documents.upload(s, case, DocumentKind.JUDGMENT, "民事判决书", pdf_bytes(3, "Judgment to approve"),
                           filename="judgment.pdf", max_bytes=5 * 1024 * 1024)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.APPROVE, staff_id=members["seal_approver"].id),
                              flows.StepInput(StepAction.SEAL)])
    s.commit()
    doc_id = doc.id
    db.session.remove()

    page = desktop
    console_login(page, "seal_approver1")
    page.goto(f"/console/documents/{doc_id}")
    box = page.locator(".approve-box")
    assert "待您审批用印" in box.inner_text() and "共 3 页" in box.inner_text()
    images = page.locator("#preview img")
    assert images.count() == 3
    for i in range(3):
        images.nth(i).scroll_into_view_if_needed()
        wait_for(lambda i=i: images.nth(i).evaluate("img => img.complete && img.naturalWidth > 500"),
                 what=f"page {i + 1} drawn")
    page.locator(".approve-box").scroll_into_view_if_needed()
    shots(page, "approver-reads-the-pages")
    page.set_viewport_size({"width": 390, "height": 844})  # the same page on a phone
    shots(page, "approver-on-a-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill(".approve-box input[name=password]", PASSWORD)
    page.click(".approve-box button:has-text('批准用印')")
    page.wait_for_selector("text=已处理")
    wait_for(lambda: read(lambda s: s.get(Document, doc_id).status) in (DocumentStatus.SEALED, DocumentStatus.COMPLETED),
             what="the seal job")
    page.reload()
    assert "待您审批用印" not in page.content()
    shots(page, "approved-and-sealed")

