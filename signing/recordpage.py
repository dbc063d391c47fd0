"""The record page (签名情况记录) the court seal adds to a document several people sign.

CPL art. 150 asks that a refusal to sign a transcript be recorded in it. A certified (DocMDP)
document may not gain pages after sealing, so the page is added *before* the certification, in
the seal's own revision: a heading, one line per signer, and under each line an empty signature
field reserved for the court. If that signer refuses, the court seals a note into the field
(who refused, when, the reason) as an approval signature, which DocMDP level 2 allows; the
archived document then shows the refusal on its last page and every signature stays valid.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from signing import fonts
from signing.pdfobjects import Name, PdfDict, Raw, Ref, fmt_num, stream_object, text_string
from signing.pdfwriter import IncrementalWriter

N = Name
TITLE = "签名情况记录"
INTRO = "本页由法院加盖电子印章时生成。签署人拒绝签名的，法院在其名下记录拒签情况并加盖电子印章；未有记录的，表示该签署人未拒签。"
WIDTH, HEIGHT = 595.0, 842.0
LEFT, RIGHT = 60.0, 535.0


@dataclass
class RecordLine:
    field_name: str  # the reserved note field, e.g. note-12
    label: str  # 第2步 张三（原告）


@dataclass
class RecordPage:
    lines: list[RecordLine] = field(default_factory=list)


def note_field(step_id: int) -> str:
    return f"note-{step_id}"


def _wrap(text: str, font: fonts.Subset, size: float, width: float) -> list[str]:
    out, line = [], ""
    for ch in text:
        if font.width(line + ch, size) > width:
            out.append(line)
            line = ch
        else:
            line += ch
    return [*out, line] if line else out


def add(w: IncrementalWriter, pages_root: Ref, root: PdfDict, record: RecordPage, font_path: str,
        footer: bytes, footer_ref: Ref) -> tuple[Ref, list[Ref]]:
    """Write the page and its reserved fields into ``w``; returns (page ref, field refs).

    ``root`` is the page tree's root node (updated in ``w`` with the new kid); ``footer`` the
    content that draws ``footer_ref`` (the anti-counterfeit footer every page carries)."""
    text = TITLE + INTRO + "".join(line.label for line in record.lines)
    font = fonts.subset(fonts.find_font(font_path), text)
    font_ref = w.alloc()
    for _ in range(4):
        w.alloc()
    for i, body in enumerate(font.objects(font_ref.num)):
        w.put_raw(Ref(font_ref.num + i), body)
    page_ref = w.alloc()
    ops = [b"q 0 g BT /F1 16 Tf %s 780 Td %s Tj ET" % (
        fmt_num((WIDTH - font.width(TITLE, 16)) / 2), font.encode(TITLE))]
    y = 750.0
    for part in _wrap(INTRO, font, 9, RIGHT - LEFT):
        ops.append(b"BT /F1 9 Tf %s %s Td %s Tj ET" % (fmt_num(LEFT), fmt_num(y), font.encode(part)))
        y -= 13
    rows = max(1, len(record.lines))
    row_h = min(80.0, (y - 90.0) / rows)
    widgets: list[Ref] = []
    for line in record.lines:
        y -= 16
        ops.append(b"BT /F1 10 Tf %s %s Td %s Tj ET" % (fmt_num(LEFT), fmt_num(y), font.encode(line.label)))
        box_h = max(20.0, row_h - 22)
        top = y - 4
        ops.append(b"0.6 G 0.5 w %s %s %s %s re S" % (
            fmt_num(LEFT), fmt_num(top - box_h), fmt_num(RIGHT - LEFT), fmt_num(box_h)))
        widgets.append(w.add({
            N("Type"): N("Annot"), N("Subtype"): N("Widget"), N("FT"): N("Sig"),
            N("T"): Raw(text_string(line.field_name)), N("TU"): Raw(text_string(line.label)), N("F"): 4,
            N("Rect"): [LEFT + 1, round(top - box_h + 1, 2), RIGHT - 1, round(top - 1, 2)], N("P"): page_ref,
        }))
        y = top - box_h - 6
    content = b"\n".join([b"q", *ops, b"Q", footer])
    content_ref = w.add(stream_object({}, content))
    w.put(page_ref, {
        N("Type"): N("Page"), N("Parent"): pages_root, N("MediaBox"): [0, 0, WIDTH, HEIGHT], N("Rotate"): 0,
        N("Resources"): {N("Font"): {N("F1"): font_ref}, N("XObject"): {N("CtFooter"): footer_ref}},
        N("Contents"): content_ref, N("Annots"): widgets,
    })
    new_root = dict(root)  # the caller resolved Kids and Count to direct values
    new_root[N("Kids")] = [*root[N("Kids")], page_ref]
    new_root[N("Count")] = int(root[N("Count")]) + 1
    w.put(pages_root, new_root)
    return page_ref, widgets


__all__ = ["RecordLine", "RecordPage", "add", "note_field"]
