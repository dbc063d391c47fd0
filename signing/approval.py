"""Approval signatures: a party's (or the court's note) signature as a later incremental update.

Why its own module: after the court seal, each signer adds an approval signature, into a field
reserved at sealing time or a new one, keeping every earlier signature valid. It shares the
signing core (:mod:`signing.pdfsign`) and page geometry (:mod:`signing.pagegeometry`) with the
seal, nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from court.chinatime import CHINA
from signing import fonts
from signing.cms import CmsSigner
from signing.errors import SigningError
from signing.pagegeometry import PageInfo, Placement, as_number, page_annots, page_index
from signing.pdfobjects import (
    Name,
    PdfDict,
    Raw,
    Ref,
    Stream,
    fmt_num,
    serialize,
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
from signing.sealimage import PdfImage

N = Name


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
        if sig_field_name(f) == field_name:
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
        rect = [as_number(reader.get(v)) for v in reader.get(target["Rect"])]
        page_ref = target.get("P")
        info = next((p for p in pages if p.ref == page_ref), pages[-1])
        width, height = abs(rect[2] - rect[0]), abs(rect[3] - rect[1])
        if info.rotate in (90, 270):
            width, height = height, width
    else:
        placement = placement or Placement()
        idx = page_index(pages, placement.page)
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
        existing_names = {sig_field_name(f) for _, f in reader.iter_fields()}
        field_name = unique_name(existing_names, field_name)
        widget_ref = w.add({
            N("Type"): N("Annot"), N("Subtype"): N("Widget"), N("FT"): N("Sig"), N("T"): Raw(text_string(field_name)),
            N("F"): 132, N("Rect"): rect, N("P"): info.ref, N("V"): sig_ref, N("AP"): {N("N"): ap_ref},
        })
        page = dict(info.page)
        page[N("Annots")] = page_annots(reader, info.page) + [widget_ref]
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
    pdf = sign_and_write(w, sig_ref, sig_dict, signer, timestamper)
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
