"""Real names of people, as printed on the resident identity card: one rule for every channel.

Why these rules: registration proves identity with an 18-digit resident identity card number
(:mod:`court.idnumbers`) and a face check against the national record, so the name must be the one
on that card. Such names are written in Chinese characters, including the rare characters of the
extension planes that many real names use (``王䶮``: Extension A; ``吉𠮷``: Extension B), and
minority or transliterated names join their parts with a middle dot (``买买提·艾力``).

Foreign names in Latin letters (``John Smith``) are *not* accepted here, and this is refused at the
very step where the name is typed: foreigners and people from Hong Kong, Macao and Taiwan have no
resident identity card number, so registration could not finish for them anyway; the message tells
them to ask the court, which verifies them in person (:mod:`court.services.staff_identity`).
Court staff may still enter any party name (organisations, foreigners) on a case: that is a party
record, not a real-name registration, and :mod:`court.services.cases` keeps its own looser check.
"""
from __future__ import annotations

import re
import unicodedata

from court import validation

# CJK Unified Ideographs with every extension (A; B–F; G–H), compatibility ideographs, and 〇
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U0002f800-\U0002fa1f\U00030000-\U000323af"
_NAME = re.compile(rf"^[{_HAN}]+(?:·[{_HAN}]+)*$")
# the look-alikes of the middle dot that phones and keyboards type
_DOTS = str.maketrans({"•": "·", "∙": "·", "‧": "·", "・": "·", ".": "·", "．": "·", "｡": "·", "-": "·"})
_LATIN = re.compile(r"[A-Za-z]")
MIN_CHARS, MAX_CHARS = 2, 30


def normalize(value: str) -> str:
    """Full-width forms folded (NFKC), spaces dropped, every middle-dot look-alike made ``·``."""
    v = unicodedata.normalize("NFKC", value or "").translate(_DOTS)
    return "".join(v.split())


def problem(value: str) -> str | None:
    """Why ``value`` is not a name this platform can register (Chinese), or None."""
    v = normalize(value)
    if not v:
        return "请输入您的真实姓名"
    if _LATIN.search(v):
        return "请输入与身份证一致的中文姓名。外籍人士及港澳台居民暂不能在线实名认证，请联系承办法院现场核验身份"
    if not MIN_CHARS <= len(v) <= MAX_CHARS or not _NAME.match(v):
        return "请输入与身份证一致的真实姓名（中文，少数民族姓名可用“·”分隔）"
    return None


def validated(value: str) -> str:
    """The normalised name, or a DomainError the person can act on."""
    return validation.validated(value, problem, normalize, "bad_name")
