"""Document pages as images, rendered on the server with pypdfium2 (the party pages and the
staff console both show them, so they live here, below both).

A phone (and WeChat's in-app browser above all) shows PDFs badly or not at all, so the review
page and the public verify page show each page as a PNG. The image must show what the PDF
shows: the court's seal and every signature are form widgets (signature fields), which PDFium
draws only once the form environment is loaded, so it always is — a party must never sign for
a judgment that looks unsealed while the downloaded file carries the seal.

Pages are drawn at one of a few pixel widths (:data:`WIDTHS`): the page offers them all in a
``srcset``, so the browser picks the one that fits its CSS width times its device pixel ratio,
and zooming in asks for a wider one instead of enlarging a blurry bitmap. Any other width is
refused, and every image is capped at :data:`MAX_PIXELS`, so neither a visitor nor an odd page
size can ask for an arbitrarily large bitmap. Renders are cached in Redis by the version's
SHA-256, page and width, so a page is drawn once per width however often it is viewed.

PDFium runs in a child process with CPU-time and memory limits (:mod:`court.sandbox`): a page
of a few hundred KB can inflate to gigabytes of drawing operators, and PDFium is not
thread-safe, so in-process it would also hold a process-wide lock for as long as it took. A
page that exceeds the limits is not shown (and the refusal is logged), never drawn at any cost.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Callable

from court import redis_conn, sandbox
from court.errors import DomainError
from court.models import DocumentVersion
from court.services import documents

log = logging.getLogger(__name__)

#: the pixel widths a page can be drawn at (a 375 px phone takes 1080 at 2x, 1440 at 3x; zoomed, more)
WIDTHS = (480, 720, 1080, 1440, 2160)
DEFAULT_WIDTH = 1080
#: no image has more pixels than this (A4 at 2160 px wide is about 6.6 million): an RGBA bitmap of
#: 28 MB plus its PNG, well inside the sandbox's memory budget
MAX_PIXELS = 7_000_000
MAX_PAGES = 500
CACHE_SECONDS = 6 * 3600
sandbox.preload(__name__)


def _cached(key: str, build: Callable[[], bytes]) -> bytes:
    """The cache Redis's copy of ``key`` (``CACHE_REDIS_URL``: evictable, apart from the queue),
    or ``build()`` stored there for ``CACHE_SECONDS``."""
    r = redis_conn.cache()
    cached = r.get(key)
    if isinstance(cached, bytes):  # the cache client returns bytes (no decode_responses)
        return cached
    data = build()
    r.set(key, data, ex=CACHE_SECONDS)
    return data


def count_pages(data: bytes) -> int:
    """The page count by PDFium (runs in the sandbox)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return min(len(pdf), MAX_PAGES)
    finally:
        pdf.close()


def parse_width(text: str | None) -> int | None:
    """The width asked for in a URL (``?w=``): the default when absent, None when it is not one
    of :data:`WIDTHS` (the caller refuses it)."""
    if text is None or text == "":
        return DEFAULT_WIDTH
    return int(text) if text.isdigit() and int(text) in WIDTHS else None


def scale_for(size: tuple[float, float], width: int) -> float:
    """Pixels per PDF point to draw a page of ``size`` points ``width`` pixels wide, lowered so
    the image stays within :data:`MAX_PIXELS` (a very long or very narrow page)."""
    w, h = max(size[0], 1.0), max(size[1], 1.0)
    scale = width / w
    if (w * scale + 1) * (h * scale + 1) > MAX_PIXELS:  # PDFium rounds each side up
        scale = ((MAX_PIXELS / (w * h)) ** 0.5) * 0.99
    return scale


def draw_page(data: bytes, index: int, width: int) -> bytes:
    """One page as PNG ``width`` pixels wide, seal and signature appearances included (runs in
    the sandbox). Our bounded reader looks at the page first, so a decompression bomb is refused
    in milliseconds instead of at the memory limit."""
    import pypdfium2 as pdfium

    from signing.errors import refusal
    from signing.pdfobjects import PdfError, PdfLimitError
    from signing.pdfreader import Reader

    try:
        Reader(data).check_page_contents(index)
    except PdfLimitError as exc:
        raise refusal(exc) from exc
    except (PdfError, RecursionError, ValueError, KeyError, TypeError, IndexError):
        pass  # unusual but not hostile: PDFium may still draw it, within the limits

    pdf = pdfium.PdfDocument(data)
    try:
        pdf.init_forms()  # before any page is loaded: without it PDFium skips every form widget
        page = pdf[index]
        try:
            image = page.render(scale=scale_for(page.get_size(), width), may_draw_forms=True).to_pil()
        finally:
            page.close()
    finally:
        pdf.close()
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def page_count(version: DocumentVersion) -> int:
    """Pages to show (0 when PDFium cannot open the file within the limits)."""
    def count() -> bytes:
        try:
            n = sandbox.run(count_pages, documents.read_version(version), what="page count").value
        except DomainError as exc:
            log.warning("page count of version %s refused: %s", version.id, exc.code)
            n = 0
        return str(n).encode()

    return int(_cached(f"m:pages:{version.sha256}", count))


def render(version: DocumentVersion, number: int, width: int = DEFAULT_WIDTH) -> bytes | None:
    """PNG of page ``number`` (1-based) ``width`` pixels wide, or None when there is no such page
    or drawing it would exceed the limits for untrusted files. ``width`` must be in :data:`WIDTHS`."""
    if width not in WIDTHS:
        raise ValueError(f"page width {width} is not one of {WIDTHS}")
    if number < 1 or number > page_count(version):
        return None

    def draw() -> bytes:
        try:
            return bytes(sandbox.run(draw_page, documents.read_version(version), number - 1, width,
                                     what="page image").value)
        except DomainError as exc:  # remembered (empty), so a hostile page costs its limit once
            log.warning("page %s of version %s not drawn: %s", number, version.id, exc.code)
            return b""

    return _cached(f"m:page:{version.sha256}:{number}:w{width}", draw) or None
