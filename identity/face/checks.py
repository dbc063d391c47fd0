"""Running face checks: queued for a channel (the bot, the web pages) or at once (CLI, tests).

A queued check never puts the selfie in the database or in the job's arguments: the image
waits in Redis, AES-GCM encrypted, under a random check id with a short TTL, and is deleted as
soon as the worker has read it (or when the TTL ends). Only the outcome, score, provider log
id and time are kept: on the :class:`Person` and in the audit log.
"""
from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from court import audit, crypto, db, queue, ratelimit, redis_conn
from court.errors import DomainError, NotFound, RateLimited
from court.models import Person
from court.services import face_consent
from identity import settings
from identity.face import base, registry
from identity.face.base import FaceResult

log = logging.getLogger(__name__)

JOB = "identity.jobs.face_check"
RL_SCOPE = "face-check"
DAY = 86400
_IMAGE_CONTEXT = b"face-image"
_REPLY_CONTEXT = b"face-reply"


def _req_key(check_id: str) -> str:
    return f"identity:face:req:{check_id}"


def _reply_key(check_id: str) -> str:
    return f"identity:face:reply:{check_id}"


def _done_key(check_id: str) -> str:
    return f"identity:face:done:{check_id}"


def _daily_limit() -> ratelimit.Limit:
    return ratelimit.Limit(settings.current().face_daily_attempts, DAY)


