"""The public verify page's report for a stored file, reused instead of re-validated every time.

Validating a sealed PDF means a sandboxed child and pyHanko (``signing.verification.verify``):
about 0.7 s per code looked up, for an answer that cannot change while nothing it depends on does.
It depends on the file's bytes, the trust configuration (the trust roots, the platform CA, the seal
certificates accepted as the court's) and the validator (pyHanko's version and this report's
format), so all of them are in the key: a rotated seal, a removed root or an upgraded pyHanko
makes a new key, and the old "valid" is never served for the new configuration. The file itself is
read and hashed on every look-up (a changed file in the store is a new key); which stored document
the file is (and whether it is the court's original of a sealed one) is looked up fresh, being the
database's answer, not the file's.

Only reports without an error are kept (a file over the sandbox's time limit on a busy host is
tried again), for ``TTL_SECONDS``, in the cache Redis (``court.redis_conn.cache``, evictable);
when that Redis is away the file is simply validated. An uploaded file is never looked up here:
a stranger's file is validated fresh (``web_sign.verify.upload``).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from datetime import datetime
from functools import lru_cache
from importlib import metadata
from typing import Any

import redis
from sqlalchemy.orm import Session

from court import redis_conn
from signing import verification
from signing.settings import SigningSettings, current

log = logging.getLogger(__name__)

REPORT_FORMAT = "1"  # bump when SignatureReport or the checks change
TTL_SECONDS = 6 * 3600
PREFIX = "verify:report:"


@lru_cache(maxsize=1)
def validator_version() -> str:
    try:
        pyhanko = metadata.version("pyHanko")
    except metadata.PackageNotFoundError:  # pragma: no cover - signing needs it installed
        pyhanko = "none"
    return f"pyhanko-{pyhanko}/report-{REPORT_FORMAT}"


def trust_key(settings: SigningSettings, session: Session | None = None) -> str:
    """A digest of everything besides the file that decides the report."""
    roots, platform = verification.trust_roots_der(settings)
    parts = [validator_version(), "roots", *sorted(hashlib.sha256(r).hexdigest() for r in roots),
             "platform", *sorted(hashlib.sha256(p).hexdigest() for p in platform),
             "seals", *sorted(verification.accepted_fingerprints(settings, session))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def key_for(sha256: str, trust: str) -> str:
    return f"{PREFIX}{sha256}:{trust}"


def _dump(report: verification.VerifyReport) -> str:
    sigs = [asdict(sig) for sig in report.signatures]
    for sig in sigs:
        if isinstance(sig.get("signing_time"), datetime):
            sig["signing_time"] = sig["signing_time"].isoformat()
    return json.dumps({"signatures": sigs, "changed": report.changed_after_last_signature})


def _load(raw: str | bytes, sha256: str, size: int) -> verification.VerifyReport | None:
    try:
        data: dict[str, Any] = json.loads(raw)
        sigs = []
        for sig in data["signatures"]:
            if sig.get("signing_time"):
                sig["signing_time"] = datetime.fromisoformat(sig["signing_time"])
            sigs.append(verification.SignatureReport(**sig))
        return verification.VerifyReport(sha256=sha256, size=size, signatures=sigs,
                                         changed_after_last_signature=bool(data["changed"]))
    except (ValueError, KeyError, TypeError):  # an entry of another format: validate afresh
        return None


def verify_cached(pdf: bytes, *, settings: SigningSettings | None = None,
                  session: Session | None = None) -> verification.VerifyReport:
    """:func:`signing.verification.verify` for a file the court stored, reusing the report made for
    the same bytes under the same trust configuration."""
    settings = settings or current()
    sha256 = hashlib.sha256(pdf).hexdigest()
    key = key_for(sha256, trust_key(settings, session))
    try:
        raw = redis_conn.cache().get(key)
    except redis.RedisError as exc:
        log.warning("verify cache unavailable, validating: %s", type(exc).__name__)
        raw = None
    report = _load(raw, sha256, len(pdf)) if raw is not None else None
    if report is not None:
        if session is not None:
            verification.match_stored(session, report)
        return report
    report = verification.verify(pdf, settings=settings, session=session)
    if report.error is None:
        try:
            redis_conn.cache().set(key, _dump(report), ex=TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("verify cache unavailable, not kept: %s", type(exc).__name__)
    return report
