"""Page geometry and page structure for stamping: where on a page, in which coordinates.

Why its own module: the court seal (:mod:`signing.certify`) and approval signatures
(:mod:`signing.approval`) both place things on pages given in *visual* coordinates (as the page
is displayed, whatever its /Rotate and crop box) and both add resources, content and widgets to
a page without disturbing what is there; this is that shared knowledge, in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signing.pdfobjects import (
    Name,
    PdfDict,
    Ref,
)
from signing.pdfreader import Reader

N = Name


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


def as_number(v: Any, default: float = 0.0) -> float:
    """A PDF number as a float (``default`` for anything else, booleans included)."""
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


def _box(reader: Reader, value: Any) -> tuple[float, float, float, float] | None:
    arr = reader.get(value)
    if not isinstance(arr, list) or len(arr) != 4:
        return None
    nums = [as_number(reader.get(v)) for v in arr]
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
        rot = int(as_number(reader.get(inh.get("Rotate")))) % 360
        out.append(PageInfo(ref, page, inh, box, rot if rot in (0, 90, 180, 270) else 0))
    return out


def merged_resources(reader: Reader, info: PageInfo, xobjects: dict[str, Ref]) -> tuple[PdfDict, dict[str, str]]:
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


def contents_list(reader: Reader, page: PdfDict) -> list[Any]:
    """The page's content streams as a list, so a stamp can be appended after them."""
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


def page_annots(reader: Reader, page: PdfDict) -> list[Any]:
    """The page's annotations as a new list, so widgets can be added without touching the original."""
    annots = reader.get(page.get("Annots"))
    return list(annots) if isinstance(annots, list) else []


def page_index(pages: list[PageInfo], page: int) -> int:
    """The 0-based index for a 1-based page number (-1 or past the end: the last page)."""
    if page == -1 or page > len(pages):
        return len(pages) - 1
    if page < -1:
        return max(0, len(pages) + page)
    return max(0, page - 1)