def check_upload(image: bytes) -> None:
    """Refuse what no verifier can use before it costs an attempt (or a paid API call)."""
    cfg = settings.current()
    if not image:
        raise DomainError("没有收到照片，请重新拍摄", code="face_image_missing")
    if len(image) > cfg.face_max_image_bytes:
        raise DomainError("照片太大，请上传不超过{mb}MB的照片", code="face_image_too_large",
                          mb=cfg.face_max_image_bytes // (1024 * 1024))
    if base.sniff_image(image) is None:
        raise DomainError("照片格式不支持，请上传 JPG 或 PNG 照片", code="face_image_format")


def attempts_left(person_id: int) -> int:
    return ratelimit.remaining(RL_SCOPE, str(person_id), _daily_limit())


def request_check(s: Session, person_id: int, image: bytes, *, holder_id: str,
                  reply_to: dict[str, Any] | None = None) -> None:
    """Queue a face check of ``image`` for the person (job ``identity.jobs.face_check``).

    Refused (``face_consent_needed``) unless the person separately agreed to the face notice in
    this conversation or session (``holder_id``): the photo is then dropped unread.

    ``reply_to``, when given, must carry ``"job"``: a dotted job path that is enqueued with
    ``(reply_to, outcome)`` once the check is done (``outcome``: ok, code, message_zh,
    message_en, score, development), so the channel can tell the user. The job is sent after
    the caller's transaction commits. At most ``FACE_DAILY_ATTEMPTS`` a day per person.
    """
    cfg = settings.current()
    person = s.get(Person, person_id)
    if person is None:
        raise NotFound("请先完成实名登记", code="person_not_found")
    agreed = face_consent.require(s, person_id=person_id, holder_id=holder_id)
    if reply_to is not None and not (isinstance(reply_to.get("job"), str) and "." in reply_to["job"]):
        raise ValueError("reply_to needs a dotted job path under 'job'")
    check_upload(image)
    limit = _daily_limit()
    subject = str(person_id)
    if ratelimit.remaining(RL_SCOPE, subject, limit) <= 0:
        raise RateLimited("今天的人脸识别次数已用完（每天最多{count}次），请明天再试", code="face_attempts_used",
                          retry_after=ratelimit.retry_after(RL_SCOPE, subject, limit), count=limit.count)
    ratelimit.hit(RL_SCOPE, subject, limit, message="今天的人脸识别次数已用完，请明天再试")

    check_id = secrets.token_urlsafe(18)
    r = redis_conn.client()
    pipe = r.pipeline()
    pipe.set(_req_key(check_id), crypto.encrypt_bytes(image, _IMAGE_CONTEXT), ex=cfg.face_image_ttl_seconds)
    if reply_to is not None:
        pipe.set(_reply_key(check_id), crypto.encrypt_bytes(json.dumps(reply_to).encode(), _REPLY_CONTEXT), ex=DAY)
    pipe.execute()
    audit.record(s, "identity.face_check_requested", actor=f"person:{person_id}", subject=f"person:{person_id}",
                 details={"check": check_id, "provider": cfg.face_provider, "face_consent": agreed.id})
    queue.enqueue(JOB, person_id, check_id, queue_name="default", job_id=f"face-check-{check_id}", session=s)


def check_now(person: Person | None, image: bytes, name: str, id_number: str) -> FaceResult:
    """Run the configured provider at once and return its result (nothing is recorded)."""
    provider = registry.get()
    try:
        return provider.verify(image, name=name, id_number=id_number)
    except Exception as exc:  # a provider bug must not leave the person without an answer
        who = f"person {person.id}" if person is not None and person.id else "operator check"
        log.error("face provider %s failed for %s: %s", provider.name, who, type(exc).__name__)
        return FaceResult(ok=False, code=base.UNAVAILABLE, provider=provider.name,
                          development=provider.development, detail=f"provider error: {type(exc).__name__}")


def run_queued_check(person_id: int, check_id: str) -> dict[str, Any] | None:
    """The body of ``identity.jobs.face_check``: safe to run twice (the second run does nothing)."""
    r = redis_conn.client()
    if r.exists(_done_key(check_id)):
        log.info("face check %s already done", check_id)
        return None
    blob = r.get(_req_key(check_id))
    reply_blob = r.get(_reply_key(check_id))
    reply_to = json.loads(crypto.decrypt_bytes(reply_blob, _REPLY_CONTEXT)) if reply_blob else None
    provider = registry.get()
    try:
        with db.transaction() as s:
            person = s.get(Person, person_id)
            if person is None:
                log.warning("face check %s: person %s no longer exists", check_id, person_id)
                return None
            if blob is None:
                result = FaceResult(ok=False, code=base.EXPIRED, provider=provider.name,
                                    development=provider.development, detail="image expired before the check ran")
            else:
                image = crypto.decrypt_bytes(blob, _IMAGE_CONTEXT)
                result = check_now(person, image, person.real_name, crypto.decrypt(person.id_number_enc))
                del image
            record_result(s, person, result, check_id=check_id)
            outcome = result.outcome()
            if reply_to is not None:
                queue.enqueue(reply_to["job"], reply_to, outcome, queue_name=reply_to.get("queue", "default"),
                              session=s)
    finally:
        r.delete(_req_key(check_id))  # the image goes whatever happened
    pipe = r.pipeline()
    pipe.set(_done_key(check_id), json.dumps(outcome), ex=DAY)
    pipe.delete(_reply_key(check_id))
    pipe.execute()
    if result.service_side:
        ratelimit.refund(RL_SCOPE, str(person_id), _daily_limit())
    return outcome


def record_result(s: Session, person: Person, result: FaceResult, *, check_id: str | None = None) -> None:
    """Keep the outcome on the person (identity outcomes only) and in the audit log."""
    now = db.utcnow()
    if not result.service_side:
        person.face_checked_at = now
        person.face_result = result.code
        person.face_score = result.score
        person.face_log_id = result.log_id
        person.face_provider = result.provider
        if result.ok:
            person.face_verified_at = now
    s.flush()
    audit.record(s, "identity.face_checked", actor=f"person:{person.id}", subject=f"person:{person.id}", details={
        "check": check_id, "provider": result.provider, "result": result.code, "ok": result.ok,
        "score": result.score, "log_id": result.log_id, "provider_code": result.provider_code,
        "development": result.development,
    })
    log.info("face check %s for person %s: %s (score %s, provider %s, log_id %s)", check_id, person.id,
             result.code, result.score, result.provider, result.log_id)


def is_fresh(person: Person, *, minutes: int | None = None) -> bool:
    """True when the person's latest face check passed within ``minutes`` (``FACE_FRESH_MINUTES``)."""
    cfg = settings.current()
    window = cfg.face_fresh_minutes if minutes is None else minutes
    if person.face_result != base.PASS or person.face_verified_at is None:
        return False
    if cfg.is_production and person.face_provider == "development":
        return False
    age = db.utcnow() - person.face_verified_at
    return timedelta(0) <= age <= timedelta(minutes=window)


def require_fresh(person: Person) -> None:
    """Raise ``face_check_needed`` unless the person passed a face check recently enough."""
    if not is_fresh(person):
        raise DomainError("为确认是您本人操作，请先完成人脸识别验证（验证后{minutes}分钟内有效）",
                          code="face_check_needed", status=403, minutes=settings.current().face_fresh_minutes)
