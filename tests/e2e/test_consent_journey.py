"""A party declines electronic service on the phone: nothing can be read, and the clerk's console
shows the case flagged for another method of service, with the reason."""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    at,
    console_login,
    party_declines,
)

pytestmark = requires("identity.otp", "signing.party", "notify.links")


def test_party_declines_and_the_console_shows_the_case_flagged(stack, phone, desktop, shots, tmp_path):
    doc, _parties, page = party_declines(phone, shots, tmp_path, "我没有智能手机，请邮寄")
    # nothing can be read: the document page leads back to the consent page
    page.goto(f"/m/documents/{doc.id}")
    assert "/m/consent/" in urlsplit(page.url).path
    assert page.request.get(f"/m/documents/{doc.id}/file.pdf").status == 403

    console = desktop
    console_login(console, "clerk1")
    assert urlsplit(console.url).path == "/console/work"  # a clerk's start page: the service desk
    assert "张三" in console.inner_text("#worklist-table")
    console.goto("/console/")
    alert = console.inner_text(".alert")
    assert "张三" in alert and "不同意电子送达" in alert
    shots(console, "console-flagged")
    console.click(".alert a")
    console.wait_for_url(at(r"/console/cases/\d+$"))
    assert "不同意" in console.inner_text("table")
    shots(console, "console-case-flagged")
