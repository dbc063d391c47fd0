"""A party declines the face check; a clerk verifies her ID card in the console; the one-time link on
her phone lets her read and sign, and the e-service credential names "工作人员核验"."""
from __future__ import annotations

from court.models import IdentityCheck, Person, StepAction
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    at,
    console_login,
    court_with_staff,
    enter_sms_code,
    inbox,
    open_sms_link,
    pdf_from,
    read,
    seed_flow,
    sign_on_page,
    wait_for,
)
from tests.support.signing import pdftotext

pytestmark = requires("identity.otp", "signing.party", "notify.links")


def test_declined_face_clerk_verifies_party_signs(stack, phone, desktop, shots):
    court, _staff = court_with_staff()
    doc, (alice, _bob) = seed_flow(court, StepAction.RECEIVE, ordered=False)

    party = phone()
    open_sms_link(party, "13800000001", shots)
    enter_sms_code(party, "13800000001", shots)
    party.wait_for_selector("#face-notice")
    assert "立即删除" in party.inner_text("#face-notice")
    assert party.locator("#photo").count() == 0  # no camera or upload before consent
    shots(party, "face-notice")
    party.click("#face-refuse")
    party.wait_for_url(at(r"/m/identity/other$"))
    assert "工作人员核验" in party.inner_text("#route-staff")
    shots(party, "identity-alternatives")

    console = desktop
    console_login(console, "clerk1")
    console.goto(f"/console/cases/{doc.case_id}")
    console.click(f"#verify-party-{alice.id}")
    console.wait_for_selector("#verify-party-form")
    console.check("input[name=mode][value=video]")
    console.check("#id-card-checked")
    shots(console, "console-verify-party")
    console.click("#verify-submit")
    console.wait_for_url(at(r"/console/cases/\d+$"))
    assert "已记录身份核验（clerk一号）" in console.inner_text("main")
    shots(console, "console-verified")

    wait_for(lambda: "工作人员已核验您的身份" in inbox(party, "13800000001"), what="the one-time link SMS")
    shots(party, "sms-one-time-link")
    message = party.locator(".card", has_text="工作人员已核验").first
    message.locator("a[href*='/s/']").first.click()
    party.wait_for_url(at(r"/m/consent/\d+$"))
    party.click("#consent-submit")
    party.goto(f"/m/documents/{doc.id}")
    sign_on_page(party, shots)
    party.wait_for_selector("#credential", timeout=90_000)
    shots(party, "receipt-after-staff-verification")
    with party.expect_download() as dl:
        party.click("#credential")
    text = pdftotext(pdf_from(dl.value))
    assert "工作人员核验" in text and "clerk一号" in text

    person_id = read(lambda s: s.get(type(alice), alice.id).person_id)
    assert read(lambda s: s.get(Person, person_id).face_checked_at) is None  # no face processed at all
    methods = read(lambda s: [c.method for c in s.query(IdentityCheck).filter_by(person_id=person_id)])
    assert methods == ["staff"]
