"""The signing engine's own errors, and the one place they become the domain's errors.

The PDF reader (:mod:`signing.pdfreader`) raises :class:`~signing.pdfobjects.PdfError` for a file it cannot
follow and :class:`~signing.pdfobjects.PdfLimitError` for a file that claims more than it can hold
(hostile, or broken beyond repair). Callers above the engine — the upload check, the seal job,
the verify page — only ever see :class:`SigningError` (an ``InvalidDocument``) with a stable
code and a plain message, mapped here by :func:`refusal`.
"""
from __future__ import annotations

from court.errors import InvalidDocument
from signing.pdfobjects import PdfLimitError


class SigningError(InvalidDocument):
    """The input cannot be sealed, signed or verified; the message says why, for people."""


def refusal(exc: Exception) -> SigningError:
    """The domain error for an engine error (or a parser's exception on an untrusted file)."""
    if isinstance(exc, SigningError):
        return exc
    if isinstance(exc, PdfLimitError):
        return SigningError("PDF文件结构异常（声明的内容超出了文件本身的大小或层级限制），已拒绝处理",
                            code="hostile_pdf", reason=str(exc)[:200])
    if isinstance(exc, RecursionError):
        return SigningError("PDF文件结构异常（嵌套过深），已拒绝处理", code="hostile_pdf", reason="recursion")
    # PdfError, or any exception a third-party parser raised on the file
    return SigningError("PDF文件已损坏，无法读取", code="broken_pdf", reason=f"{type(exc).__name__}: {exc}"[:200])
