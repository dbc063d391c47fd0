"""The one shape of every validator of what people type (names, ID numbers, phones, case numbers,
credit codes).

Each of those modules says why a value is wrong (``problem``, in words the person can act on)
and how it is written once accepted (``normalize``). :func:`validated` turns the two into "the
normalised value, or a :class:`DomainError`", so the bot, the party pages, the console and the
API refuse the same input with the same words and the same code.
"""
from __future__ import annotations

from collections.abc import Callable

from court.errors import DomainError


def validated(value: str, problem: Callable[[str], str | None], normalize: Callable[[str], str],
              code: str) -> str:
    """``normalize(value)``, or a DomainError carrying ``problem(value)`` and ``code``."""
    reason = problem(value)
    if reason:
        raise DomainError(reason, code=code)
    return normalize(value)
