"""Whose signature is this? Verification pins trust to the court's own certificates.

Chaining to a trusted root is not enough: the seal's root CA (a licensed CA in production)
certifies many organisations, and the platform CA certifies every party. So a signature is
shown as the court's seal only when its certificate is one of the court's own seal
certificates (by SHA-256 fingerprint, several during a rotation), and as a party's or staff
member's signature only when its certificate was issued by the platform CA (one-use event
certificates). Anything else is "not issued by this court", however valid its chain.

:func:`classify` is the whole rule; it takes the set of accepted seal fingerprints, so any
source of them (settings today, a per-court seal register tomorrow) can feed it.
"""
from __future__ import annotations

from dataclasses import dataclass

from signing import pki
from signing.settings import SigningSettings

COURT_SEAL = "court_seal"
PLATFORM = "platform"
FOREIGN = "foreign"


@dataclass(frozen=True)
class Role:
    """What a signature is (``court_seal`` | ``platform`` | ``foreign``) and, if it fails the
    trust pin, which check failed (a code of :data:`signing.verification.CHECKS`)."""

    kind: str
    failed: str | None = None


def classify(fingerprint: str, *, certification: bool, platform_issued: bool,
             court_fingerprints: frozenset[str]) -> Role:
    """The trust pin for one signature (``fingerprint``: SHA-256 hex of its certificate)."""
    if fingerprint.lower() in court_fingerprints:
        return Role(COURT_SEAL)
    if certification:  # the certification signature is the court's seal, or nothing
        return Role(FOREIGN, "seal_not_court")
    if platform_issued:
        return Role(PLATFORM)
    return Role(FOREIGN, "not_this_court")


def court_fingerprints(settings: SigningSettings) -> frozenset[str]:
    """The seal certificates accepted as this court's: ``SEAL_FINGERPRINTS`` (rotation: list the
    old and the new), else the configured seal certificate."""
    listed = {f.strip().lower().replace(":", "") for f in settings.seal_fingerprints.split(",") if f.strip()}
    if listed:
        return frozenset(listed)
    return frozenset({pki.fingerprint(pki.seal_credentials(settings).cert)})
