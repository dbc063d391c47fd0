"""Verify and anchor the audit log written by :mod:`court.audit`; re-seal legacy rows once.

Why anchored: whoever holds the audit key could still rewrite history. The head is periodically
timestamped by an RFC 3161 authority (``signing.audit_anchor``); the token signs the hash of
the anchored row, so a rewrite before an anchor is found even with the key.

Checking is incremental: a full check (``flask court audit verify``) stores a checkpoint
sealed with the key, and a page view checks only the rows after it, plus the rows it shows.
Why its own module: recording sits in every service's transaction and must stay small;
checking walks the whole chain, reads anchors and checkpoints, and answers the auditor.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from court import db
from court.audit import GENESIS, canonical, current_key, lock_head, record, seal
from court.models import AuditAnchor, AuditCheckpoint, AuditEvent, AuditHead

_BATCH = 1000
# signing/ registers the check of a token's TSA signature (court/ cannot import it); it returns
# None when the token is good, else what is wrong with it
TokenChecker = Callable[[bytes, bytes], "str | None"]
_token_checker: TokenChecker | None = None
# with anchoring configured: rows older than this must be covered by a good anchor (else the
# anchors were deleted, or anchoring stopped: either way the auditor must hear of it)
_max_unanchored: timedelta | None = None


def set_token_checker(checker: TokenChecker | None, max_unanchored: timedelta | None = None) -> None:
    """Register how tokens are checked and, when anchoring runs, how old a row may be before a
    missing anchor counts as a problem."""
    global _token_checker, _max_unanchored
    _token_checker, _max_unanchored = checker, max_unanchored


# --- checking --------------------------------------------------------------------------------

@dataclass
class ChainReport:
    """What a check found. ``problems`` are in chain order, so the first is the first broken row."""

    ok: bool
    checked: int
    problems: list[dict[str, Any]] = field(default_factory=list)
    from_id: int = 1  # 1: the whole chain; more: rows after a verified checkpoint
    last_id: int = 0
    last_hash: str = GENESIS
    anchored_id: int | None = None  # the newest row covered by a good timestamp anchor
    anchored_at: datetime | None = None

    @property
    def first_broken(self) -> dict[str, Any] | None:
        ids = [p for p in self.problems if p.get("id") is not None]
        return min(ids, key=lambda p: p["id"]) if ids else (self.problems[0] if self.problems else None)


def _problem(row_id: int | None, kind: str, detail: str) -> dict[str, Any]:
    return {"id": row_id, "problem": kind, "detail": detail}


def _check_row(ev: AuditEvent, expected_prev: str) -> list[dict[str, Any]]:
    out = []
    if ev.prev_hash != expected_prev:
        out.append(_problem(ev.id, "broken_link", "prev_hash does not match the row before"))
    expected = seal(ev)
    if ev.key_id is None:
        if not hmac.compare_digest(expected or "", ev.hash):
            out.append(_problem(ev.id, "edited", "content does not match its hash"))
        out.append(_problem(ev.id, "unsealed", "sealed with plain SHA-256, not the audit key; run "
                                               "`flask court audit rekey` once after upgrading"))
    else:
        if expected is None:
            out.append(_problem(ev.id, "unknown_key", f"sealed with key {ev.key_id}, which is neither AUDIT_KEY "
                                                      "nor in AUDIT_RETIRED_KEYS"))
        elif not hmac.compare_digest(expected, ev.hash):
            out.append(_problem(ev.id, "edited", "content does not match its keyed hash"))
    return out


def _walk(s: Session, after_id: int, prev_hash: str, report: ChainReport,
          progress: Callable[[int], None] | None = None) -> None:
    """Check every row after ``after_id`` in order, chained from ``prev_hash``."""
    expected_prev, expected_id = prev_hash, after_id + 1
    q = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
    for ev in s.scalars(q.execution_options(yield_per=_BATCH)):
        report.checked += 1
        if ev.id != expected_id:
            report.problems.append(_problem(expected_id, "deleted", f"rows {expected_id}..{ev.id - 1} missing"))
        report.problems += _check_row(ev, expected_prev)
        expected_prev, expected_id = ev.hash, ev.id + 1
        if progress is not None and report.checked % _BATCH == 0:
            progress(_BATCH)
    if progress is not None:
        progress(report.checked % _BATCH)
    report.last_id, report.last_hash = expected_id - 1, expected_prev
    head = s.get(AuditHead, 1)
    if head is not None and (head.last_id != report.last_id or head.last_hash != report.last_hash):
        report.problems.append(_problem(head.last_id, "deleted", "newest rows missing"))
    if head is None and report.last_id:
        report.problems.append(_problem(None, "edited", "chain head missing"))


def anchor_digest(last_id: int, last_hash: str) -> bytes:
    """What a timestamp anchor signs: the anchored row's position and hash."""
    return hashlib.sha256(f"court-audit-anchor:{last_id}:{last_hash}".encode()).digest()


