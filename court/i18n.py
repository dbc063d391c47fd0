"""Translations: Simplified Chinese is the source language; English comes from a gettext catalogue.

Source strings are written in Chinese in the code (``_("案件不存在")``). ``translations/en/
LC_MESSAGES/messages.po`` holds the English. The current locale is a context variable the web
layer sets per request and the bot sets per user, so lower layers need no request object.
"""
from __future__ import annotations

import contextvars
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_Hans_CN"
SUPPORTED = ("zh_Hans_CN", "en")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LOCALE)
_DIR = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=8)
def _catalogue(locale: str) -> dict[str, str]:
    path = _DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=locale)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def normalize(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    low = locale.lower().replace("-", "_")
    return "en" if low.startswith("en") else DEFAULT_LOCALE


def set_locale(locale: str | None) -> contextvars.Token[str]:
    return _current.set(normalize(locale))


def get_locale() -> str:
    return _current.get()


def translate(message: str, locale: str | None = None) -> str:
    loc = normalize(locale) if locale else _current.get()
    if loc == DEFAULT_LOCALE:
        return message
    return _catalogue(loc).get(message, message)


def _(message: str, **params: object) -> str:
    """Translate into the current locale and fill ``{name}`` placeholders."""
    text = translate(message)
    return text.format(**params) if params else text


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a message for the catalogue (scripts/i18n.py extracts ``N_``); translated where shown."""
    return message
