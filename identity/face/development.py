"""The development verifier: a real, offline check for local use, never a production one.

It cannot know who is in the picture, so it checks what it can: the upload is a real JPEG,
PNG or BMP photo, big enough to hold a face, neither blank, nor too dark or too bright, nor
blurred; and the name and ID number are well-formed. Every result it gives says it is a
development check, and the app refuses to start with it when ``ENV=production``.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageStat, UnidentifiedImageError

from court import idnumbers
from identity.face import base
from identity.face.base import FaceResult
from identity.settings import IdentitySettings

log = logging.getLogger(__name__)

NAME = "development"
MIN_SIDE = 200  # pixels: room for a face of at least ~100 px, as real verifiers want
MAX_SIDE = base.MAX_SIDE
DARK, BRIGHT = 40.0, 225.0  # mean luminance limits (0–255)
FLAT = 12.0  # luminance spread below which nothing is in the picture
SHARP = 6.0  # spread of the edge image below which the photo is blurred
SCORE = 90.0


@dataclass
class DevelopmentVerifier:
    pass_score: float
    name: str = NAME
    development: bool = True

    def verify(self, image: bytes, *, name: str, id_number: str) -> FaceResult:
        if not name.strip() or idnumbers.problem(id_number):
            return self._result(base.MISMATCH, detail="name or ID number is not well-formed")
        return self._judge(image)

    def compare(self, image: bytes, reference: bytes) -> FaceResult:
        first = self._judge(image)
        if not first.ok:
            return first
        return self._judge(reference)

    def _judge(self, image: bytes) -> FaceResult:
        quality = image_quality(image)
        if quality is not None:
            code, detail = quality
            return self._result(code, detail=detail)
        ok = SCORE >= self.pass_score
        return self._result(base.PASS if ok else base.LOW_SCORE, score=SCORE, ok=ok, detail="development check")

    def _result(self, code: str, *, score: float | None = None, ok: bool = False, detail: str = "") -> FaceResult:
        return FaceResult(ok=ok, code=code, provider=self.name, score=score, development=True, detail=detail)


def image_quality(image: bytes) -> tuple[str, str] | None:
    """``(outcome code, operator detail)`` for a photo no verifier could use, else None."""
    if base.sniff_image(image) is None:
        return base.BAD_IMAGE, "not a JPEG, PNG or BMP file"
    claimed = base.image_size(image)  # refused by its header before anything is decoded
    if claimed is None or max(claimed) > MAX_SIDE:
        return base.BAD_IMAGE, f"image header unreadable or larger than {MAX_SIDE}px: {claimed}"
    try:
        with Image.open(io.BytesIO(image)) as img:
            img.load()
            gray = img.convert("L")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return base.BAD_IMAGE, f"image does not decode: {type(exc).__name__}"
    width, height = gray.size
    if min(width, height) < MIN_SIDE:
        return base.BAD_IMAGE, f"image is {width}x{height}, smaller than {MIN_SIDE}px"
    if max(width, height) > MAX_SIDE:
        return base.BAD_IMAGE, f"image is {width}x{height}, larger than {MAX_SIDE}px"
    gray.thumbnail((320, 320))
    stat = ImageStat.Stat(gray)
    mean, spread = stat.mean[0], stat.stddev[0]
    if mean < DARK or mean > BRIGHT:
        return base.POOR_LIGHT, f"mean luminance {mean:.0f} outside {DARK:.0f}-{BRIGHT:.0f}"
    if spread < FLAT:
        return base.NO_FACE, f"image is nearly uniform (spread {spread:.1f})"
    edges = ImageStat.Stat(gray.filter(ImageFilter.FIND_EDGES).crop((1, 1, gray.width - 1, gray.height - 1)))
    if edges.stddev[0] < SHARP:
        return base.BLURRY, f"edge spread {edges.stddev[0]:.1f} below {SHARP}"
    return None


def problems(cfg: IdentitySettings) -> list[str]:
    return []


def build(cfg: IdentitySettings) -> DevelopmentVerifier:
    log.warning("face verification uses the DEVELOPMENT verifier: results are not real identity checks")
    return DevelopmentVerifier(pass_score=cfg.face_pass_score)
