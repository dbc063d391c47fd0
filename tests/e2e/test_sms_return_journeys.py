"""Issue 12, items 1, 3 and 8 in a phone browser: a slow, unsure party gets through the SMS-code
step; a returning party re-reads and downloads without a face check (and is asked for one before
signing something new); back and reload on each identity step show the server's state."""
from __future__ import annotations

from sqlalchemy import select

from court import db
from court.models import Document, IdentityCheck, Party, Staff, StaffRole, StepAction
from court.services import documents, flow_seal, flow_steps, flows
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    CODE,
    PASSWORD,
    at,
    court_with_staff,
    enter_sms_code,
    face_photo,
    inbox,
    open_sms_link,
    pdf_from,
    prove_identity,
    read,
    seed_flow,
    sign_on_page,
    wait_for,
)
from tests.support.factories import pdf_bytes

pytestmark = requires("identity.otp", "signing.party", "notify.links")

PHONE_NO = "13800000001"


def _latest_code(page) -> str:  # type: ignore[no-untyped-def]
    sms = page.context.new_page()
    code = wait_for(lambda: CODE.search(inbox(sms, PHONE_NO)), what="the SMS code").group(1)
    sms.close()
    return code


def _a_minute_later() -> None:
    """The one-code-a-minute window to her number ends (scripted visits are faster than people)."""
    from court import ratelimit
    from identity import otp, phones

    ratelimit.reset(otp.SEND_SCOPE, phones.subject(PHONE_NO), otp.SEND_LIMITS[-1][0])


def _wrong(code: str, n: int) -> str:
    return f"{(int(code) + n) % 1000000:06d}"