def token_imprint(token: bytes) -> bytes | None:
    """The SHA-256 message imprint inside a DER TimeStampToken (None if unreadable)."""
    from asn1crypto import cms, tsp

    try:
        content = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
        if not isinstance(content, tsp.TSTInfo):
            return None
        return bytes(content["message_imprint"]["hashed_message"].native)
    except (ValueError, TypeError, KeyError):
        return None


def _check_anchors(s: Session, anchors: Sequence[AuditAnchor], report: ChainReport) -> None:
    """An anchor is good when the row it names still has the hash that the authority timestamped.

    The imprint is compared with the row's *current* hash, never with the copy stored beside
    the token, and the token's signature is checked by the registered checker."""
    for anchor in anchors:
        row = s.get(AuditEvent, anchor.last_id)
        when = anchor.gen_time.isoformat(timespec="seconds")
        if row is None:
            report.problems.append(_problem(anchor.last_id, "deleted", f"row anchored by #{anchor.id} ({when}) missing"))
            continue
        imprint = token_imprint(anchor.token)
        if imprint is None or not hmac.compare_digest(imprint, anchor_digest(row.id, row.hash)):
            report.problems.append(_problem(row.id, "anchor_mismatch",
                                            f"history up to this row differs from anchor #{anchor.id} timestamped {when}"))
            continue
        bad = _token_checker(anchor.token, anchor_digest(row.id, row.hash)) if _token_checker else None
        if bad:
            report.problems.append(_problem(row.id, "anchor_invalid", f"anchor #{anchor.id}: {bad}"))
            continue
        if report.anchored_id is None or row.id > report.anchored_id:
            report.anchored_id, report.anchored_at = row.id, anchor.gen_time


def _finish(report: ChainReport) -> ChainReport:
    report.problems.sort(key=lambda p: (p["id"] is None, p["id"] or 0))
    report.ok = not report.problems
    return report


