"""Anchor the audit chain's head with an RFC 3161 timestamp, and check stored anchors.

Why: the audit key keeps out whoever can only write to the database, but whoever also holds the
key could re-seal history. A timestamp authority signs the hash of the newest row at a moment
in time; rewriting anything before it changes that row's hash and no longer matches a token
that only the authority can issue. The worker anchors every ``AUDIT_ANCHOR_MINUTES`` (a
self-rescheduling RQ job, like the notify sweep); ``flask court audit anchor`` does it once.
Without a TSA the same job still moves the verified checkpoint, so page views stay cheap.

The chain is checked (incrementally, from the verified checkpoint) before its head is anchored,
so a broken chain is never timestamped as if it were sound.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from court import audit, audit_chain, db, periodic, queue
from court.models import AuditAnchor
from signing import pki, tsa
from signing import settings as signing_settings

log = logging.getLogger(__name__)
FULL_CHECK_EVERY = timedelta(days=1)


class ChainBroken(Exception):
    """The chain does not verify; it is not anchored (the operator runs `flask court audit verify`)."""


def _tsa_name(url: str) -> str:
    return "development TSA" if url == "dev" else url


def anchor_head() -> AuditAnchor | None:
    """Check the rows since the checkpoint and move it, then timestamp the head. None without a
    TSA (the checkpoint still moves) or when the head is already anchored. The TSA is called outside any transaction (on SQLite every
    transaction holds the write lock)."""
    settings = signing_settings.current()
    stamp = tsa.timestamper(settings)
    with db.transaction() as s:
        # incremental each time; the whole chain once a day, so an edit of an old row that no
        # page shows is still found without an operator running `flask court audit verify`
        full_at = audit_chain.last_full_check(s)
        full = full_at is None or db.utcnow() - full_at > FULL_CHECK_EVERY
        report = audit_chain.verify(s) if full else audit_chain.verify_recent(s)
        if not report.ok:
            first = report.first_broken or {}
            raise ChainBroken(f"audit chain broken at row {first.get('id')} ({first.get('problem')}); not anchoring")
        audit_chain.save_checkpoint(s, report)  # page views then check only rows newer than this
        if stamp is None:
            return None
        head = audit.head(s)
        latest = audit_chain.latest_anchor(s)
        if head is None or (latest is not None and latest.last_id == head.last_id):
            return None
        last_id, last_hash = head.last_id, head.last_hash
    token = stamp(audit_chain.anchor_digest(last_id, last_hash))
    with db.transaction() as s:
        return audit_chain.add_anchor(s, last_id, last_hash, token, _tsa_name(settings.tsa_url), _gen_time(token))


def _gen_time(token: bytes) -> datetime:
    from asn1crypto import cms

    info = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
    gen_time: datetime = info["gen_time"].native
    return gen_time


def _roots() -> list[Any]:
    """The roots a timestamp token must chain to: ``TSA_TRUST_ROOTS_PATH``, else the development
    TSA's root when ``TSA_URL=dev``. Only timestamp roots, so no other key the platform holds
    (seal, platform CA) can mint an anchor."""
    from asn1crypto import x509 as ax509

    settings = signing_settings.current()
    certs: list[x509.Certificate] = []
    if settings.tsa_trust_roots_path:
        certs = x509.load_pem_x509_certificates(Path(settings.tsa_trust_roots_path).read_bytes())
    elif settings.tsa_url == "dev":
        certs = [c for c in pki.dev_tsa(settings).chain if c.issuer == c.subject]
    return [ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]


def check_token(token: bytes, digest: bytes) -> str | None:
    """None when ``token`` is an intact timestamp over ``digest`` by a trusted authority, else
    what is wrong (registered with :func:`court.audit_chain.set_token_checker`)."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    try:
        roots = _roots()
    except (OSError, ValueError) as exc:
        return f"cannot read the timestamp authority's roots ({type(exc).__name__})"
    if not roots:
        return "no timestamp authority roots configured (TSA_URL=dev or TSA_TRUST_ROOTS_PATH)"
    try:
        signed_data = cms.ContentInfo.load(token)["content"]
        status = asyncio.run(validate_tst_signed_data(
            signed_data, ValidationContext(trust_roots=roots, allow_fetching=False), lambda _alg: digest))
    except Exception as exc:  # malformed token: report, never crash a page
        return f"unreadable timestamp token ({type(exc).__name__})"
    if not status.get("intact") or not status.get("valid"):
        return "the timestamp token's signature does not verify"
    if status.get("trust_problem_indic") is not None:
        return "the timestamp token is not from a trusted timestamp authority"
    return None


# --- the periodic job ------------------------------------------------------------------------

@queue.job("default", retry=False)
def anchor_job() -> None:
    """RQ job: anchor the head, then keep the chain of scheduled anchoring jobs alive."""
    from rq import get_current_job

    try:
        anchor = anchor_head()
        if anchor is not None:
            log.info("audit chain anchored at row %s (%s)", anchor.last_id, anchor.tsa)
    except ChainBroken as exc:
        log.error("%s", exc)
    finally:
        current = get_current_job()
        periodic.continue_chain(CHAIN, current.id if current else None)


CHAIN = periodic.Chain("audit-anchor", anchor_job, lambda: signing_settings.current().audit_anchor_minutes * 60)


def schedule_next(force: bool = False) -> bool:
    """Keep one self-rescheduling anchoring job queued (:mod:`court.periodic`)."""
    return periodic.schedule_next(CHAIN, force=force)


def ensure_scheduled() -> None:
    """Worker-start hook."""
    try:
        schedule_next(force=False)
    except Exception:  # Redis trouble: the next worker start tries again
        log.warning("could not schedule audit anchoring", exc_info=True)
