"""The signing core shared by the court seal and approval signatures: open, check, sign.

Why its own module: both kinds of signature open the file the same way (refusing what is hostile,
normalising what is merely damaged, in the sandbox), and both write one incremental update with a
fixed-size placeholder and sign its byte ranges with the raw key (see :mod:`signing.cms`): no dry
run, so a signature costs one write and one hash.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Callable
from datetime import datetime

from court import sandbox
from court.chinatime import CHINA
from signing.cms import CmsSigner
from signing.errors import SigningError, refusal
from signing.pagegeometry import PageInfo, page_infos
from signing.pdfobjects import (
    PdfDict,
    PdfError,
    PdfLimitError,
    Ref,
    decode_text,
)
from signing.pdfreader import Reader
from signing.pdfwriter import IncrementalWriter

log = logging.getLogger(__name__)

SIG_SIZE = 8192  # bytes reserved for the CMS blob (B-B)
SIG_SIZE_TS = 20480  # with a timestamp token

Timestamper = Callable[[bytes], bytes]


def pdf_date(dt: datetime) -> str:
    local = dt.astimezone(CHINA)
    return local.strftime("D:%Y%m%d%H%M%S+08'00'")


# ----------------------------------------------------------------------------- input checks

def open_pdf(data: bytes, *, max_bytes: int, max_pages: int, allow_normalize: bool = True) -> Reader:
    """Parse ``data`` for signing or raise :class:`SigningError` with a clear reason."""
    if not data:
        raise SigningError("文件为空", code="empty_file")
    if len(data) > max_bytes:
        raise SigningError("文件过大（{size} MB），上限为 {limit} MB", code="too_large", status=413,
                           size=round(len(data) / 1048576, 1), limit=max_bytes // 1048576)
    if b"%PDF-" not in data[:1024]:
        raise SigningError("文件不是PDF格式", code="not_pdf", status=415)
    try:
        reader = Reader(data)
        pages = page_infos(reader)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
        if not allow_normalize or isinstance(exc, PdfLimitError | RecursionError):
            raise refusal(exc) from exc  # a hostile file is never handed on to another parser
        log.info("PDF needs normalising before sealing: %s", exc)
        try:
            reader = Reader(sandbox.bounded(_normalize, data, what="pdf normalise"))
            pages = page_infos(reader)
        except (PdfError, ValueError, KeyError, TypeError, IndexError, RecursionError) as again:
            raise refusal(again) from again
    if "Encrypt" in reader.trailer:
        raise SigningError("PDF已加密，请上传未加密的文件", code="encrypted_pdf")
    if not pages:
        raise SigningError("PDF没有任何页面", code="empty_pdf")
    if len(pages) > max_pages:
        raise SigningError("PDF页数过多（{pages} 页），上限为 {limit} 页", code="too_many_pages",
                           pages=len(pages), limit=max_pages)
    reader.page_list = pages  # type: ignore[attr-defined]
    return reader


def inspect(data: bytes, max_bytes: int, max_pages: int) -> int:
    """The structural check the seal engine makes, for the upload check: the page count, or
    :class:`SigningError`. Meant to run in :func:`court.sandbox.run` (it may call pypdf).

    It also refuses a page whose content inflates beyond what any real page needs: the seal
    engine never decodes page content, but the review page would refuse to draw it, so the
    parties could never read what they are served."""
    reader = open_pdf(data, max_bytes=max_bytes, max_pages=max_pages)
    pages: list[PageInfo] = reader.page_list  # type: ignore[attr-defined]
    try:
        for info in pages:
            reader.content_size(info.page)
    except PdfLimitError as exc:
        raise refusal(exc) from exc
    except (PdfError, ValueError, KeyError, TypeError, IndexError, RecursionError):
        pass  # content our reader cannot decode (other filters) is PDFium's business, under its limits
    return len(pages)


def _normalize(data: bytes) -> bytes:
    """Rewrite a PDF our reader cannot follow (damaged xref, unusual filters) with pypdf.

    pypdf is not bounded against hostile input, so this runs under the sandbox's limits."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    try:
        src = PdfReader(io.BytesIO(data), strict=False)
        if src.is_encrypted:
            raise SigningError("PDF已加密，请上传未加密的文件", code="encrypted_pdf")
        if len(src.pages) == 0:
            raise SigningError("PDF没有任何页面", code="empty_pdf")
        writer = PdfWriter(clone_from=src)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except SigningError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, AssertionError) as exc:
        raise refusal(exc) from exc


def signature_fields(reader: Reader) -> list[tuple[Ref | None, PdfDict]]:
    return [(ref, f) for ref, f in reader.iter_fields() if reader.get(f.get("FT")) == "Sig"]


def sign_and_write(
    writer: IncrementalWriter, sig_ref: Ref, sig_dict: bytes, signer: CmsSigner,
    timestamper: Timestamper | None,
) -> bytes:
    """Write ``sig_dict`` (which must contain the placeholders) and the update, then sign."""
    size = SIG_SIZE_TS if timestamper is not None else SIG_SIZE
    body = (sig_dict[:-2] + b"/ByteRange[0 " + b" " * 32 + b"]/Contents<" + b"0" * (2 * size) + b">>>")
    writer.put_raw(sig_ref, body)
    out, offsets = writer.write(new_id=os.urandom(16))
    start = offsets[sig_ref.num]
    br_at = out.index(b"/ByteRange[0 ", start) + len(b"/ByteRange[0 ")
    c0 = out.index(b"/Contents<", br_at) + len(b"/Contents")
    c1 = c0 + 2 * size + 2
    byte_range = b"%d %d %d" % (c0, c1, len(out) - c1)
    if len(byte_range) > 32:
        raise SigningError("文件过大，无法签名", code="too_large")
    out[br_at:br_at + 32] = byte_range.ljust(32)
    mv = memoryview(out)
    h = hashlib.sha256(mv[:c0])
    h.update(mv[c1:])
    mv.release()
    cms = signer.sign_digest(h.digest(), timestamper)
    if len(cms) > size:
        raise SigningError("签名数据超出预留空间", code="signature_too_large")
    hexed = cms.hex().encode()
    out[c0 + 1:c0 + 1 + len(hexed)] = hexed
    return bytes(out)


def unique_name(existing: set[str], wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``-3``…: a new field never takes an existing field's name."""
    name, n = wanted, 1
    while name in existing:
        n += 1
        name = f"{wanted}-{n}"
    return name


def sig_field_name(f: PdfDict) -> str:
    """A form field's name (/T) as text: how reserved signature fields are matched to signers."""
    return decode_text(f.get("T"))
