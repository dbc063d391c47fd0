"""A clerk's other service, in the browser: the party who declined e-service on the phone is
served by post (the console shows the flag, the clerk records the EMS number and the scanned
return card, the flag clears and the case page shows the legal date and method); and subpoenas
for every party of a case are generated from a template, sealed and served."""
from __future__ import annotations

import re

from court.models import Case, Document, DocumentKind, Notification, PartyRole
from court.services import cases
from court.services import other_service as other_rules
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    LINK,
    at,
    console_login,
    court_with_staff,
    inbox,
    party_declines,
    read,
    wait_for,
)
from tests.support.factories import id_number, pdf_bytes
from tests.support.signing import assert_pdfsig_valid, pdftotext

pytestmark = requires("identity.otp", "signing.party", "notify.links")


def test_clerk_records_postal_service_for_a_party_who_declined(stack, phone, desktop, shots, tmp_path):
    doc, parties, _page = party_declines(phone, shots, tmp_path, "请邮寄到我家")

    console = desktop
    console_login(console, "clerk1")
    console.goto("/console/")  # a clerk lands on the service desk; the cases needing attention are on the overview
    assert "张三" in console.inner_text(".alert") and "不同意电子送达" in console.inner_text(".alert")
    shots(console, "console-flagged")
    console.click(".alert a")
    console.wait_for_url(at(r"/console/cases/\d+$"))
    case_url = console.url
    console.click(f"#other-service-{parties[0].id}")
    console.wait_for_url(at(r"/console/parties/\d+/other-service$"))
    shots(console, "other-service-form")

    today = other_rules.today().isoformat()
    card = tmp_path / "return-card.pdf"
    card.write_bytes(pdf_bytes(1, "Return card signed by Zhang San"))
    console.select_option("#os-doc", str(doc.id))
    console.select_option("#os-method", "postal")
    console.fill("#os-tracking", "EA123456784CN")  # one digit off: the check digit is wrong
    console.fill("#os-posted", today)
    console.fill("#os-received", today)
    console.set_input_files("#os-card", str(card))
    console.click("#other-service-submit")
    console.wait_for_selector(".flash.error, .error")
    assert "校验位不符" in console.inner_text("main")
    assert console.input_value("#os-tracking") == "EA123456784CN"  # what was typed is kept
    shots(console, "other-service-refused")
    console.fill("#os-tracking", "EA123456785CN")
    console.set_input_files("#os-card", str(card))  # a file input is never refilled by a browser
    console.click("#other-service-submit")
    console.wait_for_url(case_url)
    main = console.inner_text("main")
    assert f"已录入张三的邮寄送达，送达日期为{today}" in main
    assert "张三：当事人不同意电子送达" not in main  # the flag is cleared
    row = console.locator("tr", has_text="邮寄送达，EMS EA123456785CN")
    assert row.count() == 1 and today in row.inner_text() and "邮寄送达" in row.inner_text()
    shots(console, "case-served-by-post")
    console.goto("/console/")
    assert console.locator(".alert", has_text="张三").count() == 0
    shots(console, "console-no-longer-flagged")


def test_clerk_generates_subpoenas_for_every_party_from_a_template_and_serves_them(stack, desktop, shots, tmp_path):
    court, _staff = court_with_staff()

    def seed(s):  # type: ignore[no-untyped-def]
        case = cases.create_case(s, s.merge(court), "（2026）京0491民初4096号", "civil", "买卖合同纠纷")
        cases.add_parties(s, case, [
            cases.PartyInput(role=PartyRole.PLAINTIFF, name="孙七", id_number=id_number(seq="321"), phone="13800000011"),
            cases.PartyInput(role=PartyRole.DEFENDANT, name="周八", id_number=id_number(seq="654"), phone="13800000012"),
        ])
        s.commit()
        return case.id

    case_id = read(seed)
    page = desktop
    console_login(page, "clerk1")
    page.goto(f"/console/cases/{case_id}")
    page.select_option("#gtemplate", label="传票")
    page.fill("#ghearing", "2030-12-15T09:30")
    page.fill("#gplace", "第三法庭")
    page.fill("#gjudge", "吴法官")
    assert page.locator("input[name=party_ids]:checked").count() == 2  # every party, by default
    shots(page, "generate-subpoenas")
    page.locator("form:has(#gtemplate) button:has-text('生成')").click()
    page.wait_for_selector("text=已生成2份文书")
    shots(page, "subpoenas-generated")

    def sealed() -> list[tuple[int, int]]:
        def q(s):  # type: ignore[no-untyped-def]
            docs = s.query(Document).filter_by(case_id=case_id, kind=DocumentKind.SUBPOENA).all()
            return [(d.id, d.current.number) for d in docs if len(d.versions) >= 2]
        got = read(q)
        return got if len(got) == 2 else []

    versions = wait_for(sealed, timeout=120, what="both subpoenas sealed")
    texts = []
    for doc_id, number in versions:
        r = page.request.get(f"/console/documents/{doc_id}/versions/{number}")
        assert r.status == 200 and r.headers["content-type"].startswith("application/pdf")
        assert_pdfsig_valid(r.body(), 1)  # the court's seal, intact
        texts.append(pdftotext(r.body()))
    joined = "\n".join(texts)
    assert sorted(n for t in texts for n in ("孙七", "周八") if n in t) == ["周八", "孙七"], joined  # one each
    assert all("第三法庭" in t and "2030年12月15日" in t and re.search(r"0?9[:：]30", t) for t in texts), joined
    # served: each party's phone gets a link to its own subpoena
    for number in ("13800000011", "13800000012"):
        wait_for(lambda n=number: LINK.search(inbox(page, n)), what=f"the SMS to {number}")
    shots(page, "sms-to-the-second-party")
    sent = read(lambda s: {n.party_id for n in s.query(Notification).filter_by(case_id=case_id)})
    assert len(sent) == 2
    page.goto(f"/console/cases/{case_id}")
    shots(page, "case-with-subpoenas")
    assert read(lambda s: s.get(Case, case_id).needs_attention) is None