def count(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def verify(s: Session, *, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the whole chain and every anchor; report every edited, deleted, out-of-order,
    unsealed or re-written row. ``progress`` is called with the number of rows just checked."""
    report = ChainReport(ok=True, checked=0)
    _walk(s, 0, GENESIS, report, progress)
    _check_anchors(s, list(s.scalars(select(AuditAnchor).order_by(AuditAnchor.id))), report)
    _check_anchored_in_time(s, report)
    return _finish(report)


def _check_anchored_in_time(s: Session, report: ChainReport) -> None:
    if _max_unanchored is None:
        return
    due = s.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.at < db.utcnow() - _max_unanchored))
    if due and due > (report.anchored_id or 0):
        report.problems.append(_problem(due, "unanchored", f"no valid timestamp anchor covers this row, older than "
                                                          f"{_max_unanchored} (anchors deleted, or anchoring stopped)"))


def _checkpoint_mac(cp: AuditCheckpoint) -> str:
    _kid, key = current_key()
    full = cp.full_at.isoformat(timespec="microseconds") if cp.full_at else ""
    return hmac.new(key, f"checkpoint:{cp.last_id}:{cp.last_hash}:{full}".encode(), hashlib.sha256).hexdigest()


def save_checkpoint(s: Session, report: ChainReport) -> bool:
    """Remember how far ``report`` verified the chain (only a clean report moves it)."""
    if not report.ok or not report.last_id:
        return False
    cp = s.get(AuditCheckpoint, 1) or AuditCheckpoint(id=1)
    cp.last_id, cp.last_hash, cp.at = report.last_id, report.last_hash, db.utcnow()
    if report.from_id == 1:
        cp.full_at = cp.at
    cp.mac = _checkpoint_mac(cp)
    s.add(cp)
    s.flush()
    return True


def _trusted_checkpoint(s: Session) -> AuditCheckpoint | None:
    """The checkpoint, if it is sealed with the current key and its row still carries its hash."""
    cp = s.get(AuditCheckpoint, 1)
    if cp is None or not hmac.compare_digest(cp.mac, _checkpoint_mac(cp)):
        return None
    row = s.get(AuditEvent, cp.last_id)
    return cp if row is not None and row.hash == cp.last_hash else None


def last_full_check(s: Session) -> datetime | None:
    """When the whole chain was last verified (by the CLI or the daily job), if ever."""
    cp = _trusted_checkpoint(s)
    return cp.full_at if cp is not None else None


def verify_recent(s: Session, rows: Sequence[AuditEvent] = ()) -> ChainReport:
    """The cheap check for page views: rows after the verified checkpoint, the anchors after it,
    and each of ``rows`` (the ones on screen) with the link to the row before it."""
    cp = _trusted_checkpoint(s)
    if cp is None:
        return verify(s)
    report = ChainReport(ok=True, checked=0, from_id=cp.last_id + 1)
    _walk(s, cp.last_id, cp.last_hash, report)
    _check_anchors(s, list(s.scalars(select(AuditAnchor).where(AuditAnchor.last_id > cp.last_id)
                                     .order_by(AuditAnchor.id))), report)
    older = [ev for ev in rows if ev.id <= cp.last_id]
    prev = {ev.id: ev.hash for ev in s.scalars(
        select(AuditEvent).where(AuditEvent.id.in_([ev.id - 1 for ev in older])))} if older else {}
    for ev in older:
        report.checked += 1
        report.problems += _check_row(ev, prev.get(ev.id - 1, GENESIS if ev.id == 1 else "(missing)"))
    return _finish(report)


def latest_anchor(s: Session) -> AuditAnchor | None:
    return s.scalar(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1))


def add_anchor(s: Session, last_id: int, last_hash: str, token: bytes, tsa: str, gen_time: datetime) -> AuditAnchor:
    """Store a timestamp token over row ``last_id`` (the caller obtained it for :func:`anchor_digest`)."""
    anchor = AuditAnchor(last_id=last_id, last_hash=last_hash, token=token, tsa=tsa[:200], gen_time=gen_time)
    s.add(anchor)
    s.flush()
    return anchor


# --- upgrading legacy rows -------------------------------------------------------------------

class RekeyRefused(Exception):
    """Re-sealing would hide something: the chain is broken, or anchors pin today's hashes."""


def rekey(s: Session, *, progress: Callable[[int], None] | None = None) -> int:
    """Re-seal every row under the current key, once, after upgrading from plain SHA-256.

    Refuses when the chain does not verify under its old seals (re-sealing would launder an
    edit) or when anchors exist (they pin the current hashes; rotate with retired keys instead).
    Returns the number of rows re-sealed; records ``audit.rekeyed``."""
    if s.scalar(select(func.count()).select_from(AuditAnchor)):
        raise RekeyRefused("timestamp anchors exist; rotate keys with AUDIT_RETIRED_KEYS instead of re-sealing")
    before = verify(s)
    wrong = [p for p in before.problems if p["problem"] != "unsealed"]
    if wrong:
        raise RekeyRefused(f"the chain is broken at row {wrong[0]['id']} ({wrong[0]['problem']}); not re-sealing")
    kid, key = current_key()
    head_row = lock_head(s)
    prev, done, after = GENESIS, 0, 0
    while True:
        batch = list(s.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(_BATCH)))
        if not batch:
            break
        for ev in batch:
            ev.prev_hash, ev.key_id = prev, kid
            ev.hash = hmac.new(key, canonical(ev), hashlib.sha256).hexdigest()
            prev, after = ev.hash, ev.id
            s.flush()
        done += len(batch)
        if progress is not None:
            progress(len(batch))
    if head_row is not None:
        head_row.last_id, head_row.last_hash = after, prev
    cp = s.get(AuditCheckpoint, 1)
    if cp is not None:
        s.delete(cp)
    s.flush()
    record(s, "audit.rekeyed", actor="cli", details={"rows": done, "key_id": kid})
    return done
