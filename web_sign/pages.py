"""Document pages as images, rendered on the server with pypdfium2.

A phone (and WeChat's in-app browser above all) shows PDFs badly or not at all, so the review
page shows each page as a PNG. Renders are cached in Redis by the version's SHA-256, page and
scale, so a page is drawn once however often it is viewed. PDFium is not thread-safe: one
lock guards it within the process.
"""
from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from court import redis_conn
from court.models import DocumentVersion
from court.services import documents

SCALES = {1: 1.25, 2: 2.5}  # zoom level -> pixels per PDF point (A4 at 1.25 ≈ 744 px wide)
MAX_PAGES = 500
CACHE_SECONDS = 6 * 3600
_lock = threading.Lock()


@contextmanager
def _pdf(version: DocumentVersion) -> Iterator[Any]:
    """The version opened in PDFium, under the process-wide lock."""
    import pypdfium2 as pdfium

    with _lock:
        pdf = pdfium.PdfDocument(documents.read_version(version))
        try:
            yield pdf
        finally:
            pdf.close()


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


def page_count(version: DocumentVersion) -> int:
    def count() -> bytes:
        with _pdf(version) as pdf:
            return str(min(len(pdf), MAX_PAGES)).encode()

    return int(_cached(f"m:pages:{version.sha256}", count))


def render(version: DocumentVersion, number: int, zoom: int = 1) -> bytes | None:
    """PNG of page ``number`` (1-based) at a zoom level, or None when there is no such page."""
    scale = SCALES.get(zoom, SCALES[1])
    if number < 1 or number > page_count(version):
        return None

    def draw() -> bytes:
        with _pdf(version) as pdf:
            page = pdf[number - 1]
            try:
                image = page.render(scale=scale, may_draw_forms=True).to_pil()
            finally:
                page.close()
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", optimize=False, compress_level=6)
        return buf.getvalue()

    return _cached(f"m:page:{version.sha256}:{number}:{zoom}", draw)
