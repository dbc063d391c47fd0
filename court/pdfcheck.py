"""Checks an uploaded file really is a usable PDF before anything is stored.

The check must refuse exactly what the seal engine would refuse later (a file that passes here
and fails in the seal job wastes a flow and confuses staff), so the signing service installs
its own structural check with :func:`use_engine` at start-up; it runs in a child process with
CPU and memory limits (:mod:`court.sandbox`). Without the signing service (a bare domain, a
script) pypdf does the check, under the same limits.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Callable

from court import sandbox
from court.errors import InvalidDocument

logging.getLogger("pypdf").setLevel(logging.ERROR)

EngineCheck = Callable[[bytes, int], int]
_engine: EngineCheck | None = None


def use_engine(check: EngineCheck | None) -> None:
    """Make :func:`check_pdf` run ``check(data, max_bytes)`` (returns pages or raises a DomainError)."""
    global _engine
    _engine = check


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse a file (of any kind) over ``max_bytes`` with its size and the limit in the message.

    Callers read an upload to one byte past the limit, so "too large" is all that is known."""
    if len(data) > max_bytes:
        raise InvalidDocument(
            "文件过大（{size} MB），上限为 {limit} MB",
            code="too_large", status=413,
            size=round(len(data) / 1048576, 1), limit=max_bytes // 1048576,
        )


def check_pdf(data: bytes, max_bytes: int) -> int:
    """Raise :class:`InvalidDocument` with a clear reason, or return the page count."""
    if not data:
        raise InvalidDocument("文件为空", code="empty_file")
    check_size(data, max_bytes)
    if b"%PDF-" not in data[:1024]:
        raise InvalidDocument("文件不是PDF格式", code="not_pdf", status=415)
    if _engine is not None:
        return _engine(data, max_bytes)
    return int(sandbox.run(_pypdf_pages, data, what="upload").value)


def _pypdf_pages(data: bytes) -> int:
    """The page count by pypdf (runs in the sandbox)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidDocument("PDF已加密，请上传未加密的文件", code="encrypted_pdf")
        pages = len(reader.pages)
        for page in reader.pages[:1]:
            _ = page.mediabox
    except InvalidDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise InvalidDocument("PDF文件已损坏，无法读取", code="broken_pdf", reason=str(exc)[:200]) from exc
    if pages == 0:
        raise InvalidDocument("PDF没有任何页面", code="empty_pdf")
    return pages
