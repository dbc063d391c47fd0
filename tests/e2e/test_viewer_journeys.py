"""What a phone shows of a sealed document: the party's review pages carry the court's seal as the
PDF does, sharp at the phone's pixel ratio and sharper when zoomed; a member of the public with a
printed copy checks it by code and compares it with the archived pages."""
from __future__ import annotations

from court.models import Document, StepAction
from court.services import documents
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    at,
    court_with_staff,
    face_photo,
    open_sms_link,
    prove_identity,
    read,
    seed_flow,
    verify_upload,
    wait_for,
)

#: counts the seal's red pixels of the render an <img> shows, at its own pixel size (same origin,
#: so the canvas is readable; a srcset image's naturalWidth is in CSS pixels, so load it afresh)
RED_PIXELS = """async (img) => {
  const im = new Image(); im.src = img.currentSrc; await im.decode();
  const c = document.createElement('canvas');
  c.width = im.naturalWidth; c.height = im.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(im, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) { if (d[i] > 170 && d[i + 1] < 100 && d[i + 2] < 100) n++; }
  return n;
}"""
LOADED = "(img) => img.complete && img.naturalWidth > 0"
#: the pixel width of the render the browser chose from the srcset
RENDER_WIDTH = "(img) => Number(new URL(img.currentSrc).searchParams.get('w') || 1080)"


def _sealed(court, action=StepAction.RECEIVE):  # type: ignore[no-untyped-def]
    doc, parties = seed_flow(court, action, ordered=False)
    code, original = wait_for(lambda: read(lambda s: (d := s.get(Document, doc.id)).verify_code and (
        d.verify_code, documents.read_version(d.versions[0]))), what="the seal")
    return doc, parties, code, original


def _loaded(page, img):  # type: ignore[no-untyped-def]
    img.scroll_into_view_if_needed()
    page.wait_for_function(LOADED, arg=img.element_handle())
    return img


@requires("identity.otp", "signing.party", "notify.links")
def test_the_phone_viewer_shows_the_seal(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    _doc, _parties, _code, _original = _sealed(court)
    page = phone()
    open_sms_link(page, "13800000001", shots)
    prove_identity(page, "13800000001", face_photo(tmp_path), shots)

    page.wait_for_selector("#pages img")
    first, last = page.locator("#pages img").first, page.locator("#pages img").last
    _loaded(page, first)
    shots(page, "review-first-page")
    # sharp on this phone: 390 CSS px at 2x needs 780 device pixels, the browser took a wider render
    assert page.evaluate(RENDER_WIDTH, first.element_handle()) >= 780
    _loaded(page, last)
    last.screenshot(path=str(shots.dir / "seal-on-last-page.png"))
    shots(page, "review-last-page")
    assert page.evaluate(RED_PIXELS, last.element_handle()) > 2000, "the court's seal is drawn on the last page"
    assert page.evaluate(RED_PIXELS, first.element_handle()) == 0

    before = page.evaluate(RENDER_WIDTH, last.element_handle())
    page.click("[data-zoom='1']")
    page.click("[data-zoom='1']")  # 200 %: the browser asks for a wider render, not a stretched bitmap
    page.wait_for_function(f"(img) => img.complete && ({RENDER_WIDTH})(img) > {before}", arg=last.element_handle())
    _loaded(page, last)
    shots(page, "review-zoomed")
    assert page.evaluate(RENDER_WIDTH, last.element_handle()) >= 2 * 780


@requires("signing.codes")
def test_a_member_of_the_public_checks_a_printed_copy_by_code_and_sees_previews(stack, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    _doc, _parties, code, original = _sealed(court)
    page = phone()
    page.goto("/verify")
    page.fill("#code", code.lower())
    page.click("#verify-code")
    page.wait_for_url(at(r"/verify/[0-9A-Z-]{19}$"))
    sealed_url = page.url
    signatures = page.inner_text("#signatures")
    assert "法院印章（认证签名）" in signatures and "有效" in signatures and "尚无签名" not in page.inner_text("main")
    shots(page, "by-code")
    page.click("#explain summary")
    assert "不同" in page.inner_text("#explain")
    previews = page.locator("#previews img")
    assert previews.count() == 2
    for img in previews.all():
        _loaded(page, img)
    shots(page, "by-code-previews")
    assert page.evaluate(RED_PIXELS, previews.last.element_handle()) > 2000

    # the court's original before sealing, as someone may have been e-mailed it
    path = tmp_path / "original.pdf"
    path.write_bytes(original)
    verdict = verify_upload(page, path, "#verdict.info")
    shots(page, "original-before-sealing")
    assert "这是本院盖章前的原件" in verdict
    page.click("#sealed-version")
    page.wait_for_url(sealed_url)
    assert "法院印章（认证签名）" in page.inner_text("#signatures")
