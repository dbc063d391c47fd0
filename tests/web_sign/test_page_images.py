"""Page images on the party pages show what the PDF shows (the seal, signatures, footer) and
stay sharp when zoomed, within bounds a visitor cannot raise."""
from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image

from court import db
from court.models import Document, StepAction
from tests.web_sign.conftest import make_world, needs_identity, needs_signing, sign_in


def red_mask(image: Image.Image) -> list[tuple[int, int]]:
    """Pixels of the seal's red: strong red, little green and blue."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    data = rgb.tobytes()
    return [(i // 3 % w, i // 3 // w) for i in range(0, len(data), 3)
            if data[i] > 170 and data[i + 1] < 100 and data[i + 2] < 100]


def box(points: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def pdftoppm(pdf: bytes, page: int, width: int) -> Image.Image:
    """The page as poppler draws it (annotations and form appearances included)."""
    out = subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-scale-to-x", str(width),
                          "-scale-to-y", "-1", "-png"], input=pdf, capture_output=True, check=True, timeout=60)
    return Image.open(io.BytesIO(out.stdout))


@pytest.fixture
def sealed(app, run_jobs):
    """A two-page judgment sealed by the court (the seal on the last page), to be received."""
    w = make_world(StepAction.RECEIVE, seal=True)
    run_jobs(("signing",))
    doc = db.session().get(Document, w.doc.id)
    assert doc.verify_code and doc.current.reason == "sealed", doc.error
    return w


@needs_signing
def test_the_page_image_shows_the_seal_where_the_pdf_has_it(client, sealed):
    sign_in(client, sealed.alice)
    pdf = client.get(f"/m/documents/{sealed.doc.id}/file.pdf").data
    png = client.get(f"/m/documents/{sealed.doc.id}/pages/2.png?w=1080")
    assert png.status_code == 200
    ours, theirs = Image.open(io.BytesIO(png.data)), pdftoppm(pdf, 2, 1080)
    assert ours.size == theirs.size
    mine, ref = red_mask(ours), red_mask(theirs)
    assert len(ref) > 2000, "poppler draws a red seal on the last page"
    assert len(mine) > 0.8 * len(ref), f"the phone image has {len(mine)} red pixels, the PDF {len(ref)}"
    a, b = box(mine), box(ref)
    assert all(abs(x - y) <= 6 for x, y in zip(a, b, strict=True)), (a, b)  # the same place on the page
    # the first page carries no seal, but the footer with the code, like the PDF
    first = Image.open(io.BytesIO(client.get(f"/m/documents/{sealed.doc.id}/pages/1.png").data))
    assert not red_mask(first)
    bottom = first.convert("L").crop((0, int(first.height * 0.9), first.width // 2, first.height))
    assert bottom.getextrema()[0] < 80  # the QR code and the code are drawn in the footer


@needs_identity
def test_zoom_steps_give_larger_images_and_other_sizes_are_refused(client, world):
    sign_in(client, world.alice)
    url = f"/m/documents/{world.doc.id}/pages/1.png"
    widths = []
    for w in (480, 720, 1080, 1440, 2160):
        r = client.get(f"{url}?w={w}")
        assert r.status_code == 200
        image = Image.open(io.BytesIO(r.data))
        widths.append(image.width)
        assert abs(image.height - image.width * 842 / 595) <= 1  # A4, not stretched
    assert widths == [480, 720, 1080, 1440, 2160]
    for bad in ("100000", "1000", "0", "-480", "abc", "1080.0", "1e3"):
        assert client.get(f"{url}?w={bad}").status_code == 400, bad


@needs_identity
def test_the_review_page_lets_the_browser_pick_a_sharp_width(client, world):
    sign_in(client, world.alice)
    html = client.get(f"/m/documents/{world.doc.id}").get_data(as_text=True)
    assert f"/m/documents/{world.doc.id}/pages/1.png?w=480 480w" in html
    assert f"/m/documents/{world.doc.id}/pages/1.png?w=2160 2160w" in html
    assert 'sizes="(max-width: 720px) 100vw, 720px"' in html


def test_an_odd_page_size_stays_within_the_pixel_bound(app):
    """A page 100 times taller than wide asked for at the largest width is drawn smaller, not at
    216 million pixels."""
    from pypdf import PdfWriter

    from court.models import DocumentKind
    from court.services import cases, documents
    from court.services import staff as staff_service
    from signing import pages

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=14000)
    out = io.BytesIO()
    writer.write(out)
    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初9号", "civil")
    doc = Document(case_id=case.id, kind=DocumentKind.SUBPOENA, title="传票")
    s.add(doc)
    s.flush()
    version = documents.add_version(s, doc, out.getvalue(), "uploaded")
    s.commit()
    png = pages.render(version, 1, 2160)
    assert png is not None
    image = Image.open(io.BytesIO(png))
    assert image.width * image.height <= pages.MAX_PIXELS
    assert image.height > 10 * image.width  # the shape is kept
    with pytest.raises(ValueError):
        pages.render(version, 1, 5000)
