"""Mainland China mobile numbers: one normalisation for every layer (court rules compare
addresses; identity/ and the staff pages take what people type)."""
from __future__ import annotations

import re
import unicodedata

from court import validation

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize(value: str) -> str:
    """``+86 138-1234-5678`` / full-width digits → ``13812345678``."""
    v = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", value or ""))
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    elif v.startswith("86") and len(v) == 13:
        v = v[2:]
    return v


def problem(value: str) -> str | None:
    return None if _MOBILE.match(normalize(value)) else "请输入正确的11位中国大陆手机号码"


def validated(value: str) -> str:
    """The normalised number, or a DomainError the person can act on."""
    return validation.validated(value, problem, normalize, "bad_phone")
