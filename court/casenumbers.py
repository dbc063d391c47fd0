"""Court case numbers (案号, e.g. ``（2026）京0491民初123号``): one normalisation for every layer.

People type the year's brackets in many ways — ASCII ``(2026)``, full-width ``（2026）``, the
official hexagonal ``〔2026〕``, square ``[2026]`` / ``【2026】`` — with spaces and full-width
digits. Stored, searched and shown, a case number always has the full-width round brackets of the
SPC's rules on case numbers, written once: callers print ``case.number`` as it is, never inside
another pair of brackets.
"""
from __future__ import annotations

import re
import unicodedata

from court import validation

_OPEN = str.maketrans({"(": "（", "〔": "（", "[": "（", "【": "（", "［": "（", "﹝": "（"})
_CLOSE = str.maketrans({")": "）", "〕": "）", "]": "）", "】": "）", "］": "）", "﹞": "）"})
PATTERN = re.compile(r"^（\d{4}）\S{2,40}号$")
EXAMPLE = "（2026）京0491民初123号"


def normalize(value: str) -> str:
    """``( 2026 )京0491民初１２３号`` → ``（2026）京0491民初123号`` (works on fragments too, for search)."""
    # NFKC turns full-width digits into ASCII and （） into (); the brackets are then made full-width again
    v = unicodedata.normalize("NFKC", value or "")
    v = "".join(v.split())
    return v.translate(_OPEN).translate(_CLOSE)


def problem(value: str) -> str | None:
    return None if PATTERN.match(normalize(value)) else "案号格式不正确，例如：（2026）京0491民初123号"


def validated(value: str) -> str:
    """The normalised case number, or a DomainError the person can act on."""
    return validation.validated(value, problem, normalize, "bad_case_number")
