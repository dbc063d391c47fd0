"""Document pages as images, rendered on the server with pypdfium2 (the party pages and the
staff console both show them, so they live here, below both).

A phone (and WeChat's in-app browser above all) shows PDFs badly or not at all, so the review
page shows each page as a PNG. Renders are cached in Redis by the version's SHA-256, page and
scale, so a page is drawn once however often it is viewed.

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

SCALES = {1: 1.25, 2: 2.5}  # zoom level -> pixels per PDF point (A4 at 1.25 ≈ 744 px wide)
MAX_PAGES = 500
CACHE_SECONDS = 6 * 3600
sandbox.preload(__name__)


def _cached(key: str, build: Callable[[], bytes]) -> bytes:
    """The cache Redis's copy of ``key`` (``CACHE_REDIS_URL``: evictable, apart from the queue),
    or ``build()`` stored there for ``CACHE_SECONDS``."""
    r = redis_conn.cache()
    cached = r.get(key)
    if cached is not None:
        return bytes(cached)
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


def draw_page(data: bytes, index: int, scale: float) -> bytes:
    """One page as PNG (runs in the sandbox). Our bounded reader looks at the page first, so a
    decompression bomb is refused in milliseconds instead of at the memory limit."""
    import pypdfium2 as pdfium

    from signing.errors import refusal
    from signing.pdf import PdfError, PdfLimitError, Reader

    try:
        Reader(data).check_page_contents(index)
    except PdfLimitError as exc:
        raise refusal(exc) from exc
    except (PdfError, RecursionError, ValueError, KeyError, TypeError, IndexError):
        pass  # unusual but not hostile: PDFium may still draw it, within the limits

    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[index]
        try:
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
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


def render(version: DocumentVersion, number: int, zoom: int = 1) -> bytes | None:
    """PNG of page ``number`` (1-based) at a zoom level, or None when there is no such page or
    drawing it would exceed the limits for untrusted files."""
    scale = SCALES.get(zoom, SCALES[1])
    if number < 1 or number > page_count(version):
        return None

    def draw() -> bytes:
        try:
            return bytes(sandbox.run(draw_page, documents.read_version(version), number - 1, scale,
                                     what="page image").value)
        except DomainError as exc:  # remembered (empty), so a hostile page costs its limit once
            log.warning("page %s of version %s not drawn: %s", number, version.id, exc.code)
            return b""

    return _cached(f"m:page:{version.sha256}:{number}:{zoom}", draw) or None
