"""The development verifier: offline, checks what it can, says so on every result."""
import pytest

from identity.face import base, check_now
from tests.support.factories import id_number
from tests.support.identity import face_photo


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_clear_face_sized_photo_passes_and_says_development(app, fmt):
    result = check_now(None, face_photo(fmt=fmt), "张三", id_number())
    assert result.ok and result.code == base.PASS and result.development
    assert result.provider == "development"
    assert "开发环境模拟核验" in result.message_zh
    assert "development check" in result.message_en


@pytest.mark.parametrize("kind, code", [
    ("dark", base.POOR_LIGHT),
    ("bright", base.POOR_LIGHT),
    ("blurry", base.BLURRY),
    ("blank", base.NO_FACE),
    ("small", base.BAD_IMAGE),
])
def test_unusable_photos_fail_with_the_same_messages_as_production(app, kind, code):
    result = check_now(None, face_photo(kind), "张三", id_number())
    assert not result.ok and result.code == code and result.development
    assert result.message_zh.endswith("（开发环境模拟核验，未与公安身份库比对）")


def test_not_an_image(app):
    result = check_now(None, b"\xff\xd8\xff truncated", "张三", id_number())
    assert result.code == base.BAD_IMAGE


def test_malformed_identity(app):
    result = check_now(None, face_photo(), "张三", "110105194912310021")
    assert result.code == base.MISMATCH
