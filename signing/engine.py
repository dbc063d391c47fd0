"""The signing engine: court seal (certification) and approval signatures as incremental updates.

:class:`SealStamper` is built once per seal key (and seal image, verify URL, font) and then
stamps any number of PDFs. Per document it only parses the cross-reference data and the
page dictionaries, writes one incremental update (footer on every page, the visible seal,
empty signature fields for later signers, the certification signature with DocMDP P=2), and
signs the byte ranges with the raw key (see :mod:`signing.cms`): no dry run, a fixed
signature size, precomputed font, image, certificate and attribute bytes.

:func:`approve` appends an approval signature (a party, judge or clerk) into a field laid out
at sealing time, or a new field, keeping every earlier signature valid.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from court import sandbox
from signing import fonts, qr, recordpage
from signing.cms import CmsSigner
from signing.errors import SigningError, refusal
from signing.pdfobjects import (
    Name,
    PdfDict,
    PdfError,
    PdfLimitError,
    Raw,
    Ref,
    Stream,
    fmt_num,
    serialize,
    stream_object,
    text_string,
)
from signing.pdfreader import Reader
from signing.pdfwriter import IncrementalWriter
from signing.recordpage import RecordPage
from signing.sealimage import PdfImage

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8))
FOOTER_CHARS = fonts.ASCII + "电子签章防伪码：扫描二维码或访问输入核验文书真伪（）第页共"
CODE_LEN = 16
SIG_SIZE = 8192  # bytes reserved for the CMS blob (B-B)
SIG_SIZE_TS = 20480  # with a timestamp token
N = Name

Timestamper = Callable[[bytes], bytes]


@dataclass
class FieldSpec:
    """An empty signature field to lay out for a later signer (visual coordinates, points)."""

    name: str
    page: int = -1  # 1-based; -1 = last page
    rect: tuple[float, float, float, float] | None = None  # x, y, width, height
    tooltip: str = ""


@dataclass
class Placement:
    page: int = -1
    rect: tuple[float, float, float, float] | None = None


@dataclass
class PageInfo:
    ref: Ref
    page: PdfDict
    inherited: PdfDict
    box: tuple[float, float, float, float]
    rotate: int

    @property
    def visual_size(self) -> tuple[float, float]:
        w, h = self.box[2] - self.box[0], self.box[3] - self.box[1]
        return (h, w) if self.rotate in (90, 270) else (w, h)

    def matrix(self) -> tuple[float, float, float, float, float, float]:
        """Maps visual coordinates (as displayed, origin bottom-left) into user space."""
        x0, y0, x1, y1 = self.box
        w, h = x1 - x0, y1 - y0
        return {
            0: (1, 0, 0, 1, x0, y0),
            90: (0, 1, -1, 0, x0 + w, y0),
            180: (-1, 0, 0, -1, x0 + w, y0 + h),
            270: (0, -1, 1, 0, x0, y0 + h),
        }[self.rotate]

    def user_rect(self, x: float, y: float, w: float, h: float) -> list[float]:
        a, b, c, d, e, f = self.matrix()
        pts = [(a * u + c * v + e, b * u + d * v + f) for u, v in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return [round(min(xs), 2), round(min(ys), 2), round(max(xs), 2), round(max(ys), 2)]

    def ap_matrix(self) -> bytes:
        if self.rotate == 0:
            return b""
        a, b, c, d, _, _ = self.matrix()
        return b"/Matrix[%d %d %d %d 0 0]" % (a, b, c, d)


def _num(v: Any, default: float = 0.0) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


def _box(reader: Reader, value: Any) -> tuple[float, float, float, float] | None:
    arr = reader.get(value)
    if not isinstance(arr, list) or len(arr) != 4:
        return None
    nums = [_num(reader.get(v)) for v in arr]
    return (min(nums[0], nums[2]), min(nums[1], nums[3]), max(nums[0], nums[2]), max(nums[1], nums[3]))


def page_infos(reader: Reader) -> list[PageInfo]:
    out = []
    for ref, page, inh in reader.pages():
        media = _box(reader, inh.get("MediaBox")) or (0.0, 0.0, 612.0, 792.0)
        crop = _box(reader, inh.get("CropBox"))
        box = media
        if crop is not None:
            box = (max(media[0], crop[0]), max(media[1], crop[1]), min(media[2], crop[2]), min(media[3], crop[3]))
            if box[2] <= box[0] or box[3] <= box[1]:
                box = media
        rot = int(_num(reader.get(inh.get("Rotate")))) % 360
        out.append(PageInfo(ref, page, inh, box, rot if rot in (0, 90, 180, 270) else 0))
    return out


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


# ----------------------------------------------------------------------------- signing core

def _sign_and_write(
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


def _merged_resources(reader: Reader, info: PageInfo, xobjects: dict[str, Ref]) -> tuple[PdfDict, dict[str, str]]:
    """The page's resources (resolved, inline) plus ``xobjects``; renames on a clash."""
    res = reader.get(info.inherited.get("Resources"))
    res = dict(res) if isinstance(res, dict) else {}
    xo = reader.get(res.get("XObject"))
    xo = dict(xo) if isinstance(xo, dict) else {}
    names: dict[str, str] = {}
    for wanted, ref in xobjects.items():
        name, n = wanted, 1
        while name in xo:
            n += 1
            name = f"{wanted}{n}"
        xo[N(name)] = ref
        names[wanted] = name
    res[N("XObject")] = xo
    return res, names


