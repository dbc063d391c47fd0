"""SMS one-time codes: 6 digits, kept only as a keyed hash in Redis, valid 5 minutes, 5 tries.

Sending is limited per number the way SMS providers limit it themselves (1 a minute, 5 an
hour, 10 a day), so the platform tells the person before the provider silently drops the
message. The text goes out through the transactional outbox (template ``otp``), which
``notify/`` dispatches after the caller's transaction commits.

The limits count what an attacker gains from, and nothing else (issue 12, item 1): codes sent
to one number, and *different* wrong codes entered for it (a daily cap per number on top of the
five tries per code). Typing the same wrong code twice, a format slip, reloading a page or
asking again inside the minute costs nothing. Every refusal says which of expired, already used,
wrong (with the tries left) or locked it is, and when the person may try again (Beijing time).
"""
from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
import unicodedata
from datetime import timedelta

from sqlalchemy.orm import Session

from court import audit, crypto, db, display, ratelimit, redis_conn
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
    (ratelimit.Limit(10, 86400), "该手机号今天接收验证码的次数已达上限（每天10次），请于{until}（北京时间）后再试"),
    (ratelimit.Limit(5, 3600), "该手机号接收验证码过于频繁（每小时最多5次），请{minutes}分钟后（{until}）再试"),
    (ratelimit.Limit(1, 60), "验证码已发送，请{seconds}秒后再重新获取"),
)
WRONG_SCOPE = "otp-wrong"
# different wrong codes entered for one number a day, across all its codes: 2 000 000 guesses
# would be needed for an even chance, so a person who mistypes a few times is never stopped
WRONG_LIMIT = ratelimit.Limit(20, 86400)
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _key(purpose: str, subject: str) -> str:
    return f"identity:otp:{purpose}:{subject}"


def _digest(purpose: str, subject: str, code: str) -> str:
    return crypto.lookup_hash(f"otp:{purpose}:{subject}:{code}", "code")


def until(seconds: int) -> str:
    """The moment ``seconds`` from now in Beijing time, as a person would read it on a clock."""
    return display.local_time(db.utcnow() + timedelta(seconds=seconds))


def send_wait(phone: str) -> int:
    """Seconds until another code may be sent to ``phone`` (0: now). Pages show it as a countdown
    and as a clock time, so nobody has to tap to find out."""
    subject = phones.subject(phones.validated(phone))
    waits = [ratelimit.retry_after(SEND_SCOPE, subject, limit) or limit.seconds
             for limit, _message in SEND_LIMITS if ratelimit.remaining(SEND_SCOPE, subject, limit) <= 0]
    return max(waits, default=0)


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
                              seconds=wait, minutes=max(1, -(-wait // 60)), until=until(wait))
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
    """Accept the code once, or raise DomainError saying which: ``otp_format``, ``otp_expired``,
    ``otp_used``, ``otp_wrong`` (with tries left), ``otp_locked``, ``otp_wrong_daily``.

    Each new wrong guess is counted before the comparison, so parallel guesses cannot exceed the
    five tries; the same wrong code entered again (a double tap, a reload) is not a new guess. A
    correct code is marked used (so a second use is told apart from expiry); if it was sent for a
    person, their phone number becomes verified and bound to them.
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
    if not record:
        raise DomainError("验证码已过期或尚未获取，请点击“获取短信验证码”", code="otp_expired")
    if record.get("used"):
        raise DomainError("该验证码已经使用过，每个验证码只能用一次，请重新获取", code="otp_used")
    if int(record.get("expires", 0)) < time.time():
        raise DomainError("验证码已过期（有效期{minutes}分钟），请重新获取", code="otp_expired",
                          minutes=LIFETIME_SECONDS // 60)
    _refuse_past_daily_wrong(subject)  # before any comparison: past the cap, nothing is an oracle
    digest = _digest(purpose, subject, entered)
    right = hmac.compare_digest(record["digest"], digest)
    if not right and record.get("last_wrong") == digest:  # the same slip again: not a new guess
        left = max(0, MAX_TRIES - int(record.get("tries", 0)))
        if left > 0:
            raise DomainError("验证码不正确，还可以再试{left}次", code="otp_wrong", left=left)
    tries = int(r.hincrby(key, "tries", 1))
    if not r.hexists(key, "digest"):  # expired between the two calls
        r.delete(key)
        raise DomainError("验证码已过期，请重新获取", code="otp_expired")
    if tries > MAX_TRIES:
        raise DomainError("验证码输入错误次数过多，已失效，请重新获取", code="otp_locked", status=429)
    if not right:
        r.hset(key, "last_wrong", digest)
        ratelimit.hit(WRONG_SCOPE, subject, WRONG_LIMIT)
        left = MAX_TRIES - tries
        if left <= 0:
            _scrub(s, record.get("notification"))
            audit.record(s, "identity.otp_locked", subject=f"phone:{subject[:16]}", details={"purpose": purpose})
            raise DomainError("验证码输入错误次数过多，已失效，请重新获取", code="otp_locked", status=429)
        raise DomainError("验证码不正确，还可以再试{left}次", code="otp_wrong", left=left)
    if not r.hsetnx(key, "used", int(time.time())):  # someone else used it in the meantime
        raise DomainError("该验证码已经使用过，每个验证码只能用一次，请重新获取", code="otp_used")
    _scrub(s, record.get("notification"))
    person_id = int(record["person"]) if record.get("person") else None
    if person_id is not None:
        _verified_phone(s, person_id, number)
    audit.record(s, "identity.otp_verified", actor=f"person:{person_id}" if person_id else "anonymous",
                 subject=f"phone:{subject[:16]}", details={"purpose": purpose})


def _refuse_past_daily_wrong(subject: str) -> None:
    """Past the day's cap of wrong codes for this number, say until when (Beijing time) nothing
    is checked: at most :data:`WRONG_LIMIT` guesses a day, however many codes are sent."""
    if ratelimit.remaining(WRONG_SCOPE, subject, WRONG_LIMIT) <= 0:
        wait = ratelimit.retry_after(WRONG_SCOPE, subject, WRONG_LIMIT) or WRONG_LIMIT.seconds
        raise RateLimited("今天输错验证码的次数过多（{count}次），为保护您的信息已暂停短信验证，请于{until}（北京时间）后再试，"
                          "或联系承办法院", code="otp_wrong_daily", retry_after=wait, count=WRONG_LIMIT.count,
                          until=until(wait))


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
