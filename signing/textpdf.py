"""A small text PDF writer with real, embedded Chinese text: the court's own generated pages.

Why its own module: the e-service credential (:mod:`signing.credential_render`) and documents
made from templates (:mod:`signing.templated`) both write A4 pages of CJK text with a subset of
the installed font and a ToUnicode map, so the text can be searched and copied.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from signing import fonts

PAGE_W, PAGE_H = 595.0, 842.0
MARGIN = 56.0


@dataclass
class _Line:
    x: float
    y: float
    size: float
    text: str
    gray: float = 0.0


@dataclass
class TextPdf:
    """Pages of positioned text lines and rules, written as a fresh PDF with one CJK subset."""

    font_path: str
    pages: list[list[_Line | tuple[float, float, float, float]]] = field(default_factory=lambda: [[]])
    title: str = "电子送达凭证"  # the document information's title

    def text(self, x: float, y: float, size: float, text: str, gray: float = 0.0) -> None:
        self.pages[-1].append(_Line(x, y, size, text, gray))

    def rule(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.pages[-1].append((x0, y0, x1, y1))

    def new_page(self) -> None:
        self.pages.append([])

    def build(self, font: fonts.Subset | None = None) -> bytes:
        chars = "".join(item.text for page in self.pages for item in page if isinstance(item, _Line))
        if font is None or any(ch not in font.gids for ch in set(chars)):
            font = fonts.subset(self.font_path, chars)
        objs: dict[int, bytes] = {}
        n_pages = len(self.pages)
        # 1 catalog, 2 pages, 3..7 font, then (page, content) pairs, then info
        for i, body in enumerate(font.objects(3)):
            objs[3 + i] = body
        kids = []
        for p, items in enumerate(self.pages):
            page_num, content_num = 8 + 2 * p, 9 + 2 * p
            kids.append(b"%d 0 R" % page_num)
            ops = []
            for item in items:
                if isinstance(item, _Line):
                    ops.append(b"%s g BT /F1 %s Tf %s %s Td %s Tj ET" % (
                        _f(item.gray), _f(item.size), _f(item.x), _f(item.y), font.encode(item.text)))
                else:
                    ops.append(b"0.5 G 0.6 w %s %s m %s %s l S" % tuple(_f(v) for v in item))
            raw = zlib.compress(b"\n".join(ops), 6)
            objs[content_num] = b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(raw) + raw + b"\nendstream"
            objs[page_num] = (b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>"
                              b"/Contents %d 0 R>>" % content_num)
        objs[1] = b"<</Type/Catalog/Pages 2 0 R/Lang(zh-CN)>>"
        objs[2] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (b" ".join(kids), n_pages)
        info = 8 + 2 * n_pages
        objs[info] = b"<</Producer(court-platform signing)/Title<feff%s>>>" % self.title.encode("utf-16-be").hex().encode()
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = {}
        for num in sorted(objs):
            offsets[num] = len(out)
            out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
        xref = len(out)
        size = max(objs) + 1
        out += b"xref\n0 %d\n0000000000 65535 f\r\n" % size
        for num in range(1, size):
            out += b"%010d 00000 n\r\n" % offsets[num]
        out += b"trailer\n<</Size %d/Root 1 0 R/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, info, xref)
        return bytes(out)


def _f(v: float) -> bytes:
    return (b"%.2f" % v).rstrip(b"0").rstrip(b".")


def wrap(text: str, font: fonts.Subset, size: float, width: float) -> list[str]:
    lines, cur = [], ""
    for ch in text:
        if ch == "\n":
            lines.append(cur)
            cur = ""
            continue
        if font.width(cur + ch, size) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines
