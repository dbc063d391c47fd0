"""Consent to electronic service: the rules and records live in :mod:`court.services.consent`
(one home, asked by every channel); these names stay for the callers in ``identity/`` and
``handlers/``."""
from __future__ import annotations

from court.services.consent import (
    ATTENTION,
    DECLINED,
    METHODS,
    active,
    answer,
    decline,
    give,
    has_consent,
    may_serve,
    withdraw,
    withdraw_for,
)
from court.services.consent_text import CHANNELS, consent_text

__all__ = ["ATTENTION", "CHANNELS", "DECLINED", "METHODS", "active", "answer", "consent_text", "decline", "give",
           "has_consent", "may_serve", "withdraw", "withdraw_for"]
