"""Court staff: log in, create a case, add a party, upload, start the flow; the party signs for it
on a phone; staff see the step done and the sealed e-service credential in the case."""
from __future__ import annotations

from tests.e2e.conftest import requires
from tests.e2e.helpers import PASSWORD, at, court_with_staff, face_photo, open_sms_link, prove_identity, sign_on_page
from tests.factories import id_number, pdf_bytes

pytestmark = requires("identity.otp", "signing.party", "notify.links")


def test_staff_create_case_to_party_receipt(stack, desktop, phone, shots, tmp_path):
    court_with_staff()
    page = desktop
    page.goto("/console/login")
    shots(page, "console-login")
    page.fill("input[name=username]", "clerk1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(at(r"/console/$"))
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
    page.locator("form:has(#party_action) button").click()
    page.wait_for_load_state()
    shots(page, "console-flow-started")

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
    assert "sealed" in page.inner_text("h1") or "issued" in page.inner_text("main")
