"""Issue 12 items 4–6 on a 375×667 phone in Chromium: every party page readable without zooming
(text ≥ 16 px, buttons ≥ 44 px; in large-text mode ≥ 20 px and ≥ 48 px, remembered across pages),
no English source term on a page rendered in Chinese, the consent summary with two equal choices,
the sign page saying what 签收 means and when service took effect, and a signature pad that fills
the screen in portrait on request and by itself when the phone is turned sideways."""
from __future__ import annotations

import re
from typing import Any

from court.models import ServiceRecord, StepAction
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    at,
    court_with_staff,
    draw_signature,
    enter_sms_code,
    face_photo,
    open_sms_link,
    read,
    seed_flow,
    send_face,
)

pytestmark = requires("identity.otp", "signing.party", "notify.links")

SMALL_PHONE = {"viewport": {"width": 375, "height": 667}}
# ASCII words a Chinese party page may show: the language switch and the file format
ALLOWED_WORDS = {"English", "PDF"}

MEASURE = """(minButton) => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const texts = [], small = [], words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || !visible(el) || el.closest('script, style, noscript')) { continue; }
    const size = parseFloat(getComputedStyle(el).fontSize);
    texts.push(size);
    if (size < minButton.minText) { small.push(el.tagName + '.' + el.className + ' ' + size + 'px: ' + text.slice(0, 30)); }
    if (!el.closest('.mono')) { words.push(text); }  // codes (防伪码, 回执编号) are Latin by design
  }
  const low = [];
  document.querySelectorAll('button, .button, .bar a, summary, input[type=submit]').forEach((el) => {
    if (!visible(el)) { return; }
    const h = el.getBoundingClientRect().height;
    if (h < minButton.minHeight) { low.push(el.tagName + '#' + el.id + ' ' + h.toFixed(1) + 'px: ' + el.innerText.slice(0, 20)); }
  });
  return {count: texts.length, small: small, low: low, text: words.join('\\n')};
}"""


def check_page(page: Any, name: str, *, large: bool) -> None:
    """Text and touch targets big enough, and no English source term, on the page as shown."""
    page.wait_for_load_state("load")  # the stylesheets applied, not the browser's defaults
    found = page.evaluate(MEASURE, {"minText": 20 if large else 16, "minHeight": 48 if large else 44})
    assert found["count"] > 3, f"{name}: nothing measured"
    assert not found["small"], f"{name}: text too small: {found['small']}"
    assert not found["low"], f"{name}: touch targets too small: {found['low']}"
    leaked = set(re.findall(r"[A-Za-z_][A-Za-z_.]{2,}", found["text"])) - ALLOWED_WORDS
    assert not leaked, f"{name}: English source terms on a Chinese page: {leaked}"
    assert "None" not in found["text"] and "<" not in found["text"], name
    body_class = page.get_attribute("body", "class") or ""
    assert ("large-text" in body_class) is large, f"{name}: large-text mode is {'off' if large else 'on'}"


def walk(page: Any, phone_number: str, doc_id: int, photo: Any, shots: Any, *, large: bool) -> None:
    """identity → consent → document → sign → progress → receipt → home → problem, checking each page."""
    mode = "large" if large else "normal"
    open_sms_link(page, phone_number, shots)
    if large:  # the switch, tapped once before anything else, holds for the whole journey
        page.click("#text-size")
        page.wait_for_selector("body.large-text")
        assert at(r"/m/identity")(page.url)
    check_page(page, "identity", large=large)
    shots(page, f"{mode}-identity")
    enter_sms_code(page, phone_number, shots)
    send_face(page, photo)
    page.wait_for_url(at(r"/m/consent/\d+$"), timeout=60_000)
    check_page(page, "consent", large=large)
    shots(page, f"{mode}-consent")
    page.click("#consent-submit")
    page.wait_for_url(at(rf"/m/documents/{doc_id}$"))
    page.wait_for_selector("#pages img")
    check_page(page, "document", large=large)
    shots(page, f"{mode}-document")
    page.click("#go-sign")
    page.wait_for_selector("#pad")
    check_page(page, "sign", large=large)
    shots(page, f"{mode}-sign")
    # the progress page, held still: its status poll is answered with "still working"
    page.route("**/status", lambda route: route.fulfill(json={"status": "running", "done": False, "failed": False}))
    draw_signature(page)
    page.click("#pad-confirm")
    page.wait_for_url(at(r"/progress$"))
    check_page(page, "progress", large=large)
    shots(page, f"{mode}-progress")
    page.unroute("**/status")
    page.wait_for_url(at(r"/receipt$"), timeout=60_000)
    page.wait_for_selector("#credential", timeout=60_000)
    check_page(page, "receipt", large=large)
    shots(page, f"{mode}-receipt")
    page.goto("/m/")
    check_page(page, "home", large=large)
    shots(page, f"{mode}-home")
    page.goto("/m/h/no-such-code")  # a spent QR code: the problem page
    page.wait_for_selector("text=二维码已失效")
    check_page(page, "problem", large=large)
    shots(page, f"{mode}-problem")


