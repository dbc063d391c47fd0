"""Consent to electronic service, per case (CPL art. 90; Online Litigation Rules arts. 29–33).

The record keeps the channels, the addresses, the exact text the person was shown, when and
how (bot, web, or entered by staff from a paper form). Withdrawing it stops electronic
service for that case: pending messages for the person in that case are cancelled, the case
is flagged for staff (``Case.needs_attention``) and the audit log says who withdrew and when.
"""
from __future__ import annotations

import hashlib
import logging
import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from court import audit, crypto, db, i18n
from court.errors import DomainError
from court.i18n import translate
from court.models import Case, Consent, Notification, NotificationStatus, Party, Person
from identity import phones

log = logging.getLogger(__name__)

CHANNELS: dict[str, str] = {"wechat": "微信公众号消息", "sms": "手机短信", "email": "电子邮件"}
METHODS = ("bot", "web", "staff")
ATTENTION = "当事人已撤回电子送达同意，请改用其他方式送达"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_TITLE = "电子送达确认书"
_SCOPE = "本人同意{court}在{number}案件中，通过以下电子方式向本人送达诉讼文书和证据材料：{channels}。"
_POINTS = (
    "一、可以电子送达的文书包括起诉状副本、应诉通知书、举证通知书、传票、判决书、裁定书、调解书等诉讼文书及证据材料。",
    "二、依照《中华人民共和国民事诉讼法》第九十条及《人民法院在线诉讼规则》第二十九条至第三十三条，送达信息到达上述电子地址所在系统之日为送达日期；通过多种方式送达的，以最先到达的为准。",
    "三、本人保证上述电子地址真实有效并由本人使用；地址变更时应及时告知法院。因地址不准确、变更未及时告知或拒不查收导致文书未被实际阅读的，文书到达上述系统之日仍视为送达之日。",
    "四、本人可以随时撤回本确认；撤回后法院将改用其他方式送达，撤回前已经完成的送达仍然有效。",
    "五、本确认适用于本案的审理和执行程序。",
)


def _mask(channel: str, value: str) -> str:
    if channel == "sms":
        return crypto.mask_phone(value)
    if channel == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    return ""  # a WeChat openid means nothing to a person


def consent_text(case: Case, channels: list[str], locale: str | None = None,
                 address: dict[str, str] | None = None) -> str:
    """The text shown before consent: scope (court, case, channels) and legal effect.

    ``locale``: ``zh_Hans_CN`` (default) or ``en``. Addresses, when given, appear masked.
    """
    locale = i18n.normalize(locale) if locale else i18n.get_locale()
    chinese = locale == i18n.DEFAULT_LOCALE
    named = []
    for ch in channels:
        label = translate(CHANNELS[ch], locale)
        shown = _mask(ch, (address or {}).get(ch, ""))
        named.append(label if not shown else (f"{label}（{shown}）" if chinese else f"{label} ({shown})"))
    sep = "、" if chinese else ", "
    lines = [
        translate(_TITLE, locale),
        translate(_SCOPE, locale).format(court=case.court.name if case.court else "", number=case.number,
                                         channels=sep.join(named)),
        *(translate(p, locale) for p in _POINTS),
    ]
    return "\n".join(lines)


def _clean_address(channels: list[str], address: dict[str, str]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for ch in channels:
        value = (address or {}).get(ch, "").strip()
        if ch == "sms":
            clean[ch] = phones.validated(value)
        elif ch == "email":
            if not _EMAIL.match(value):
                raise DomainError("请填写正确的电子邮箱地址", code="bad_email")
            clean[ch] = value.lower()
        else:
            if not value:
                raise DomainError("缺少微信送达地址，请在微信中完成确认", code="missing_address")
            clean[ch] = value
    return clean


def active(s: Session, person_id: int, case_id: int) -> Consent | None:
    return s.scalar(select(Consent).where(Consent.person_id == person_id, Consent.case_id == case_id,
                                          Consent.withdrawn_at.is_(None)).order_by(Consent.id.desc()))


def has_consent(s: Session, person_id: int, case_id: int) -> bool:
    return active(s, person_id, case_id) is not None


def give(s: Session, person: Person, case: Case, *, channels: list[str], address: dict[str, str],
         method: str) -> Consent:
    """Record consent with the exact text shown (in the person's language).

    Giving the same consent again returns the existing record (channels retry); different
    channels or addresses supersede it.
    """
    if method not in METHODS:
        raise ValueError(f"consent method must be one of {METHODS}")
    chosen = list(dict.fromkeys(channels or []))
    if not chosen:
        raise DomainError("请至少选择一种电子送达方式", code="no_channel")
    unknown = [c for c in chosen if c not in CHANNELS]
    if unknown:
        raise DomainError("不支持的送达方式：{channels}", code="bad_channel", channels="、".join(unknown))
    clean = _clean_address(chosen, address)
    current = active(s, person.id, case.id)
    if current is not None and current.channels == chosen and current.address == clean:
        return current
    text = consent_text(case, chosen, person.locale, clean)
    now = db.utcnow()
    if current is not None:
        current.withdrawn_at = now
    consent = Consent(person_id=person.id, case_id=case.id, channels=chosen, address=clean, text_shown=text,
                      method=method, given_at=now)
    s.add(consent)
    s.flush()
    audit.record(s, "consent.given", actor=f"person:{person.id}" if method != "staff" else "staff",
                 case_id=case.id, subject=f"consent:{consent.id}", details={
                     "person": person.id, "channels": chosen, "method": method,
                     "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                     "supersedes": current.id if current is not None else None})
    return consent


def withdraw(s: Session, consent: Consent, *, actor: str) -> None:
    """Stop electronic service for the consent's case and tell staff. Safe to call twice."""
    if consent.withdrawn_at is not None:
        return
    consent.withdrawn_at = db.utcnow()
    case = s.get(Case, consent.case_id)
    if case is not None:
        if not case.needs_attention:
            case.needs_attention = ATTENTION
        elif ATTENTION not in case.needs_attention:
            case.needs_attention = f"{case.needs_attention}；{ATTENTION}"[:200]
    party_ids = select(Party.id).where(Party.case_id == consent.case_id, Party.person_id == consent.person_id)
    pending = list(s.scalars(select(Notification).where(
        Notification.case_id == consent.case_id,
        Notification.status == NotificationStatus.PENDING,
        or_(Notification.person_id == consent.person_id, Notification.party_id.in_(party_ids)),
    )))
    for n in pending:
        n.status = NotificationStatus.CANCELLED
        n.error = "consent to electronic service withdrawn"
    s.flush()
    audit.record(s, "consent.withdrawn", actor=actor, case_id=consent.case_id, subject=f"consent:{consent.id}",
                 details={"person": consent.person_id, "cancelled_notifications": [n.id for n in pending]})
    log.info("consent %s withdrawn for case %s; %d pending messages cancelled", consent.id, consent.case_id,
             len(pending))
