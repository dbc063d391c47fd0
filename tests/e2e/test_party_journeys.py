"""Parties in a phone browser: SMS link → identity → review → sign → receipt; a transcript with two
signers and a refusal; carrying on from a desktop by QR code."""
from __future__ import annotations

from court.models import FlowStep, ServiceRecord, StepAction, StepStatus
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    at,
    court_with_staff,
    face_photo,
    open_sms_link,
    pdf_from,
    prove_identity,
    read,
    seed_flow,
    sign_on_page,
    verify_pdf,
)

pytestmark = requires("identity.otp", "signing.party", "notify.links")


def test_sms_link_identity_review_sign_receipt(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, (alice, _bob) = seed_flow(court, StepAction.RECEIVE, ordered=False)
    page = phone()
    open_sms_link(page, "13800000001", shots)
    prove_identity(page, "13800000001", face_photo(tmp_path), shots)

    # review: every page rendered, zoomable, downloadable
    page.wait_for_selector("#pages img")
    for img in page.locator("#pages img").all():
        img.scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    shots(page, "review")
    page.click("[data-zoom='1']")
    shots(page, "review-zoomed")
    with page.expect_download() as dl:
        page.click("#download")
    assert pdf_from(dl.value).startswith(b"%PDF-")

    sign_on_page(page, shots)
    page.wait_for_url(at(r"/receipt$"), timeout=60_000)
    shots(page, "receipt-preparing")
    page.wait_for_selector("#credential", timeout=60_000)
    number = page.inner_text("#receipt-number")
    shots(page, "receipt")
    with page.expect_download() as dl:
        page.click("#credential")
    credential = pdf_from(dl.value)
    assert credential.startswith(b"%PDF-")

    assert verify_pdf(credential).ok
    rec = read(lambda s: s.query(ServiceRecord).filter_by(party_id=alice.id, document_id=doc.id).one())
    assert rec.receipt_number == number and rec.signed_at is not None


def test_transcript_two_signers_and_a_refusal(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, (alice, bob) = seed_flow(court, StepAction.SIGN, kind="transcript", title="庭审笔录", ordered=True)
    photo = face_photo(tmp_path)

    first = phone()
    open_sms_link(first, "13800000001", shots)
    prove_identity(first, "13800000001", photo, shots)
    first.click("#go-sign")
    first.wait_for_selector("#pad")
    shots(first, "transcript-order")
    first.click("#refuse-box summary")
    first.fill("#reason", "笔录第二页记录的陈述与我的发言不符")
    shots(first, "refusal-reason")
    first.click("#refuse-submit")
    first.wait_for_selector(".flash")
    shots(first, "refused")
    assert "笔录第二页记录的陈述与我的发言不符" in first.inner_text("main")

    second = phone()
    open_sms_link(second, "13800000002", shots)
    prove_identity(second, "13800000002", photo, shots)
    assert "拒签" in second.inner_text(".order")
    sign_on_page(second, shots)
    second.wait_for_url(at(rf"/m/documents/{doc.id}$"), timeout=60_000)
    shots(second, "transcript-signed")
    order = second.inner_text(".order")
    assert "拒签" in order and "已签" in order
    states = read(lambda s: {st.party_id: st.status for st in s.query(FlowStep).all() if st.party_id})
    assert states == {alice.id: StepStatus.REFUSED, bob.id: StepStatus.DONE}


def test_desktop_hands_over_to_phone_by_qr(stack, phone, desktop, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, _parties = seed_flow(court, StepAction.RECEIVE, ordered=False)
    open_sms_link(desktop, "13800000001", shots)
    prove_identity(desktop, "13800000001", face_photo(tmp_path), shots)
    desktop.goto(f"/m/documents/{doc.id}/handoff")
    shots(desktop, "handoff-qr")
    url = desktop.get_attribute("#handoff-qr", "data-url")
    assert url and "/m/h/" in url
    mobile = phone()
    mobile.goto(url)
    mobile.wait_for_url(at(r"/m/face"))
    shots(mobile, "phone-after-scan")