def test_party_pages_readable_at_375_in_both_text_sizes(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, (alice, bob) = seed_flow(court, StepAction.RECEIVE, ordered=False)
    photo = face_photo(tmp_path)
    walk(phone(**SMALL_PHONE), "13800000001", doc.id, photo, shots, large=False)
    walk(phone(**SMALL_PHONE), "13800000002", doc.id, photo, shots, large=True)
    signed = read(lambda s: {r.party_id for r in s.query(ServiceRecord).all() if r.signed_at is not None})
    assert signed == {alice.id, bob.id}


def test_consent_summary_sign_explanation_and_the_landscape_pad(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    doc, (alice, _bob) = seed_flow(court, StepAction.RECEIVE, ordered=False)
    page = phone(**SMALL_PHONE)
    open_sms_link(page, "13800000001", shots)
    enter_sms_code(page, "13800000001", shots)
    send_face(page, face_photo(tmp_path))
    page.wait_for_url(at(r"/m/consent/\d+$"), timeout=60_000)

    # the consent page: three plain lines, two equally clear buttons in view, the statute text folded
    shots(page, "consent-summary")
    summary = page.locator("#consent-summary li")
    assert summary.count() == 3 and "撤回" in summary.nth(2).inner_text()
    assert not page.is_visible("text=第九十条")
    agree, decline = page.locator("#consent-submit").bounding_box(), page.locator("#consent-decline").bounding_box()
    assert agree["height"] == decline["height"] and abs(agree["width"] - decline["width"]) < 2
    assert agree["y"] + agree["height"] <= 667, "同意/不同意 are on the first screen"
    page.click("#consent-full summary")
    assert page.is_visible("text=第九十条")
    shots(page, "consent-full-text")
    page.click("#consent-submit")
    page.wait_for_url(at(rf"/m/documents/{doc.id}$"))

    # the sign page: what 签收 means, and when service took effect (she opened the document just now)
    page.click("#go-sign")
    page.wait_for_selector("#pad")
    meaning = page.inner_text("#sign-meaning")
    assert "不表示您同意文书的内容" in meaning and "从送达之日起计算" in meaning
    served = read(lambda s: s.query(ServiceRecord).filter_by(party_id=alice.id, document_id=doc.id).one().effective_at)
    from court.display import local_time

    assert served is not None and page.inner_text("#served-at") == local_time(served)
    assert "早于您签收的时间" in page.inner_text("#service-time")
    shots(page, "sign-explained")

    # portrait, full screen: the whole width and height, 重写 and 确认签名 in view
    page.click("#pad-full")
    pad = page.locator("#pad").bounding_box()
    assert pad["width"] >= 355 and pad["height"] >= 380, pad
    for button in ("#pad-clear", "#pad-confirm"):
        box = page.locator(button).bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 667, button
    draw_signature(page)
    page.screenshot(path=str(shots.dir / "sign-pad-portrait-full-screen.png"))
    page.click("#pad-clear")
    page.click("#pad-confirm")  # nothing written: stopped on the page, told why
    assert page.is_visible("#pad-empty") and at(r"/sign$")(page.url)
    page.click("#pad-full")

    # turned sideways: the pad takes the screen by itself, the buttons stay in view
    page.set_viewport_size({"width": 667, "height": 375})
    page.wait_for_function("document.getElementById('pad').getBoundingClientRect().width > 600")
    pad = page.locator("#pad").bounding_box()
    assert pad["width"] >= 630 and pad["height"] >= 200, pad
    for button in ("#pad-clear", "#pad-confirm"):
        box = page.locator(button).bounding_box()
        assert box["y"] + box["height"] <= 375, button
    draw_signature(page)
    page.screenshot(path=str(shots.dir / "sign-pad-landscape.png"))
    page.set_viewport_size({"width": 375, "height": 667})  # back upright: the ink is kept
    page.click("#pad-confirm")
    page.wait_for_url(at(r"/progress$"))
    page.wait_for_url(at(r"/receipt$"), timeout=60_000)
    page.wait_for_selector("#credential", timeout=60_000)
    assert "不表示同意文书的内容" in page.inner_text("#receipt-meaning")
    shots(page, "receipt")
