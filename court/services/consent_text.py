"""The consent text and summary shown to parties, and how a recorded consent is described.

Why its own module: the words of the 电子送达确认书 (scope, legal effect, the right to refuse and
to withdraw) are legal text, reviewed and translated on their own schedule; the rules that decide
what a consent *does* (:mod:`court.services.consent`) never depend on how it is worded, only on
the exact text recorded with it. Addresses appear masked in anything shown or printed.
"""
from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from court import crypto, i18n
from court.i18n import translate
from court.models import Case, Consent

CHANNELS: dict[str, str] = {"wechat": "微信公众号消息", "sms": "手机短信", "email": "电子邮件"}
METHOD_LABELS = {"bot": "微信公众号", "web": "网页", "staff": "法院工作人员据书面确认书录入"}


_TITLE = "电子送达确认书"
_SCOPE = "本人同意{court}在{number}案件中，通过以下电子方式向本人送达诉讼文书和证据材料：{channels}。"
_POINTS = (
    "一、可以电子送达的文书包括起诉状副本、应诉通知书、举证通知书、传票、判决书、裁定书、调解书等诉讼文书及证据材料。",
    "二、依照《中华人民共和国民事诉讼法》第九十条及《人民法院在线诉讼规则》第二十九条至第三十三条，送达信息到达上述电子地址所在系统之日为送达日期；通过多种方式送达的，以最先到达的为准。",
    "三、本人保证上述电子地址真实有效并由本人使用；地址变更时应及时告知法院。因地址不准确、变更未及时告知或拒不查收导致文书未被实际阅读的，文书到达上述系统之日仍视为送达之日。",
    "四、本人可以随时撤回本确认；撤回后法院将改用其他方式送达，撤回前已经完成的送达仍然有效。",
    "五、本确认适用于本案的审理和执行程序。",
)
_SUMMARY = (
    "同意后，法院会通过{channels}向您发送本案文书。消息一到达就算送达（不论您是否打开），上诉期等期限从送达之日起计算。",
    "您可以不同意：法院将改用邮寄、直接送达等方式送达，不影响您的诉讼权利。",
    "同意后也可以随时在本页面撤回；撤回前已经完成的送达仍然有效。",
)


def mask(channel: str, value: str) -> str:
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
    lines = [
        translate(_TITLE, locale),
        translate(_SCOPE, locale).format(court=case.court.name if case.court else "", number=case.number,
                                         channels=_named_channels(channels, locale, address)),
        *(translate(p, locale) for p in _POINTS),
    ]
    return "\n".join(lines)


def _named_channels(channels: list[str], locale: str, address: dict[str, str] | None) -> str:
    """The channels as the party reads them, each with its masked address."""
    chinese = locale == i18n.DEFAULT_LOCALE
    named = []
    for ch in channels:
        label = translate(CHANNELS[ch], locale)
        shown = mask(ch, (address or {}).get(ch, ""))
        named.append(label if not shown else (f"{label}（{shown}）" if chinese else f"{label} ({shown})"))
    return ("、" if chinese else ", ").join(named)


def consent_summary(channels: list[str], locale: str | None = None,
                    address: dict[str, str] | None = None) -> list[str]:
    """The same legal effect as :func:`consent_text` in three plain lines, for people who will not
    read statute citations: what electronic service means for her, that she may refuse and how she
    is then served, and that she may withdraw later. The full text stays one tap away."""
    locale = i18n.normalize(locale) if locale else i18n.get_locale()
    named = _named_channels(channels, locale, address)
    return [translate(line, locale).format(channels=named) for line in _SUMMARY]


class ConsentSummary(TypedDict):
    method: str
    method_label: str
    given_at: datetime | None
    recorded_by: str | None
    channels: list[str]
    addresses: dict[str, str]
    scan: bool


def describe(c: Consent) -> ConsentSummary:
    """What the credential and the console say about a consent: how, when, by whom, which addresses."""
    return {"method": c.method, "method_label": METHOD_LABELS.get(c.method, c.method), "given_at": c.given_at,
            "recorded_by": c.recorded_by, "channels": list(c.channels or []),
            "addresses": {ch: mask(ch, v) or ("已绑定" if ch == "wechat" else "") for ch, v in (c.address or {}).items()},
            "scan": bool(c.scan_key)}
