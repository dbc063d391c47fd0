"""Seal and signature images: the court's round red seal, and images as PDF XObjects.

The generated seal follows the usual form of a Chinese court seal: a red ring, the court's
name along the upper arc, a five-pointed star in the centre, transparent background. Staff
may upload their own image instead (``Court.seal_image_key``); any PNG with transparency, or
a JPEG, works.
"""
from __future__ import annotations

import hashlib
import io
import math
import threading
import zlib
from dataclasses import dataclass
from typing import cast

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from court.errors import DomainError
from signing import fonts

RED = (214, 20, 30)
SIZE = 480


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def generate(court_name: str, *, bottom_text: str = "", font_path: str = "") -> bytes:
    """A PNG (RGBA) of the court's round seal."""
    path = fonts.find_font(font_path)
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = SIZE / 2
    ring = SIZE * 0.47
    width = int(SIZE * 0.035)
    draw.ellipse((c - ring, c - ring, c + ring, c + ring), outline=RED + (255,), width=width)
    draw.polygon(_star(c, c, SIZE * 0.17), fill=RED + (255,))
    name = (court_name or "").strip() or "人民法院"
    n = len(name)
    span = min(250.0, 22.0 * n + 40)  # degrees of arc the name covers
    size = int(min(SIZE * 0.13, (2 * math.pi * ring * 0.78 * span / 360) / max(n, 1) * 0.92))
    font = ImageFont.truetype(path, size, index=0)
    radius = ring - width - size * 0.62
    for i, ch in enumerate(name):
        angle = -90 - span / 2 + (span * (i + 0.5) / n)  # degrees, 0 = 3 o'clock, clockwise in image
        glyph = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size, size), ch, font=font, fill=RED + (255,), anchor="mm",
                                    stroke_width=max(1, size // 30), stroke_fill=RED + (255,))
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(math.radians(angle)) - size
        y = c + radius * math.sin(math.radians(angle)) - size
        img.alpha_composite(glyph, (int(round(x)), int(round(y))))
    if bottom_text:
        bfont = ImageFont.truetype(path, int(SIZE * 0.07), index=0)
        draw.text((c, c + SIZE * 0.3), bottom_text, font=bfont, fill=RED + (255,), anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class PdfImage:
    """An image ready to embed: compressed RGB samples and an optional alpha soft mask."""

    width: int
    height: int
    rgb: bytes  # FlateDecode
    alpha: bytes | None  # FlateDecode DeviceGray soft mask

    def objects(self, base: int) -> list[bytes]:
        """Bodies of the image (number ``base``) and, if any, its soft mask (``base+1``)."""
        smask = b"/SMask %d 0 R" % (base + 1) if self.alpha is not None else b""
        img = (b"<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceRGB/BitsPerComponent 8"
               b"/Filter/FlateDecode%s/Length %d>>\nstream\n" % (self.width, self.height, smask, len(self.rgb))
               + self.rgb + b"\nendstream")
        bodies = [img]
        if self.alpha is not None:
            bodies.append(b"<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray"
                          b"/BitsPerComponent 8/Filter/FlateDecode/Length %d>>\nstream\n"
                          % (self.width, self.height, len(self.alpha)) + self.alpha + b"\nendstream")
        return bodies

    @property
    def count(self) -> int:
        return 2 if self.alpha is not None else 1


class BadImage(DomainError):
    code = "bad_image"
    status = 422


_cache: dict[str, PdfImage] = {}
_lock = threading.Lock()


def to_pdf_image(data: bytes, *, max_side: int = 800, max_bytes: int = 5 * 1024 * 1024) -> PdfImage:
    """Decode PNG/JPEG bytes into a :class:`PdfImage` (cached by content)."""
    if not data:
        raise BadImage("图片为空")
    if len(data) > max_bytes:
        raise BadImage("图片过大（上限 {limit} MB）", limit=max_bytes // 1048576)
    key = hashlib.sha256(data).hexdigest()
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ("PNG", "JPEG"):
            raise BadImage("图片须为 PNG 或 JPEG 格式")
        if img.width * img.height > 40_000_000:
            raise BadImage("图片尺寸过大")
        img.load()
    except Image.DecompressionBombError:  # a header claiming more than PIL will open: refused by size too
        raise BadImage("图片尺寸过大") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadImage("无法识别的图片") from exc
    if img.width < 4 or img.height < 4:
        raise BadImage("图片尺寸过小")
    img.thumbnail((max_side, max_side))
    rgba = img.convert("RGBA")
    rgb = rgba.convert("RGB").tobytes()
    alpha_band = rgba.getchannel("A")
    alpha = None if alpha_band.getextrema() == (255, 255) else zlib.compress(alpha_band.tobytes(), 6)
    made = PdfImage(rgba.width, rgba.height, zlib.compress(rgb, 6), alpha)
    with _lock:
        _cache[key] = made
        if len(_cache) > 64:
            _cache.pop(next(iter(_cache)))
    return made


def has_ink(data: bytes) -> bool:
    """Whether a handwritten-signature image has any visible stroke at all."""
    img = Image.open(io.BytesIO(data)).convert("RGBA")
    alpha = img.getchannel("A")
    if alpha.getextrema()[1] == 0:
        return False
    gray = img.convert("L")
    lo, hi = cast(tuple[int, int], gray.getextrema())  # one band: (min, max)
    if alpha.getextrema() == (255, 255):
        return lo < 200 and hi - lo > 40
    return True
