"""Embedding a CJK TrueType font as a subset (Type0 / CIDFontType2, Identity-H, ToUnicode).

Chinese text in our PDFs is real text: each character is a glyph of an embedded subset of an
installed CJK font (``fonts-wqy-microhei`` by default, see ``system-packages.txt``), with a
ToUnicode map so ``pdftotext``, search and screen readers recover the characters.
"""
from __future__ import annotations

import functools
import hashlib
import io
import logging
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from court.errors import DomainError

logging.getLogger("fontTools").setLevel(logging.WARNING)

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

ASCII = "".join(chr(c) for c in range(0x20, 0x7F))


class FontMissing(DomainError):
    status = 500
    code = "cjk_font_missing"


def find_font(configured: str = "") -> str:
    if configured:
        if not Path(configured).exists():
            raise FontMissing("找不到配置的中文字体 CJK_FONT_PATH={path}", path=configured)
        return configured
    for path in CANDIDATES:
        if Path(path).exists():
            return path
    raise FontMissing("未安装中文字体：请安装 fonts-wqy-microhei（见 system-packages.txt）或设置 CJK_FONT_PATH")


_font_bytes: dict[str, bytes] = {}
_lock = threading.Lock()


def _load(path: str) -> bytes:
    with _lock:
        if path not in _font_bytes:
            _font_bytes[path] = Path(path).read_bytes()
        return _font_bytes[path]


@dataclass
class Subset:
    """A font subset ready to embed: glyph ids and widths per character, the compressed font."""

    ps_name: str
    font_file: bytes  # FlateDecode-compressed TrueType
    font_file_length1: int
    gids: dict[str, int]
    widths: dict[int, int]  # per glyph id, in 1/1000 em
    ascent: int
    descent: int
    bbox: tuple[int, int, int, int]
    missing_gid: int = 0

    def encode(self, text: str) -> bytes:
        """The hex string operand for ``Tj``: two bytes (the glyph id) per character."""
        g = self.gids
        return b"<" + "".join(f"{g.get(ch, self.missing_gid):04x}" for ch in text).encode() + b">"

    def width(self, text: str, size: float) -> float:
        g, w = self.gids, self.widths
        return sum(w.get(g.get(ch, 0), 1000) for ch in text) * size / 1000.0

    @functools.cached_property
    def _w_array(self) -> str:
        n = max(self.widths) + 1 if self.widths else 1
        return " ".join(str(self.widths.get(i, 1000)) for i in range(n))

    @functools.cached_property
    def _stream_bodies(self) -> tuple[bytes, bytes]:
        ff = (b"<</Length %d/Length1 %d/Filter/FlateDecode>>\nstream\n" % (len(self.font_file), self.font_file_length1)
              + self.font_file + b"\nendstream")
        tu = self._to_unicode()
        return ff, b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(tu) + tu + b"\nendstream"

    def objects(self, base: int) -> list[bytes]:
        """Bodies of five objects numbered ``base`` … ``base+4``: Type0 font, CIDFont,
        descriptor, font file, ToUnicode. The Type0 font (``base``) is the one to reference."""
        w = self._w_array
        type0 = (b"<</Type/Font/Subtype/Type0/BaseFont/%s/Encoding/Identity-H/DescendantFonts[%d 0 R]"
                 b"/ToUnicode %d 0 R>>" % (self.ps_name.encode(), base + 1, base + 4))
        cid = (b"<</Type/Font/Subtype/CIDFontType2/BaseFont/%s/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)"
               b"/Supplement 0>>/FontDescriptor %d 0 R/DW 1000/W[0[%s]]/CIDToGIDMap/Identity>>"
               % (self.ps_name.encode(), base + 2, w.encode()))
        desc = (b"<</Type/FontDescriptor/FontName/%s/Flags 4/FontBBox[%d %d %d %d]/ItalicAngle 0/Ascent %d"
                b"/Descent %d/CapHeight %d/StemV 80/FontFile2 %d 0 R>>"
                % (self.ps_name.encode(), *self.bbox, self.ascent, self.descent, self.ascent, base + 3))
        ff, tu_obj = self._stream_bodies
        return [type0, cid, desc, ff, tu_obj]

    def _to_unicode(self) -> bytes:
        pairs = sorted((gid, ch) for ch, gid in self.gids.items())
        lines = []
        for i in range(0, len(pairs), 100):
            chunk = pairs[i:i + 100]
            lines.append(f"{len(chunk)} beginbfchar")
            lines += [f"<{gid:04x}> <{ch.encode('utf-16-be').hex()}>" for gid, ch in chunk]
            lines.append("endbfchar")
        body = (
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
            + "\n".join(lines)
            + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        )
        return zlib.compress(body.encode(), 6)


def _make_subset(path: str, chars: frozenset[str]) -> Subset:
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    data = _load(path)
    font = TTFont(io.BytesIO(data), fontNumber=0 if path.endswith((".ttc", ".otc")) else -1, lazy=True)
    for tag in ("GSUB", "GPOS", "GDEF", "FFTM", "DSIG", "vhea", "vmtx", "kern"):
        if tag in font:
            del font[tag]
    if "glyf" not in font:
        raise FontMissing("中文字体须为 TrueType 轮廓（glyf）：{path}", path=path)
    cmap = font.getBestCmap()
    wanted = {ord(c) for c in chars if ord(c) in cmap}
    opts = ft_subset.Options()
    opts.retain_gids = False
    opts.notdef_outline = True
    opts.hinting = False
    opts.layout_features = []
    opts.name_IDs = [1, 2, 4, 6]
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "vhea", "vmtx", "DSIG", "gasp", "kern"]
    sub = ft_subset.Subsetter(opts)
    sub.populate(unicodes=sorted(wanted))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    raw = buf.getvalue()
    scale = 1000.0 / font["head"].unitsPerEm
    new_cmap = font.getBestCmap()
    gids = {chr(cp): font.getGlyphID(name) for cp, name in new_cmap.items() if chr(cp) in chars}
    hmtx = font["hmtx"]
    order = font.getGlyphOrder()
    widths = {i: int(round(hmtx[name][0] * scale)) for i, name in enumerate(order)}
    head, hhea = font["head"], font["hhea"]
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(raw).digest()[:6])
    base = font["name"].getDebugName(6) or "CJKFont"
    base = "".join(c for c in base if c.isalnum() or c == "-")[:40] or "CJKFont"
    return Subset(
        ps_name=f"{tag}+{base}",
        font_file=zlib.compress(raw, 9),
        font_file_length1=len(raw),
        gids=gids,
        widths=widths,
        ascent=int(hhea.ascent * scale),
        descent=int(hhea.descent * scale),
        bbox=(int(head.xMin * scale), int(head.yMin * scale), int(head.xMax * scale), int(head.yMax * scale)),
    )


_subsets: OrderedDict[tuple[str, frozenset[str]], Subset] = OrderedDict()


def subset(path: str, text: str) -> Subset:
    """A subset of the font at ``path`` holding every character of ``text`` (cached)."""
    key = (path, frozenset(text) | {" "})
    with _lock:
        hit = _subsets.get(key)
        if hit is not None:
            _subsets.move_to_end(key)
            return hit
    made = _make_subset(path, key[1])
    with _lock:
        _subsets[key] = made
        while len(_subsets) > 32:
            _subsets.popitem(last=False)
    return made