def test_a_party_who_mistypes_her_code_three_times_still_gets_through(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    seed_flow(court, StepAction.RECEIVE, ordered=False)
    page = phone()
    open_sms_link(page, PHONE_NO, shots)
    shots(page, "identity")
    page.click("#send-code")
    page.wait_for_selector(".flash")
    # the button counts down from the server's wait (once the page's script has run), and the
    # page states the time in words
    page.wait_for_function("document.getElementById('send-code').textContent.includes('秒后可重新获取')")
    assert page.is_disabled("#send-code")
    assert "后重新获取验证码" in page.inner_text("#send-wait")
    shots(page, "code-sent-countdown")
    code = _latest_code(page)
    for n, left in ((1, 4), (2, 3), (3, 2)):
        page.fill("#code", _wrong(code, n))
        page.click("#verify-code")
        page.wait_for_selector(".flash")
        assert f"验证码不正确，还可以再试{left}次" in page.inner_text("main")
        shots(page, f"wrong-code-{n}")
    page.fill("#code", code)
    page.click("#verify-code")
    page.wait_for_url(at(r"/m/face"))
    shots(page, "through-to-face")
    page.wait_for_selector("#face-notice")


def _add_document_to_sign(doc_id: int, party_id: int) -> int:
    """The court serves a second document on the same party, to be signed."""
    s = db.session()
    first = s.get(Document, doc_id)
    doc = documents.upload(s, first.case, documents.parse_kind("ruling"), "民事裁定书", pdf_bytes(1, "Ruling"),
                           filename="ruling.pdf", max_bytes=5 * 1024 * 1024)
    steps = [flows.StepInput(StepAction.SEAL), flows.StepInput(StepAction.RECEIVE, party_id=party_id)]
    approver = None
    if doc.kind in flow_seal.approval_kinds(first.case.court):  # the seal keeper approves first (court rule)
        approver = s.scalar(select(Staff).where(Staff.court_id == first.case.court_id,
                                                Staff.role == StaffRole.SEAL_APPROVER))
        steps.insert(0, flows.StepInput(StepAction.APPROVE, staff_id=approver.id))
    flow = flows.start_flow(s, doc, steps)
    if approver is not None:
        flow_steps.approve_seal(s, flow.steps[0], approver, password=PASSWORD)
    s.commit()
    new_id = doc.id
    db.session.remove()
    return new_id


def test_a_returning_party_downloads_without_a_face_check(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, (alice, _bob) = seed_flow(court, StepAction.RECEIVE, ordered=False)
    first = phone()
    open_sms_link(first, PHONE_NO, shots)
    prove_identity(first, PHONE_NO, face_photo(tmp_path), shots)
    sign_on_page(first, shots)
    first.wait_for_selector("#credential", timeout=60_000)
    shots(first, "signed-receipt")
    person_id = read(lambda s: s.get(Party, alice.id).person_id)
    checks = read(lambda s: s.query(IdentityCheck).filter_by(person_id=person_id).count())

    # days later, on a new phone browser, she opens the same SMS link only to download again
    back = phone()
    _a_minute_later()
    open_sms_link(back, PHONE_NO, shots)
    back.click("#send-code")
    back.wait_for_selector(".flash")
    back.fill("#code", _latest_code(back))
    back.click("#verify-code")
    back.wait_for_url(at(rf"/m/documents/{doc.id}$"))  # no face page
    shots(back, "returned-document")
    with back.expect_download() as dl:
        back.click("#download")
    assert pdf_from(dl.value).startswith(b"%PDF-")
    assert read(lambda s: s.query(IdentityCheck).filter_by(person_id=person_id).count()) == checks

    # the court serves something new: she may read what reached her phone, but signing for it
    # needs a face check in this browser (Online Litigation Rules art. 7)
    new_id = _add_document_to_sign(doc.id, alice.id)
    wait_for(lambda: back.goto("/m/") and "民事裁定书" in back.inner_text("main"), what="the new document")
    shots(back, "home-with-new-document")
    back.click("text=民事裁定书")
    back.wait_for_url(at(rf"/m/documents/{new_id}$"))
    back.click("#go-sign")
    back.wait_for_url(at(r"/m/face"))
    back.wait_for_selector("#face-notice")
    shots(back, "face-asked-before-signing")
    assert f"/m/documents/{new_id}/sign" in back.url


def test_back_and_reload_on_each_step(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, _parties = seed_flow(court, StepAction.RECEIVE, ordered=False)
    page = phone()
    open_sms_link(page, PHONE_NO, shots)
    enter_sms_code(page, PHONE_NO, shots)  # ends on the face notice
    page.wait_for_selector("#face-notice")

    page.go_back()  # from the face notice to the SMS step: shown done, not asking again
    page.wait_for_selector("#sms-done")
    assert "短信验证" in page.inner_text(".steps li.done")
    shots(page, "back-to-sms-step-done")
    page.reload()
    page.wait_for_selector("#sms-done")
    page.click("#sms-continue")
    page.wait_for_url(at(r"/m/face"))
    page.wait_for_selector("#face-notice")
    page.reload()
    page.wait_for_selector("#face-notice")
    page.click("#face-agree")
    page.wait_for_selector("#photo", state="attached")
    page.reload()  # the answer is kept on the server: still the photo step
    page.wait_for_selector("#photo", state="attached")
    shots(page, "face-after-reload")
    page.set_input_files("#photo", str(face_photo(tmp_path)))
    page.click("#face-submit")
    page.wait_for_url(at(r"/m/consent/"), timeout=60_000)
    shots(page, "consent")

    page.evaluate("document.getElementById('consent-form').submit()")  # sent with no answer chosen
    page.wait_for_selector(".flash")
    assert "请选择同意或不同意电子送达" in page.inner_text("main")
    shots(page, "consent-failed")
    page.reload()  # no form-resubmission prompt: the failed answer was a redirect
    page.wait_for_selector("#consent-submit")
    page.go_back()  # back from the consent page: the face step is done, so on to consent again
    page.wait_for_url(at(r"/m/(consent|face)"))
    page.wait_for_selector("#consent-submit")
    shots(page, "back-from-consent")
    assert "ERR_CACHE_MISS" not in page.content()
    page.click("#consent-submit")
    page.wait_for_url(at(rf"/m/documents/{doc.id}$"))
    page.reload()
    page.wait_for_selector("#download")
    page.go_back()
    page.wait_for_url(at(r"/m/(consent|documents)/"))
    shots(page, "back-from-document")
    assert "ERR_CACHE_MISS" not in page.content()
    page.goto(f"/m/documents/{doc.id}")  # reopening the page: straight in
    page.wait_for_selector("#download")
    shots(page, "reopened")