def _contents_list(reader: Reader, page: PdfDict) -> list[Any]:
    contents = page.get("Contents")
    if contents is None:
        return []
    if isinstance(contents, Ref):
        target = reader.get(contents)
        if isinstance(target, list):
            return list(target)
        return [contents]
    if isinstance(contents, list):
        return list(contents)
    return []


def _annots(reader: Reader, page: PdfDict) -> list[Any]:
    annots = reader.get(page.get("Annots"))
    return list(annots) if isinstance(annots, list) else []


def _unique_name(existing: set[str], wanted: str) -> str:
    name, n = wanted, 1
    while name in existing:
        n += 1
        name = f"{wanted}-{n}"
    return name


def _field_name(f: PdfDict) -> str:
    from signing.pdfobjects import decode_text

    return decode_text(f.get("T"))


def _page_index(pages: list[PageInfo], page: int) -> int:
    if page == -1 or page > len(pages):
        return len(pages) - 1
    if page < -1:
        return max(0, len(pages) + page)
    return max(0, page - 1)


# ----------------------------------------------------------------------------- the court seal

@dataclass
class SealResult:
    pdf: bytes
    code: str
    pages: int
    field_name: str
    signed_at: datetime


@dataclass
class SealStamper:
    """Everything about sealing that does not depend on the document, computed once."""

    signer: CmsSigner
    seal: PdfImage
    verify_base: str  # e.g. https://court.example/verify/
    font_path: str
    signer_name: str = ""
    location: str = ""
    timestamper: Timestamper | None = None
    _font: fonts.Subset = field(init=False)
    _qr: qr.QrEncoder = field(init=False)

    def __post_init__(self) -> None:
        self._font = fonts.subset(self.font_path, FOOTER_CHARS)
        self._qr = qr.encoder(self.verify_base.encode(), CODE_LEN)
        self._label = self._font.encode("电子签章防伪码：")
        self._hint = self._font.encode("扫描二维码或访问 ")
        self._hint2 = self._font.encode(" 输入防伪码核验文书真伪")
        self._url = self._font.encode(self.verify_base.rstrip("/"))
        self._url_w = self._font.width("扫描二维码或访问 " + self.verify_base.rstrip("/"), 6.5)

    # -- per-document pieces
    def _footer_stream(self, code: str, font_ref: Ref) -> bytes:
        grouped = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
        n = self._qr.size
        scale = 36.0 / n
        content = b"".join([
            b"q 1 g 16 3 40 40 re f Q\n",
            b"q 0 g %s 0 0 %s 18 5 cm\n" % (fmt_num(scale), fmt_num(scale)),
            self._qr.pdf_path(code.encode()),
            b"\nQ\nq 0 g BT /F1 9 Tf 62 27 Td ", self._label, b" Tj ",
            self._font.encode(grouped), b" Tj ET\n",
            b"0.25 g BT /F1 6.5 Tf 62 15 Td ", self._hint, b" Tj ", self._url, b" Tj ", self._hint2, b" Tj ET Q\n",
        ])
        return serialize(stream_object({
            N("Type"): N("XObject"), N("Subtype"): N("Form"), N("BBox"): [0, 0, 420, 46],
            N("Resources"): {N("Font"): {N("F1"): font_ref}},
        }, content))

    def stamp(
        self, data: bytes, code: str, *, placement: Placement | None = None, fields: list[FieldSpec] | None = None,
        reason: str = "法院电子印章", max_bytes: int = 100 * 1024 * 1024, max_pages: int = 2000,
        now: datetime | None = None, record: RecordPage | None = None,
    ) -> SealResult:
        if len(code) != CODE_LEN:
            raise ValueError("anti-counterfeit code must have 16 characters")
        reader = open_pdf(data, max_bytes=max_bytes, max_pages=max_pages)
        pages: list[PageInfo] = reader.page_list  # type: ignore[attr-defined]
        catalog = reader.catalog()
        perms = reader.get(catalog.get("Perms"))
        if isinstance(perms, dict) and "DocMDP" in perms:
            raise SigningError("该PDF已由他人加盖认证签名，不能再加盖法院印章", code="already_certified")
        existing = signature_fields(reader)
        if any("V" in f for _, f in existing):
            raise SigningError("该PDF已包含数字签名，加盖法院印章会使其失效，请上传未签名的文件", code="already_signed")
        placement = placement or Placement()
        fields = fields or []
        now = now or datetime.now(UTC)

        w = IncrementalWriter(reader)
        font_ref = w.alloc()
        for _ in range(4):
            w.alloc()
        for i, body in enumerate(self._font.objects(font_ref.num)):
            w.put_raw(Ref(font_ref.num + i), body)
        footer_ref = w.put_raw(w.alloc(), self._footer_stream(code, font_ref))
        img_ref = w.alloc()
        for _ in range(self.seal.count - 1):
            w.alloc()
        for i, body in enumerate(self.seal.objects(img_ref.num)):
            w.put_raw(Ref(img_ref.num + i), body)
        q_ref = w.put_raw(w.alloc(), b"<</Length 2>>\nstream\nq\n\nendstream")
        sig_ref = w.alloc()

        # where the seal and the later signers' fields go
        existing_names = {_field_name(f) for _, f in reader.iter_fields()}
        seal_idx = _page_index(pages, placement.page)
        seal_page = pages[seal_idx]
        vw, vh = seal_page.visual_size
        sx, sy, sw, sh = placement.rect or (max(10.0, vw - 185.0), 55.0, 120.0, 120.0)
        side = min(sw, sh)
        ap = (b"q %s 0 0 %s %s %s cm /Im0 Do Q" % (fmt_num(side), fmt_num(side), fmt_num((sw - side) / 2),
                                                   fmt_num((sh - side) / 2)))
        ap_ref = w.add(Raw(b"<</Type/XObject/Subtype/Form/BBox[0 0 %s %s]%s/Resources<</XObject<</Im0 %d 0 R>>>>"
                           b"/Length %d>>\nstream\n%s\nendstream"
                           % (fmt_num(sw), fmt_num(sh), seal_page.ap_matrix(), img_ref.num, len(ap), ap)))
        seal_name = _unique_name(existing_names, "CourtSeal")
        existing_names.add(seal_name)
        seal_field_ref = w.add({
            N("Type"): N("Annot"), N("Subtype"): N("Widget"), N("FT"): N("Sig"), N("T"): Raw(text_string(seal_name)),
            N("F"): 132, N("Rect"): seal_page.user_rect(sx, sy, sw, sh), N("P"): seal_page.ref, N("V"): sig_ref,
            N("AP"): {N("N"): ap_ref},
        })
        new_annots: dict[int, list[Ref]] = {seal_idx: [seal_field_ref]}
        new_fields = [seal_field_ref]
        slot = 0
        for spec in fields:
            idx = _page_index(pages, spec.page)
            info = pages[idx]
            if spec.rect is None:
                pw, _ = info.visual_size
                per_row = max(1, int((pw - 240) // 130))
                rect = (50.0 + (slot % per_row) * 130, 60.0 + (slot // per_row) * 60, 120.0, 50.0)
                slot += 1
            else:
                rect = spec.rect
            name = _unique_name(existing_names, spec.name)
            existing_names.add(name)
            d: PdfDict = {
                N("Type"): N("Annot"), N("Subtype"): N("Widget"), N("FT"): N("Sig"), N("T"): Raw(text_string(name)),
                N("F"): 4, N("Rect"): info.user_rect(*rect), N("P"): info.ref,
            }
            if spec.tooltip:
                d[N("TU")] = Raw(text_string(spec.tooltip))
            ref = w.add(d)
            new_annots.setdefault(idx, []).append(ref)
            new_fields.append(ref)

        # every page: footer, and the new widgets
        suffix_cache: dict[bytes, Ref] = {}
        for idx, info in enumerate(pages):
            res, names = _merged_resources(reader, info, {"CtFooter": footer_ref})
            vw, _vh = info.visual_size
            a, b, c, d_, e, f = info.matrix()
            scale = min(1.0, (vw - 8) / 420.0) if vw > 8 else 1.0
            cm = b" ".join(fmt_num(v) for v in (a * scale, b * scale, c * scale, d_ * scale, e, f))
            suffix = b"\nQ q %s cm /%s Do Q\n" % (cm, names["CtFooter"].encode())
            sref = suffix_cache.get(suffix)
            if sref is None:
                sref = w.put_raw(w.alloc(), b"<</Length %d>>\nstream\n%s\nendstream" % (len(suffix), suffix))
                suffix_cache[suffix] = sref
            page = dict(info.page)
            page[N("Contents")] = [q_ref, *_contents_list(reader, info.page), sref]
            page[N("Resources")] = res
            if idx in new_annots:
                page[N("Annots")] = _annots(reader, info.page) + new_annots[idx]
            w.put(info.ref, page)
        if record is not None:  # the record page for refusals (signing.recordpage), before certifying
            pages_ref = catalog.get("Pages")
            if not isinstance(pages_ref, Ref):
                raise PdfError("the catalogue's /Pages is not a reference")
            root = dict(reader.get(pages_ref))
            root[N("Kids")] = list(reader.get(root.get("Kids")) or [])
            root[N("Count")] = reader.get(root.get("Count")) or 0
            _page, widgets = recordpage.add(w, pages_ref, root, record, self.font_path,
                                            b"q 1 0 0 1 0 0 cm /CtFooter Do Q", footer_ref)
            new_fields += widgets

        # catalog: the form, the certification permission, the PAdES extension
        cat = dict(catalog)
        acro = reader.get(cat.get("AcroForm"))
        acro = dict(acro) if isinstance(acro, dict) else {}
        old_fields = reader.get(acro.get("Fields"))
        acro[N("Fields")] = (list(old_fields) if isinstance(old_fields, list) else []) + new_fields
        acro[N("SigFlags")] = 3
        acro.pop("NeedAppearances", None)
        cat[N("AcroForm")] = acro
        perms = dict(perms) if isinstance(perms, dict) else {}
        perms[N("DocMDP")] = sig_ref
        cat[N("Perms")] = perms
        cat[N("Extensions")] = {N("ESIC"): {N("BaseVersion"): N("1.7"), N("ExtensionLevel"): 2}}
        w.put(reader.root_ref, cat)

        sig_dict = (b"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M" + text_string(pdf_date(now))
                    + (b"/Name" + text_string(self.signer_name) if self.signer_name else b"")
                    + b"/Reason" + text_string(reason)
                    + (b"/Location" + text_string(self.location) if self.location else b"")
                    + b"/Reference[<</Type/SigRef/TransformMethod/DocMDP/TransformParams<</Type/TransformParams"
                    b"/P 2/V/1.2>>>>]>>")
        pdf = _sign_and_write(w, sig_ref, sig_dict, self.signer, self.timestamper)
        return SealResult(pdf, code, len(pages), seal_name, now)


# ----------------------------------------------------------------------------- approval signatures

@dataclass
class ApprovalResult:
    pdf: bytes
    field_name: str
    signed_at: datetime


def approve(
    data: bytes, signer: CmsSigner, *, field_name: str, image: PdfImage | None, signer_name: str,
    caption: str = "", reason: str = "签名", placement: Placement | None = None,
    font_path: str = "", timestamper: Timestamper | None = None, now: datetime | None = None,
    max_bytes: int = 100 * 1024 * 1024, max_pages: int = 2000,
) -> ApprovalResult:
    """Append an approval signature into ``field_name`` (laid out at sealing) or a new field."""
    reader = open_pdf(data, max_bytes=max_bytes, max_pages=max_pages, allow_normalize=False)
    pages: list[PageInfo] = reader.page_list  # type: ignore[attr-defined]
    now = now or datetime.now(UTC)
    target_ref: Ref | None = None
    target: PdfDict | None = None
    for ref, f in signature_fields(reader):
        if _field_name(f) == field_name:
            target_ref, target = ref, f
            break
    if target is not None and "V" in target:
        raise SigningError("该签名位置已经签过名", code="field_signed")
    perms = reader.get(reader.catalog().get("Perms"))
    if target is None and isinstance(perms, dict) and "DocMDP" in perms:
        # a certified document only allows filling the fields laid out before sealing
        raise SigningError("该文书用印时未预留此签名位置，无法追加签名", code="no_reserved_field")
    w = IncrementalWriter(reader)
    sig_ref = w.alloc()
    if target is not None and target_ref is not None and "Rect" in target:
        rect = [_num(reader.get(v)) for v in reader.get(target["Rect"])]
        page_ref = target.get("P")
        info = next((p for p in pages if p.ref == page_ref), pages[-1])
        width, height = abs(rect[2] - rect[0]), abs(rect[3] - rect[1])
        if info.rotate in (90, 270):
            width, height = height, width
    else:
        placement = placement or Placement()
        idx = _page_index(pages, placement.page)
        info = pages[idx]
        x, y, width, height = placement.rect or (50.0, 60.0, 120.0, 50.0)
        rect = info.user_rect(x, y, width, height)
    caption = caption or f"{signer_name} {now.astimezone(CHINA):%Y-%m-%d %H:%M}"
    ap_ref = w.alloc()
    _approval_appearance(w, ap_ref, width, height, image, caption, font_path, info)
    if target is not None and target_ref is not None:
        updated = dict(target)
        updated[N("V")] = sig_ref
        updated[N("AP")] = {N("N"): ap_ref}
        w.put(target_ref, updated)
    else:
        existing_names = {_field_name(f) for _, f in reader.iter_fields()}
        field_name = _unique_name(existing_names, field_name)
        widget_ref = w.add({
            N("Type"): N("Annot"), N("Subtype"): N("Widget"), N("FT"): N("Sig"), N("T"): Raw(text_string(field_name)),
            N("F"): 132, N("Rect"): rect, N("P"): info.ref, N("V"): sig_ref, N("AP"): {N("N"): ap_ref},
        })
        page = dict(info.page)
        page[N("Annots")] = _annots(reader, info.page) + [widget_ref]
        w.put(info.ref, page)
        catalog = reader.catalog()
        acro_val = catalog.get("AcroForm")
        acro = reader.get(acro_val)
        acro = dict(acro) if isinstance(acro, dict) else {}
        old = reader.get(acro.get("Fields"))
        acro[N("Fields")] = (list(old) if isinstance(old, list) else []) + [widget_ref]
        acro[N("SigFlags")] = 3
        if isinstance(acro_val, Ref):
            w.put(acro_val, acro)
        else:
            cat = dict(catalog)
            cat[N("AcroForm")] = acro
            w.put(reader.root_ref, cat)
    sig_dict = (b"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M" + text_string(pdf_date(now))
                + b"/Name" + text_string(signer_name) + b"/Reason" + text_string(reason) + b">>")
    pdf = _sign_and_write(w, sig_ref, sig_dict, signer, timestamper)
    return ApprovalResult(pdf, field_name, now)


def _approval_appearance(
    w: IncrementalWriter, ap_ref: Ref, width: float, height: float, image: PdfImage | None, caption: str,
    font_path: str, info: PageInfo,
) -> None:
    lines = caption.split("\n")
    font = fonts.subset(fonts.find_font(font_path), "".join(lines))
    size = max(5.0, min(8.0, height * 0.16)) if len(lines) == 1 else max(4.0, min(9.0, (height - 4) / len(lines) - 2))
    while size > 4 and max(font.width(line, size) for line in lines) > width - 4:
        size -= 0.5
    ops = []
    resources: PdfDict = {}
    font_ref = w.alloc()
    for _ in range(4):
        w.alloc()
    for i, body in enumerate(font.objects(font_ref.num)):
        w.put_raw(Ref(font_ref.num + i), body)
    resources[N("Font")] = {N("F1"): font_ref}
    if image is not None:
        img_ref = w.alloc()
        if image.count == 2:
            w.alloc()
        for i, body in enumerate(image.objects(img_ref.num)):
            w.put_raw(Ref(img_ref.num + i), body)
        resources[N("XObject")] = {N("Im0"): img_ref}
        box_h = max(1.0, height - size - 4)
        scale = min(width / image.width, box_h / image.height)
        iw, ih = image.width * scale, image.height * scale
        ops.append(b"q %s 0 0 %s %s %s cm /Im0 Do Q" % (
            fmt_num(iw), fmt_num(ih), fmt_num((width - iw) / 2), fmt_num(size + 3 + (box_h - ih) / 2)))
    if len(lines) == 1:
        tw = font.width(caption, size)
        ops.append(b"q 0 g BT /F1 %s Tf %s 2 Td %s Tj ET Q" % (
            fmt_num(size), fmt_num(max(0.0, (width - tw) / 2)), font.encode(caption)))
    else:  # a written note (signing.recordpage): left-aligned lines from the top
        for i, line in enumerate(lines):
            ops.append(b"q 0 g BT /F1 %s Tf 3 %s Td %s Tj ET Q" % (
                fmt_num(size), fmt_num(height - 2 - (i + 1) * (size + 2)), font.encode(line)))
    content = b"\n".join(ops)
    d: PdfDict = {N("Type"): N("XObject"), N("Subtype"): N("Form"), N("BBox"): [0, 0, round(width, 2), round(height, 2)],
         N("Resources"): resources}
    body = serialize(Stream(d, content))
    if info.rotate:
        body = body.replace(b"/Resources", info.ap_matrix() + b"/Resources", 1)
    w.put_raw(ap_ref, body)


__all__ = [
    "ApprovalResult", "FieldSpec", "Placement", "SealResult", "SealStamper", "SigningError", "approve",
    "inspect", "open_pdf", "page_infos",
]
