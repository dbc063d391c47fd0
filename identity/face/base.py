"""What every face verifier returns, and what each outcome tells the person.

A provider turns one selfie plus the name and ID number into a :class:`FaceResult`: an
outcome code from :data:`MESSAGES`, the similarity score when there is one, and the
provider's request id (Baidu's ``log_id``) for the operator to trace a complaint. The image
itself is never kept. Messages are Simplified Chinese source strings; English comes from the
catalogue (``court.i18n``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from court.i18n import translate

PASS = "pass"
LOW_SCORE = "low_score"
NO_FACE = "no_face"
COVERED = "covered"
BLURRY = "blurry"
POOR_LIGHT = "poor_light"
POSE = "pose"
LIVENESS = "liveness"
MISMATCH = "mismatch"
NO_RECORD = "no_record"
BAD_IMAGE = "bad_image"
BUSY = "busy"
UNAVAILABLE = "unavailable"
EXPIRED = "expired"

# Each outcome says what happened and what to do next, in words a party can act on.
MESSAGES: dict[str, str] = {
    PASS: "人脸识别验证通过",
    LOW_SCORE: "人脸比对未通过：照片与公安登记照片相似度不足。请本人正对镜头，在光线充足处重新拍摄",
    NO_FACE: "照片中没有检测到人脸。请正对镜头，让整个面部出现在画面中后重新拍摄",
    COVERED: "面部有遮挡。请摘下口罩、墨镜或帽子，露出完整面部后重新拍摄",
    BLURRY: "照片模糊。请保持手机稳定、对准焦距后重新拍摄",
    POOR_LIGHT: "光线不佳。请到光线均匀明亮的地方重新拍摄，避免逆光或强光直射",
    POSE: "人脸不完整或角度过大。请正对镜头，让整个面部位于画面中央后重新拍摄",
    LIVENESS: "活体检测未通过。请本人现场拍摄，不要翻拍照片、屏幕或视频",
    MISMATCH: "姓名与身份证号码不匹配。请核对登记的姓名和身份证号码，如有错误请重新登记",
    NO_RECORD: "公安身份库中暂无可比对的照片，无法在线完成人脸识别。请联系法院工作人员进行人工核验",
    BAD_IMAGE: "照片格式或大小不符合要求。请上传清晰的 JPG 或 PNG 照片（不超过4MB）",
    BUSY: "人脸识别服务繁忙，请稍后再试",
    UNAVAILABLE: "人脸识别服务暂时无法使用，请稍后再试；如多次失败，请联系法院工作人员",
    EXPIRED: "照片等待核验的时间过长已被删除，请重新拍摄",
}

# Failures that are the service's, not the person's: they do not use up a daily attempt.
SERVICE_SIDE = frozenset({BUSY, UNAVAILABLE, EXPIRED})

DEVELOPMENT_NOTE = "（开发环境模拟核验，未与公安身份库比对）"


@dataclass(frozen=True)
class FaceResult:
    """The outcome of one check. ``detail`` is for operators: technical, no personal data."""

    ok: bool
    code: str
    provider: str
    score: float | None = None
    log_id: str | None = None
    provider_code: str | None = None
    development: bool = False
    detail: str = ""

    def message(self, locale: str | None = None) -> str:
        text = translate(MESSAGES[self.code], locale)
        if self.development:
            text += translate(DEVELOPMENT_NOTE, locale)
        return text

    @property
    def message_zh(self) -> str:
        return self.message("zh_Hans_CN")

    @property
    def message_en(self) -> str:
        return self.message("en")

    @property
    def service_side(self) -> bool:
        return self.code in SERVICE_SIDE

    def outcome(self) -> dict[str, Any]:
        """The dict handed to the caller's reply job: no personal data in it."""
        return {
            "ok": self.ok, "code": self.code, "message_zh": self.message_zh, "message_en": self.message_en,
            "score": self.score, "development": self.development,
        }


class FaceProvider(Protocol):
    """A face verifier. ``verify`` compares a selfie with the public-security photo on file for
    the name and ID number; ``compare`` compares two photos (an operator's credential test)."""

    name: str
    development: bool

    def verify(self, image: bytes, *, name: str, id_number: str) -> FaceResult: ...

    def compare(self, image: bytes, reference: bytes) -> FaceResult: ...


MAX_SIDE = 4096  # pixels: larger than any phone selfie a verifier accepts (Baidu: 4096)
UNDESCRIBED = 2**31 - 1  # the side reported for an image whose header claims a decompression bomb


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from the image's header only, or None when the header does not parse.

    Why header only: a 1 KB PNG can claim 60000 × 60000 pixels; its size must be refused before
    anything decodes it (the development verifier, or a paid call to the provider)."""
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL's DecompressionBombWarning: the caller refuses by size
            with Image.open(io.BytesIO(data)) as img:
                return int(img.size[0]), int(img.size[1])
    except Image.DecompressionBombError:
        return UNDESCRIBED, UNDESCRIBED  # PIL will not even describe it: it claims more than any limit
    except Exception:  # noqa: BLE001 - any header PIL cannot read is unusable
        return None


def sniff_image(data: bytes) -> str | None:
    """``"jpeg"``, ``"png"`` or ``"bmp"`` from the magic bytes (the formats Baidu accepts)."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:2] == b"BM":
        return "bmp"
    return None
