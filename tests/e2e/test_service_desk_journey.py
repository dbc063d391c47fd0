"""A clerk's morning at the 送达工作台: log in, filter to "awaiting signature", select several
rows and send reminders (a report per row), then cancel a flow served in error; the party who
taps the old SMS link is told the service was cancelled."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from court import db
from court.models import DevMessage, DocumentKind, FlowStatus, PartyRole, SigningFlow, StepAction
from court.services import cases, documents, flows
from tests.e2e.conftest import requires
from tests.e2e.helpers import at, console_login, court_with_staff, inbox, read, wait_for
from tests.notify.conftest import bulk_consent
from tests.support.factories import pdf_bytes

pytestmark = requires("notify.links")
LINK = re.compile(r"/s/[A-Za-z0-9_-]{20,}")


def _serve(court, number: str, title: str, names: list[str], first_phone: int) -> int:  # type: ignore[no-untyped-def]
    s = db.session()
    case = cases.create_case(s, court, number, "civil", "买卖合同纠纷")
    added = cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name=name,
                                                         phone=f"1390000{first_phone + i:04d}")
                                        for i, name in enumerate(names)])
    s.commit()
    bulk_consent(case.id)
    s = db.session()
    doc = documents.upload(s, s.get(type(case), case.id), DocumentKind.SUBPOENA, title, pdf_bytes(1, "Subpoena"),
                           filename="subpoena.pdf", max_bytes=5 * 1024 * 1024)
    flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL)] + [
        flows.StepInput(StepAction.RECEIVE, party_id=p.id) for p, _code in added], ordered=False)
    s.commit()
    flow_id = flow.id
    db.session.remove()
    return flow_id


def _messages() -> int:
    return read(lambda s: s.scalar(select(func.count(DevMessage.id))))


def test_clerk_filters_reminds_several_and_cancels_one(stack, desktop, phone, shots):
    court, _members = court_with_staff()
    _serve(court, "（2026）京0491民初3001号", "传票（第一次开庭）", ["赵一", "钱二", "孙三", "李四"], 1)
    wrong = _serve(court, "（2026）京0491民初3002号", "传票（误发）", ["周五"], 9)
    wait_for(lambda: _messages() >= 5, what="the first SMS to all five parties")
    sent_before = _messages()

    page = desktop
    console_login(page, "clerk1")
    assert urlsplit(page.url).path == "/console/work"  # the clerk's start page
    assert "送达工作台" in page.inner_text("h1")
    shots(page, "service-desk")

    page.select_option("#kind", "awaiting")
    page.click("#worklist-filters button")
    page.wait_for_url(lambda url: "kind=awaiting" in url)
    rows = page.locator("#worklist-table tr[data-key^='step:']")
    assert rows.count() == 5
    shots(page, "awaiting-signature")

    for name in ("赵一", "钱二", "孙三"):
        page.locator("#worklist-table tr", has_text=name).locator("input[name=step_id]").check()
    page.select_option("#bulk-action", "remind")
    page.click("#bulk-submit")
    page.wait_for_selector("#bulk-rows")
    assert page.locator("#bulk-rows li").count() == 3
    shots(page, "confirm-reminders")
    page.click("#confirm")
    page.wait_for_url(at(r"/console/work/done/"))
    assert "成功3项，未处理0项" in page.inner_text("#bulk-summary")
    shots(page, "reminders-sent")
    wait_for(lambda: _messages() >= sent_before + 3, what="three reminders on the development phone")

    page.click("text=返回送达工作台")
    page.wait_for_url(lambda url: "kind=awaiting" in url)  # back to the list as it was filtered
    page.locator("#worklist-table tr", has_text="周五").locator("a", has_text="取消流程").click()
    page.wait_for_url(at(rf"/console/work/flows/{wrong}/cancel$"))
    page.fill("#reason", "传票误发给非本案当事人")
    shots(page, "confirm-cancel")
    page.click("#confirm")
    page.wait_for_url(at(r"/console/work$"))
    assert "已取消《传票（误发）》的签署流程" in page.inner_text(".flash")
    assert page.locator("#worklist-table tr", has_text="周五").count() == 0
    shots(page, "flow-cancelled")
    assert read(lambda s: s.get(SigningFlow, wrong).status) is FlowStatus.CANCELLED

    party = phone()
    text = wait_for(lambda: LINK.search(inbox(party, "13900000009")) and inbox(party, "13900000009"),
                    what="the SMS the wrongly served party got")
    party.goto(LINK.search(text).group(0))
    assert "送达已取消" in party.inner_text("body")
    shots(party, "party-sees-cancelled")
