"""Mainland China mobile numbers: normalising what people type, and a hash to key limits by."""
from __future__ import annotations

from court import crypto
from court.phones import normalize, problem, validated

__all__ = ["normalize", "problem", "subject", "validated"]


def subject(phone: str) -> str:
    """The keyed hash used for Redis keys and rate limits (never the number in clear)."""
    return crypto.lookup_hash(f"phone:{normalize(phone)}")[:32]
