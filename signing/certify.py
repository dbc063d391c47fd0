"""The court seal: the certification signature (DocMDP P=2) with footer, visible seal and QR.

Why its own module: :class:`SealStamper` is built once per seal key (and seal image, verify URL,
font) and then stamps any number of PDFs: everything that does not depend on the document is
computed once. Per document it only parses the cross-reference data and the page dictionaries, writes one
incremental update (footer with the anti-counterfeit code on every page, the visible seal, empty
signature fields for later signers, the certification signature), and signs it with
:func:`signing.pdfsign.sign_and_write`. Parties sign later with :mod:`signing.approval`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from signing import fonts, qr, recordpage
from signing.cms import CmsSigner
from signing.errors import SigningError
from signing.pagegeometry import (
    FieldSpec,
    PageInfo,
    Placement,
    contents_list,
    merged_resources,
    page_annots,
    page_index,
)
from signing.pdfobjects import (
    Name,
    PdfDict,
    PdfError,
    Raw,
    Ref,
    fmt_num,
    serialize,
    stream_object,
    text_string,
)
from signing.pdfsign import (
    Timestamper,
    open_pdf,
    pdf_date,
    sig_field_name,
    sign_and_write,
    signature_fields,
    unique_name,
)
from signing.pdfwriter import IncrementalWriter
from signing.recordpage import RecordPage
from signing.sealimage import PdfImage

FOOTER_CHARS = fonts.ASCII + "电子签章防伪码：扫描二维码或访问输入核验文书真伪（）第页共"
CODE_LEN = 16
N = Name


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
        existing_names = {sig_field_name(f) for _, f in reader.iter_fields()}
        seal_idx = page_index(pages, placement.page)
        seal_page = pages[seal_idx]
        vw, vh = seal_page.visual_size
        sx, sy, sw, sh = placement.rect or (max(10.0, vw - 185.0), 55.0, 120.0, 120.0)
        side = min(sw, sh)
        ap = (b"q %s 0 0 %s %s %s cm /Im0 Do Q" % (fmt_num(side), fmt_num(side), fmt_num((sw - side) / 2),
                                                   fmt_num((sh - side) / 2)))
        ap_ref = w.add(Raw(b"<</Type/XObject/Subtype/Form/BBox[0 0 %s %s]%s/Resources<</XObject<</Im0 %d 0 R>>>>"
                           b"/Length %d>>\nstream\n%s\nendstream"
                           % (fmt_num(sw), fmt_num(sh), seal_page.ap_matrix(), img_ref.num, len(ap), ap)))
        seal_name = unique_name(existing_names, "CourtSeal")
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
            idx = page_index(pages, spec.page)
            info = pages[idx]
            if spec.rect is None:
                pw, _ = info.visual_size
                per_row = max(1, int((pw - 240) // 130))
                rect = (50.0 + (slot % per_row) * 130, 60.0 + (slot // per_row) * 60, 120.0, 50.0)
                slot += 1
            else:
                rect = spec.rect
            name = unique_name(existing_names, spec.name)
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
            res, names = merged_resources(reader, info, {"CtFooter": footer_ref})
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
            page[N("Contents")] = [q_ref, *contents_list(reader, info.page), sref]
            page[N("Resources")] = res
            if idx in new_annots:
                page[N("Annots")] = page_annots(reader, info.page) + new_annots[idx]
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
        pdf = sign_and_write(w, sig_ref, sig_dict, self.signer, self.timestamper)
        return SealResult(pdf, code, len(pages), seal_name, now)
