"""Running face checks: queued for a channel (the bot, the web pages) or at once (CLI, tests).

A queued check never puts the selfie in the database or in the job's arguments: the image
waits in Redis, AES-GCM encrypted, under a random check id with a short TTL, and is deleted as
soon as the worker has read it (or when the TTL ends). Only the outcome, score, provider log
id and time are kept: on the check's :class:`IdentityCheck` (owned by the conversation or session
that asked), in the audit log, and, for a pass, on the :class:`Person`.
"""
from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from sqlalchemy.orm import Session

from court import audit, crypto, db, queue, ratelimit, redis_conn
from court.errors import DomainError, NotFound, RateLimited
from court.models import IdentityCheck, Person
from court.services import face_consent, identity_checks
from identity import settings
from identity.face import base, registry
from identity.face.base import FaceResult

log = logging.getLogger(__name__)

RL_SCOPE = "face-check"
DAY = 86400
DEVELOPMENT_PROVIDERS = frozenset({"development", "netid-development"})  # never count in production
PERSON_CAP_FACTOR = 3  # attempts per person and channel from not-yet-proven holders, × the per-holder limit
_IMAGE_CONTEXT = b"face-image"
_REPLY_CONTEXT = b"face-reply"


def _req_key(check_id: str) -> str:
    return f"identity:face:req:{check_id}"


def _reply_key(check_id: str) -> str:
    return f"identity:face:reply:{check_id}"


def _done_key(check_id: str) -> str:
    return f"identity:face:done:{check_id}"


def _daily_limit() -> ratelimit.Limit:
    """Attempts a day for one conversation or session (the holder): a stranger's failures in
    their own holder never spend the real person's tries."""
    return ratelimit.Limit(settings.current().face_daily_attempts, DAY)


def _person_limit() -> ratelimit.Limit:
    """A wider cap per person across every holder, so nobody can run up paid API calls."""
    return ratelimit.Limit(settings.current().face_daily_attempts * PERSON_CAP_FACTOR, DAY)


def _holder_subject(holder_id: str) -> str:
    return f"h:{holder_id}"


def _limits_for(s: Session, person_id: int, holder_id: str, channel: str) -> list[tuple[str, ratelimit.Limit]]:
    """The windows one attempt counts against: always its holder's; and, unless this holder has
    already proven to be the person, a per-person cap per channel. So strangers spending the cap
    (say, many WeChat accounts claiming one ID number) never lock out the person's own proven
    conversation, nor their browser sessions when the strangers are on WeChat."""
    limits = [(_holder_subject(holder_id), _daily_limit())]
    if identity_checks.latest_pass(s, person_id=person_id, holder_id=holder_id) is None:
        limits.append((f"p:{person_id}:{channel}", _person_limit()))
    return limits


