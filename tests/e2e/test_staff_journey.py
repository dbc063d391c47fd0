"""Court staff: log in, create a case, add a party, upload, start the flow; the party signs for it
on a phone; staff see the step done and the sealed e-service credential in the case."""
from __future__ import annotations

import re

from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    PASSWORD,
    at,
    console_login,
    court_with_staff,
    face_photo,
    open_sms_link,
    prove_identity,
    seed_flow,
    sign_on_page,
    wait_for,
)
from tests.support.factories import id_number, pdf_bytes
from tests.support.signing import signature_png

pytestmark = requires("identity.otp", "signing.party", "notify.links")


def _switch_user(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.click("button:has-text('退出')")
    page.wait_for_url(at(r"/console/login"))
    console_login(page, username)


def test_staff_create_case_to_party_receipt(stack, desktop, phone, shots, tmp_path):
    court_with_staff()
    page = desktop
    page.goto("/console/login")
    shots(page, "console-login")
    page.fill("input[name=username]", "clerk1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(at(r"/console/(work)?$"))  # judges and clerks land on the service desk
    page.goto("/console/cases")
    page.fill("input[name=number]", "（2026）京0491民初2048号")
    page.fill("input[name=title]", "网络服务合同纠纷")
    shots(page, "console-new-case")
    page.locator("form:has(input[name=number]) button").click()
    page.wait_for_url(at(r"/console/cases/\d+$"))
    case_url = page.url

    page.select_option("#role", "defendant")
    page.fill("#name", "王五")
    page.fill("#id_number", id_number(seq="789"))
    page.fill("#phone", "13900000009")
    page.locator("form:has(#id_number) button").click()
    page.wait_for_selector(".code-big")
    shots(page, "console-party-code")
    pdf = tmp_path / "judgment.pdf"
    pdf.write_bytes(pdf_bytes(2, "Judgment for the e2e journey"))
    page.goto(case_url)
    page.select_option("#kind", "judgment")
    page.fill("#dtitle", "民事判决书")
    page.set_input_files("#file", str(pdf))
    page.locator("form:has(#file) button").click()
    page.wait_for_url(at(r"/console/documents/\d+$"))
    shots(page, "console-uploaded")
    doc_url = page.url
    page.select_option("#approver_id", label="seal_approver一号")  # a judgment is sealed only after approval
    page.locator("form:has(#party_action) button").click()
    page.wait_for_load_state()
    shots(page, "console-flow-started")
    _switch_user(page, "seal_approver1")
    page.goto(doc_url)
    page.fill("form:has(button:has-text('批准用印')) input[name=password]", PASSWORD)
    page.click("button:has-text('批准用印')")
    page.wait_for_selector("text=已处理")
    shots(page, "console-seal-approved")

    party = phone()
    open_sms_link(party, "13900000009", shots)
    prove_identity(party, "13900000009", face_photo(tmp_path), shots)
    sign_on_page(party, shots)
    party.wait_for_selector("#credential", timeout=90_000)
    shots(party, "party-receipt")

    page.goto(case_url)
    page.wait_for_selector("text=电子送达凭证")
    shots(page, "console-case-with-receipt")
    receipt = page.locator("td.mono", has_text="SD")
    assert receipt.count() == 1  # the service record: date of service, signed-for time, receipt number
    page.click("a:has-text('电子送达凭证')")
    page.wait_for_url(at(r"/console/documents/\d+$"))
    shots(page, "console-credential")
    assert "已盖章" in page.inner_text("h1") and "出具送达凭证" in page.inner_text("main")  # the version says why, in words


def test_presiding_judge_signs_the_transcript_in_the_console(stack, desktop, shots, tmp_path):
    """CPL art. 150: the judge signs first, in the console, with the signature on their profile and
    their password again; the parties' turn comes after."""
    from court.models import StepAction

    court, staff = court_with_staff()
    doc, _parties = seed_flow(court, StepAction.SIGN, kind="transcript", title="庭审笔录", judge=staff["judge"])
    page = desktop
    console_login(page, "judge1")
    sig = tmp_path / "signature.png"
    sig.write_bytes(signature_png())
    page.goto("/console/profile")
    page.set_input_files("#signature", str(sig))
    page.click("button:has-text('保存签名')")
    page.wait_for_selector("#my-signature")
    shots(page, "console-judge-signature")

    def sign_form_ready() -> bool:
        page.goto(f"/console/documents/{doc.id}")
        return page.locator("form[id^=sign-]").count() == 1

    wait_for(sign_form_ready, what="the judge's step to be ready (the seal job ran)")
    form = page.locator("form[id^=sign-]")
    form.locator("input[name=password]").fill(PASSWORD)
    shots(page, "console-judge-signs")
    form.locator("button").click()
    page.wait_for_selector("text=已提交签名")

    def signed() -> bool:
        page.goto(f"/console/documents/{doc.id}")
        return "签名：judge一号" in page.inner_text("main")

    wait_for(signed, what="the judge's signature in a new version")
    shots(page, "console-judge-signed")
    rows = page.locator("table").nth(1).inner_text()
    assert re.search(r"judge一号\s+已完成", rows), rows
