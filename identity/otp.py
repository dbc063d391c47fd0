"""SMS one-time codes: 6 digits, kept only as a keyed hash in Redis, valid 5 minutes, 5 tries.

Sending is limited per number the way SMS providers limit it themselves (1 a minute, 5 an
hour, 10 a day), so the platform tells the person before the provider silently drops the
message. The text goes out through the transactional outbox (template ``otp``), which
``notify/`` dispatches after the caller's transaction commits.
"""
from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
import unicodedata

from sqlalchemy.orm import Session

from court import audit, crypto, ratelimit, redis_conn
from court.errors import DomainError, NotFound, RateLimited
from court.models import Notification, NotificationStatus, Person
from court.services import binding, outbox
from identity import phones

log = logging.getLogger(__name__)

DIGITS = 6
LIFETIME_SECONDS = 300
MAX_TRIES = 5
SEND_SCOPE = "otp-send"
# (limit, message) from the longest window to the shortest: the first full one is reported
SEND_LIMITS = (
    (ratelimit.Limit(10, 86400), "该手机号今天接收验证码的次数已达上限（每天10次），请明天再试"),
    (ratelimit.Limit(5, 3600), "该手机号接收验证码过于频繁（每小时最多5次），请{minutes}分钟后再试"),
    (ratelimit.Limit(1, 60), "验证码已发送，请{seconds}秒后再重新获取"),
)
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _key(purpose: str, subject: str) -> str:
    return f"identity:otp:{purpose}:{subject}"


def _digest(purpose: str, subject: str, code: str) -> str:
    return crypto.lookup_hash(f"otp:{purpose}:{subject}:{code}", "code")


def _check_purpose(purpose: str) -> None:
    if not _PURPOSE.match(purpose):
        raise ValueError(f"bad OTP purpose {purpose!r}")


def send_code(s: Session, phone: str, purpose: str, *, person_id: int | None = None) -> None:
    """Create a code for ``phone`` and queue the SMS; a new code replaces an older one.

    ``purpose`` (``register``, ``sign``, …) scopes the code: one sent to sign cannot log in.
    When ``person_id`` is given, entering the code marks that number verified for the person.
    Raises :class:`RateLimited` saying how long to wait.
    """
    _check_purpose(purpose)
    number = phones.validated(phone)
    subject = phones.subject(number)
    if person_id is not None and s.get(Person, person_id) is None:
        raise NotFound("请先完成实名登记", code="person_not_found")
    for limit, message in SEND_LIMITS:
        if ratelimit.remaining(SEND_SCOPE, subject, limit) <= 0:
            wait = ratelimit.retry_after(SEND_SCOPE, subject, limit) or limit.seconds
            raise RateLimited(message, code="otp_send_limited", retry_after=wait,
                              seconds=wait, minutes=max(1, -(-wait // 60)))
    ratelimit.hit(SEND_SCOPE, subject, *(limit for limit, _ in SEND_LIMITS),
                  message="获取验证码过于频繁，请稍后再试")

    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    key = _key(purpose, subject)
    r = redis_conn.client()
    pipe = r.pipeline()
    pipe.delete(key)
    pipe.hset(key, mapping={
        "digest": _digest(purpose, subject, code),
        "expires": int(time.time()) + LIFETIME_SECONDS,
        "tries": 0,
        "person": person_id if person_id is not None else "",
    })
    pipe.expire(key, LIFETIME_SECONDS * 3)  # kept a little longer to say "expired", not "none"
    pipe.execute()
    message = outbox.add(s, channel="sms", address=number, template="otp",
                         params={"code": code, "minutes": LIFETIME_SECONDS // 60}, person_id=person_id)
    r.hset(key, "notification", message.id)
    audit.record(s, "identity.otp_sent", actor=f"person:{person_id}" if person_id else "anonymous",
                 subject=f"phone:{subject[:16]}", details={"purpose": purpose, "phone": crypto.mask_phone(number)})
    log.info("one-time code (%s) queued for %s", purpose, crypto.mask_phone(number))


def verify_code(s: Session, phone: str, purpose: str, code: str) -> None:
    """Accept the code once, or raise DomainError: wrong (with tries left), expired, locked.

    Each attempt is counted before the comparison, so parallel guesses cannot exceed the
    five tries. A correct code is consumed; if it was sent for a person, their phone number
    becomes verified and bound to them.
    """
    _check_purpose(purpose)
    number = phones.validated(phone)
    subject = phones.subject(number)
    entered = "".join(unicodedata.normalize("NFKC", code or "").split())
    if not (len(entered) == DIGITS and entered.isdigit()):
        raise DomainError("验证码应为6位数字", code="otp_format")
    key = _key(purpose, subject)
    r = redis_conn.client()
    record = {k.decode(): v.decode() for k, v in r.hgetall(key).items()}
    if not record or int(record.get("expires", 0)) < time.time():
        raise DomainError("验证码已过期，请重新获取", code="otp_expired")
    tries = int(r.hincrby(key, "tries", 1))
    if not r.hexists(key, "digest"):  # expired between the two calls
        r.delete(key)
        raise DomainError("验证码已过期，请重新获取", code="otp_expired")
    if tries > MAX_TRIES:
        raise DomainError("验证码输入错误次数过多，已失效，请重新获取", code="otp_locked", status=429)
    if not hmac.compare_digest(record["digest"], _digest(purpose, subject, entered)):
        left = MAX_TRIES - tries
        if left <= 0:
            _scrub(s, record.get("notification"))
            audit.record(s, "identity.otp_locked", subject=f"phone:{subject[:16]}", details={"purpose": purpose})
            raise DomainError("验证码输入错误次数过多，已失效，请重新获取", code="otp_locked", status=429)
        raise DomainError("验证码不正确，还可以再试{left}次", code="otp_wrong", left=left)
    if not r.delete(key):  # someone else used it in the meantime
        raise DomainError("验证码已过期，请重新获取", code="otp_expired")
    _scrub(s, record.get("notification"))
    person_id = int(record["person"]) if record.get("person") else None
    if person_id is not None:
        _verified_phone(s, person_id, number)
    audit.record(s, "identity.otp_verified", actor=f"person:{person_id}" if person_id else "anonymous",
                 subject=f"phone:{subject[:16]}", details={"purpose": purpose})


def _scrub(s: Session, notification_id: str | None) -> None:
    """Once a code is used or dead, the copy in the sent SMS's outbox row is no longer needed."""
    if not notification_id:
        return
    n = s.get(Notification, int(notification_id))
    if n is not None and n.status not in (NotificationStatus.PENDING, NotificationStatus.SENDING):
        n.params = {**(n.params or {}), "code": "******"}
        s.flush()


def _verified_phone(s: Session, person_id: int, number: str) -> None:
    """A code sent for a person was entered: the binding rules decide what that proves
    (:func:`court.services.binding.phone_proven`: never a silent change of a verified phone)."""
    person = s.get(Person, person_id)
    if person is not None:
        binding.phone_proven(s, person, number)
