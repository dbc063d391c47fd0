"""Delete or anonymise personal data past its period (:mod:`court.retention` says which and when).

Why this shape:

* **Never the case file.** Only holdings outside the case file are touched, and each query
  excludes what a case refers to: a person who is a party, gave a consent or signed a receipt is
  not an "unjoined registration"; a message or delivery report of a case is not purged here.
* **The audit chain stays verifiable.** No ``audit_event`` row is read, changed or deleted (each
  row's HMAC covers all its fields, so anonymising one would read as tampering). The chain holds
  only ids and masked numbers. The run itself is recorded as one audit row with counts only.
* **Bounded and safe on several servers.** Work goes in batches of ``batch`` rows, each its own
  short transaction, at most ``max_batches`` per kind and run (the next daily run continues). On
  PostgreSQL a batch locks its rows with ``FOR UPDATE SKIP LOCKED``, so two purges at once take
  different rows and never wait on each other's batch; every count is the database's own row
  count of the change, so a row another purge got first is never counted twice.
* **Idempotent.** Every query selects only what is still there or not yet anonymised.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, delete, exists, func, select, update
from sqlalchemy.orm import Session

from court import audit, crypto, db, periodic, queue, redis_conn, retention
from court.models import (
    ChannelBinding,
    Consent,
    DeliveryReport,
    DevMessage,
    FaceConsent,
    IdentityCheck,
    Notification,
    NotificationStatus,
    Party,
    PartySession,
    Person,
    ServiceRecord,
)

log = logging.getLogger(__name__)
PURGED = "已清除"  # what an anonymised name or address reads
PURGED_HASH_PREFIX = "purged:"  # an anonymised person's lookup hash: unique, matches no ID number
BATCH, MAX_BATCHES = 500, 100
DAY_SECONDS = 86400
LANGUAGE_KEYS = "conv-lang:*"  # handlers/state.py's per-user language, written without an expiry
_EXPIRE_IF_NONE = "if redis.call('ttl', KEYS[1]) == -1 then return redis.call('expire', KEYS[1], ARGV[1]) end return 0"
_FINAL = (NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.OPENED,
          NotificationStatus.FAILED, NotificationStatus.CANCELLED)


@dataclass(frozen=True)
class Kind:
    """One purgeable holding: which rows are due, and what a batch does to the ids it locked."""

    key: str
    model: Any
    due: Callable[[datetime], list[ColumnElement[bool]]]
    apply: Callable[[Session, list[int]], int]


# --- which rows are due ----------------------------------------------------------------------

def _sessions_due(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [func.coalesce(PartySession.ended_at, PartySession.expires_at, PartySession.created_at) < cutoff]


def _unjoined_due(cutoff: datetime) -> list[ColumnElement[bool]]:
    """Registered before the cutoff, quiet since, and nothing in any case refers to them."""
    pid = Person.id
    return [
        ~Person.id_number_hash.startswith(PURGED_HASH_PREFIX),
        Person.created_at < cutoff,
        ~exists().where(Party.person_id == pid),
        ~exists().where(Consent.person_id == pid),
        ~exists().where(ServiceRecord.signed_by_person_id == pid),
        ~exists().where(PartySession.person_id == pid,
                        func.coalesce(PartySession.ended_at, PartySession.expires_at, PartySession.created_at)
                        >= cutoff),
        ~exists().where(IdentityCheck.person_id == pid, IdentityCheck.requested_at >= cutoff),
        ~exists().where(ChannelBinding.person_id == pid, ChannelBinding.created_at >= cutoff),
    ]


def _failed_checks_due(cutoff: datetime) -> list[ColumnElement[bool]]:
    cid = IdentityCheck.id
    return [IdentityCheck.status != "pass", IdentityCheck.requested_at < cutoff,
            ~exists().where(ChannelBinding.verified_by_check_id == cid),
            ~exists().where(PartySession.pending_check_id == cid)]


def _outbox_due(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [Notification.case_id.is_(None), Notification.created_at < cutoff,
            Notification.status.in_(_FINAL), Notification.address != PURGED]


def _reports_due(cutoff: datetime) -> list[ColumnElement[bool]]:
    of_a_case = exists().where(Notification.id == DeliveryReport.notification_id, Notification.case_id.is_not(None))
    return [DeliveryReport.received_at < cutoff, ~of_a_case]


def _dev_due(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [DevMessage.created_at < cutoff]


# --- what a batch does -----------------------------------------------------------------------

def _deleter(model: Any) -> Callable[[Session, list[int]], int]:
    def apply(s: Session, ids: list[int]) -> int:
        return db.rowcount(s.execute(delete(model).where(model.id.in_(ids))))
    return apply


def _keep_face_count(s: Session, person_ids: Any) -> None:
    """Before face checks are deleted, note on the person that their face was processed: the
    operator's filing count (``face_consent.people_processed``) is of everyone ever processed,
    and must not shrink because the checks themselves were purged."""
    latest = (select(func.max(func.coalesce(IdentityCheck.decided_at, IdentityCheck.requested_at)))
              .where(IdentityCheck.person_id == Person.id, IdentityCheck.method == "face",
                     IdentityCheck.status != "pending").scalar_subquery())
    s.execute(update(Person).where(Person.id.in_(person_ids), Person.face_checked_at.is_(None))
              .values(face_checked_at=latest).execution_options(synchronize_session=False))


def _delete_checks(s: Session, ids: list[int]) -> int:
    _keep_face_count(s, select(IdentityCheck.person_id).where(IdentityCheck.id.in_(ids)))
    return db.rowcount(s.execute(delete(IdentityCheck).where(IdentityCheck.id.in_(ids))))


def _anonymise_people(s: Session, ids: list[int]) -> int:
    """Keep the row (outbox rows and audit subjects name it) but nothing that identifies the
    person: their sessions, bindings (WeChat openids, phones), checks and face answers go. The
    time of their last face check stays, without its result (:func:`_keep_face_count`)."""
    _keep_face_count(s, ids)
    for model in (PartySession, ChannelBinding, FaceConsent, IdentityCheck):
        s.execute(delete(model).where(model.person_id.in_(ids)))
    return db.rowcount(s.execute(
        update(Person).where(Person.id.in_(ids), ~Person.id_number_hash.startswith(PURGED_HASH_PREFIX))
        .values(real_name=PURGED, id_number_enc=crypto.encrypt(""), id_number_masked="",
                id_number_hash=PURGED_HASH_PREFIX + cast(Person.id, String), phone=None, phone_verified_at=None,
                face_verified_at=None, face_provider=None, face_score=None, face_result=None, face_log_id=None)
        .execution_options(synchronize_session=False)))


def _anonymise_outbox(s: Session, ids: list[int]) -> int:
    return db.rowcount(s.execute(
        update(Notification).where(Notification.id.in_(ids), Notification.address != PURGED)
        .values(address=PURGED, params={}, error=None).execution_options(synchronize_session=False)))


KINDS: tuple[Kind, ...] = (
    Kind("party_session", PartySession, _sessions_due, _deleter(PartySession)),
    Kind("unjoined_registration", Person, _unjoined_due, _anonymise_people),
    Kind("failed_identity_check", IdentityCheck, _failed_checks_due, _delete_checks),
    Kind("outbox_no_case", Notification, _outbox_due, _anonymise_outbox),
    Kind("delivery_report_no_case", DeliveryReport, _reports_due, _deleter(DeliveryReport)),
    Kind("dev_message", DevMessage, _dev_due, _deleter(DevMessage)),
)


def _cutoff(key: str, now: datetime) -> datetime | None:
    period = retention.days(key)
    return None if period is None else now - timedelta(days=period)


def _lock_batch(s: Session, kind: Kind, cutoff: datetime, limit: int, after: int) -> list[int]:
    """The next due ids after ``after`` (so a run never rescans rows it kept), locked."""
    q = select(kind.model.id).where(kind.model.id > after, *kind.due(cutoff)).order_by(kind.model.id).limit(limit)
    if db.is_postgres():
        q = q.with_for_update(skip_locked=True, of=kind.model)
    return list(s.scalars(q))


def _run_kind(kind: Kind, cutoff: datetime, *, batch: int, max_batches: int) -> int:
    done, after = 0, 0
    for _ in range(max_batches):
        with db.transaction() as s:
            ids = _lock_batch(s, kind, cutoff, batch, after)
            if ids:
                done += kind.apply(s, ids)
        if len(ids) < batch:
            break
        after = ids[-1]
    return done


def _count_kind(kind: Kind, cutoff: datetime) -> int:
    s = db.session()
    try:
        return int(s.scalar(select(func.count()).select_from(kind.model).where(*kind.due(cutoff))) or 0)
    finally:
        s.rollback()


def _language_keys(period_days: int | None, *, dry_run: bool, limit: int) -> int:
    """Give every conversation-language key without an expiry one of ``period_days``: a key a
    returning user rewrites loses its expiry and gets a fresh one on the next run, so the
    preference lasts that long after the user's last visit. The check and the expiry are one
    Lua call, so two servers never both count the same key."""
    if period_days is None:
        return 0
    r = redis_conn.client()
    done = 0
    for seen, key in enumerate(r.scan_iter(match=LANGUAGE_KEYS, count=BATCH)):
        if seen >= limit:
            break
        if dry_run:
            done += int(r.ttl(key) == -1)
        else:
            done += int(r.eval(_EXPIRE_IF_NONE, 1, key, period_days * DAY_SECONDS))
    return done


def purge(*, dry_run: bool = False, now: datetime | None = None, batch: int = BATCH,
          max_batches: int = MAX_BATCHES) -> dict[str, int]:
    """Purge everything past its period; returns what was (or, with ``dry_run``, would be)
    deleted or anonymised per holding key. A real run leaves one audit row with these counts."""
    now = now or db.utcnow()
    counts: dict[str, int] = {}
    for kind in KINDS:
        cutoff = _cutoff(kind.key, now)
        if cutoff is None:
            counts[kind.key] = 0
        elif dry_run:
            counts[kind.key] = _count_kind(kind, cutoff)
        else:
            counts[kind.key] = _run_kind(kind, cutoff, batch=batch, max_batches=max_batches)
    counts["conversation_language"] = _language_keys(retention.days("conversation_language"), dry_run=dry_run,
                                                     limit=batch * max_batches)
    if not dry_run:
        with db.transaction() as s:
            audit.record(s, "retention.purged", actor="system", details={"counts": counts})
    log.info("retention purge%s: %s", " (dry run)" if dry_run else "", counts)
    return counts


# --- the daily job ---------------------------------------------------------------------------

@queue.job("default", retry=False)
def purge_job() -> dict[str, int]:
    """The daily run (an RQ scheduler chain like the flow sweep's; safe beside another run)."""
    from rq import get_current_job

    try:
        return purge()
    finally:
        current = get_current_job()
        periodic.continue_chain(CHAIN, current.id if current else None)


CHAIN = periodic.Chain("retention-purge", purge_job, lambda: DAY_SECONDS)


def ensure_scheduled() -> None:
    periodic.ensure(CHAIN)
