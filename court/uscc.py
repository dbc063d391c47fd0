"""Unified social credit codes (统一社会信用代码, GB 32100-2015) of organisations.

18 characters: registration authority (1), organisation type (1), region (6), the organisation
code (9) and a check character. The check character is computed over the first 17 characters
with the weights below, modulo 31, in the standard's 31-character alphabet (digits and capital
letters without I, O, Z, S, V). One module answers "is this a code?" so the console, the API and
the case service refuse the same inputs with the same words.
"""
from __future__ import annotations

from court import validation
from court.idnumbers import normalize

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 table 1: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (which must be in :data:`ALPHABET`)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(value: str) -> str | None:
    """Why ``value`` is not a unified social credit code (Chinese), or None when it is one."""
    v = normalize(value or "")
    if len(v) != LENGTH:
        return "统一社会信用代码应为18位"
    bad = next((c for c in v if c not in ALPHABET), None)
    if bad is not None:
        return "统一社会信用代码含有不允许的字符（不使用I、O、S、V、Z）"
    if not v[2:8].isdigit():
        return "统一社会信用代码第3至8位应为行政区划码（数字）"
    if check_character(v[:17]) != v[17]:
        return "统一社会信用代码校验位不正确，请核对"
    return None


def masked(value: str) -> str:
    """Codes are public (they are printed on business licences), so they are shown in full."""
    return normalize(value)


def validated(value: str) -> str:
    """The normalised code, or a DomainError the person can act on."""
    return validation.validated(value, problem, normalize, "bad_uscc")