def check_upload(image: bytes) -> None:
    """Refuse what no verifier can use before it costs an attempt (or a paid API call)."""
    cfg = settings.current()
    if not image:
        raise DomainError("没有收到照片，请重新拍摄", code="face_image_missing")
    if len(image) > cfg.face_max_image_bytes:
        raise DomainError("照片太大，请上传不超过{mb}MB的照片", code="face_image_too_large",
                          mb=cfg.face_max_image_bytes // (1024 * 1024))
    size = base.image_size(image) if base.sniff_image(image) is not None else None
    if size is None:
        raise DomainError("照片格式不支持，请上传 JPG 或 PNG 照片", code="face_image_format")
    if max(size) > base.MAX_SIDE:
        raise DomainError("照片尺寸过大（长边不超过{px}像素），请重新拍摄", code="face_image_dimensions",
                          px=base.MAX_SIDE)


def attempts_left(holder_id: str) -> int:
    """Tries left today in this conversation or session."""
    return ratelimit.remaining(RL_SCOPE, _holder_subject(holder_id), _daily_limit())


def request_check(s: Session, person_id: int, image: bytes, *, holder_id: str, channel: str,
                  reply_to: dict[str, Any] | None = None) -> IdentityCheck:
    """Queue a face check of ``image`` for the person, owned by ``holder_id`` (job ``identity.jobs.face_check``).

    Refused first (``face_consent_needed``) unless the person separately agreed to the face notice
    in this conversation or session (``holder_id``): the photo is then dropped unread and no try
    is counted.

    Opens an :class:`IdentityCheck` (method ``face``) whose ``token`` is the queued check id; the
    job decides exactly that check, so the caller keeps its id and later asks about *its* check,
    never "the person's latest". ``reply_to``, when given, must carry ``"job"``: the path of a
    declared job (``some_job.path``, :mod:`court.queue`) that is enqueued with ``(reply_to, outcome)``
    once the check is done (``outcome``: ok, code,
    message_zh, message_en, score, development, check), so the channel can tell the user. The job
    is sent after the caller's transaction commits. At most ``FACE_DAILY_ATTEMPTS`` a day per
    holder, and a few times that per person.
    """
    cfg = settings.current()
    person = s.get(Person, person_id)
    if person is None:
        raise NotFound("请先完成实名登记", code="person_not_found")
    agreed = face_consent.require(s, person_id=person_id, holder_id=holder_id)
    if reply_to is not None:
        try:
            queue.by_path(str(reply_to.get("job")))
        except LookupError:  # refused now, rather than a reply lost after the check
            raise ValueError("reply_to needs the path of a declared job under 'job'") from None
    check_upload(image)
    limits = _limits_for(s, person_id, holder_id, channel)
    for key, lim in limits:
        if ratelimit.remaining(RL_SCOPE, key, lim) <= 0:
            raise RateLimited("今天的人脸识别次数已用完（每天最多{count}次），请明天再试", code="face_attempts_used",
                              retry_after=ratelimit.retry_after(RL_SCOPE, key, lim), count=cfg.face_daily_attempts)
    for key, lim in limits:
        ratelimit.hit(RL_SCOPE, key, lim, message="今天的人脸识别次数已用完，请明天再试")

    check_id = secrets.token_urlsafe(18)
    check = identity_checks.open_check(s, person_id=person_id, method="face", provider=cfg.face_provider,
                                       channel=channel, holder_id=holder_id, token=check_id)
    r = redis_conn.client()
    pipe = r.pipeline()
    pipe.set(_req_key(check_id), crypto.encrypt_bytes(image, _IMAGE_CONTEXT), ex=cfg.face_image_ttl_seconds)
    if reply_to is not None:
        pipe.set(_reply_key(check_id), crypto.encrypt_bytes(json.dumps(reply_to).encode(), _REPLY_CONTEXT), ex=DAY)
    pipe.execute()
    audit.record(s, "identity.face_check_requested", actor=f"person:{person_id}", subject=f"person:{person_id}",
                 details={"check": check_id, "identity_check": check.id, "provider": cfg.face_provider,
                          "channel": channel, "face_consent": agreed.id})
    from identity import jobs  # (not at the top: identity.jobs imports this module)

    jobs.face_check.enqueue(person_id, check_id, session=s)
    return check


def check_now(person: Person | None, image: bytes, name: str, id_number: str) -> FaceResult:
    """Run the configured provider at once and return its result (nothing is recorded)."""
    provider = registry.get(settings.current())
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
    provider = registry.get(settings.current())
    counted: list[tuple[str, ratelimit.Limit]] = []
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
            check = identity_checks.by_token(s, check_id)
            if check is not None and check.person_id == person_id:
                counted = _limits_for(s, person_id, check.holder, check.channel)
                identity_checks.decide(s, check, ok=result.ok and _counts(result), result=result.code,
                                       score=result.score, ref=result.log_id)
                outcome["check"] = check.id
            if reply_to is not None:
                queue.by_path(reply_to["job"]).enqueue(reply_to, outcome, session=s)
    finally:
        r.delete(_req_key(check_id))  # the image goes whatever happened
    pipe = r.pipeline()
    pipe.set(_done_key(check_id), json.dumps(outcome), ex=DAY)
    pipe.delete(_reply_key(check_id))
    pipe.execute()
    if result.service_side:
        for key, lim in counted:
            ratelimit.refund(RL_SCOPE, key, lim)
    return outcome


def record_result(s: Session, person: Person, result: FaceResult, *, check_id: str | None = None) -> None:
    """Keep a *pass* on the person (for the credential's wording) and every outcome in the audit log.

    A failure is not written on the person: whoever failed may not be them, and the check's own
    :class:`IdentityCheck` row already holds its outcome for the holder that asked."""
    now = db.utcnow()
    if result.ok:
        person.face_checked_at = now
        person.face_result = result.code
        person.face_score = result.score
        person.face_log_id = result.log_id
        person.face_provider = result.provider
        person.face_verified_at = now
    s.flush()
    audit.record(s, "identity.face_checked", actor=f"person:{person.id}", subject=f"person:{person.id}", details={
        "check": check_id, "provider": result.provider, "result": result.code, "ok": result.ok,
        "score": result.score, "log_id": result.log_id, "provider_code": result.provider_code,
        "development": result.development,
    })
    log.info("face check %s for person %s: %s (score %s, provider %s, log_id %s)", check_id, person.id,
             result.code, result.score, result.provider, result.log_id)


def _counts(result: FaceResult) -> bool:
    """A development verifier's pass never counts in production."""
    return not (settings.current().is_production and result.development)


def fresh(s: Session, person_id: int, holder_id: str) -> IdentityCheck | None:
    """The check that makes this holder's identity fresh for a key act (sign, join, refuse):
    any method (face, clerk, identity authority) passed in *this* conversation or session for this
    person within ``FACE_FRESH_MINUTES``. Nobody else's attempts, passes or failures, count."""
    check = identity_checks.fresh(s, person_id=person_id, holder_id=holder_id,
                                  minutes=settings.current().face_fresh_minutes)
    if check is not None and settings.current().is_production and check.provider in DEVELOPMENT_PROVIDERS:
        return None
    return check


def require_fresh(s: Session, person_id: int, holder_id: str) -> IdentityCheck:
    """:func:`fresh`, or raise ``face_check_needed`` saying what to do."""
    check = fresh(s, person_id, holder_id)
    if check is None:
        raise DomainError("为确认是您本人操作，请先核验身份（人脸识别、工作人员核验或网络身份认证，核验后{minutes}分钟内有效）",
                          code="face_check_needed", status=403, minutes=settings.current().face_fresh_minutes)
    return check
