"""A party declines electronic service on the phone: nothing can be read, and the clerk's console
shows the case flagged for another method of service, with the reason."""
from __future__ import annotations

from urllib.parse import urlsplit

from court.models import StepAction
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    PASSWORD,
    at,
    court_with_staff,
    decline_service,
    face_photo,
    seed_flow,
    to_consent_page,
)

pytestmark = requires("identity.otp", "signing.party", "notify.links")


def test_party_declines_and_the_console_shows_the_case_flagged(stack, phone, desktop, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, _parties = seed_flow(court, StepAction.RECEIVE, ordered=False)
    page = phone()
    to_consent_page(page, "13800000001", face_photo(tmp_path), shots)
    assert page.is_visible("#consent-submit") and page.is_visible("#consent-decline")
    decline_service(page, "我没有智能手机，请邮寄")
    shots(page, "declined")
    # nothing can be read: the document page leads back to the consent page
    page.goto(f"/m/documents/{doc.id}")
    assert "/m/consent/" in urlsplit(page.url).path
    assert page.request.get(f"/m/documents/{doc.id}/file.pdf").status == 403

    console = desktop
    console.goto("/console/login")
    console.fill("input[name=username]", "clerk1")
    console.fill("input[name=password]", PASSWORD)
    console.click("button:has-text('登录')")
    console.wait_for_url(at(r"/console/work$"))  # a clerk's start page: the service desk
    assert "张三" in console.inner_text("#worklist-table")
    console.goto("/console/")
    alert = console.inner_text(".alert")
    assert "张三" in alert and "不同意电子送达" in alert
    shots(console, "console-flagged")
    console.click(".alert a")
    console.wait_for_url(at(r"/console/cases/\d+$"))
    assert "不同意" in console.inner_text("table")
    shots(console, "console-case-flagged")
