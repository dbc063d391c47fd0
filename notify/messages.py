"""Message templates: what each notification says on each channel, and the checks that keep it
within the providers' rules.

A template has the fields staff (or the calling service) must supply, the context the system
fills in (court, case number, document kind, link), an SMS body, an e-mail subject and WeChat
template-message data. SMS providers send only pre-approved templates, so the provider template
code for each name comes from settings (``SMS_TEMPLATE_CODES``) and the same named variables are
passed to it; the text rendered here is what the development gateway shows and what is kept as
the trace of what was sent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from court import display
from court.chinatime import CHINA
from court.errors import DomainError
from court.i18n import translate
from wechat import rules as wechat_rules
from wechat.templates import WECHAT_LAYOUTS

SMS_MAX_CHARS = 500  # Aliyun and Tencent both cap a long SMS (signature included) at 500 characters
SMS_SEGMENT_CHARS = 67  # characters per billed part of a long SMS
FIELD_MAX_CHARS = 100  # one field; the general notice's content may be longer (below)

# the legal names; in a message "其他文书" reads better as "诉讼文书" (a litigation document)
KIND_LABELS: dict[str, str] = {kind.value: name for kind, name in display.KIND.items()} | {"other": "诉讼文书"}


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    title: str  # shown to staff: 开庭通知 …
    fields: tuple[str, ...]  # supplied by the caller (staff for a push)
    context: tuple[str, ...]  # filled in by the system
    sms: str
    subject: str
    pushable: bool = False
    link_purpose: str | None = None  # an SMS/e-mail link /s/<token> is made at send time for this purpose
    long_fields: tuple[str, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        return self.context + self.fields


TEMPLATES: dict[str, MessageTemplate] = {t.name: t for t in (
    MessageTemplate(
        "otp", "短信验证码", ("code", "minutes"), (),
        "您的验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信，切勿告诉他人。", "验证码"),
    MessageTemplate(
        "document_ready", "文书送达", (), ("court", "case_number", "kind", "link", "days"),
        "{court}：您的案件{case_number}有{kind}送达，请点击 {link} 查看并签收，链接{days}日内有效。",
        "{court}：{case_number}{kind}送达通知", link_purpose="receive"),
    MessageTemplate(
        "sign_request", "签名确认", (), ("court", "case_number", "kind", "link", "days"),
        "{court}：您的案件{case_number}的{kind}需要您签名确认，请点击 {link} 办理，链接{days}日内有效。",
        "{court}：{case_number}{kind}待您签名", link_purpose="sign"),
    MessageTemplate(
        "identity_verified", "身份核验链接", (), ("court", "link", "minutes"),
        "{court}：工作人员已核验您的身份，请在{minutes}分钟内点击 {link} 查看和签收文书，链接仅可使用一次。"
        "如非本人在场办理，请勿点击并联系法院。", "{court}：身份核验链接", link_purpose="identity"),
    MessageTemplate(
        "flow_finished", "签署完成", (), ("court", "case_number", "title"),
        "{court}：您的案件{case_number}的《{title}》已全部签署完成。", "{court}：《{title}》已签署完成"),
    MessageTemplate(
        "staff_task", "待办提醒", ("action",), ("court", "case_number", "title"),
        "{court}：案件{case_number}《{title}》待您{action}。", "待办：{case_number}《{title}》待您{action}"),
    MessageTemplate(
        "hearing_notice", "开庭通知", ("time", "place"), ("court", "case_number"),
        "{court}：您的案件{case_number}定于{time}在{place}开庭审理，请准时到庭。",
        "{court}：{case_number}开庭通知", pushable=True),
    MessageTemplate(
        "summons", "传票", ("time", "place", "matter"), ("court", "case_number"),
        "{court}传票：请您于{time}到{place}参加{case_number}案件的{matter}，无正当理由拒不到庭的，依法处理。",
        "{court}：{case_number}传票", pushable=True),
    MessageTemplate(
        "general_notice", "通知", ("content",), ("court", "case_number"),
        "{court}：关于您的案件{case_number}，{content}", "{court}：{case_number}通知",
        pushable=True, long_fields=("content",)),
    MessageTemplate(
        "receipt_confirmation", "签收回执", (), ("court", "case_number", "title", "receipt_number"),
        "{court}：您已签收案件{case_number}的《{title}》，回执编号{receipt_number}。",
        "{court}：《{title}》签收回执"),
    MessageTemplate(
        "face_result", "人脸认证结果", (), ("result",),
        "您在法院电子送达服务号的人脸认证结果：{result}。请回到服务号继续办理。", "人脸认证结果"),
)}


def get(name: str) -> MessageTemplate:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise DomainError("未知的消息模板：{name}", code="unknown_template", name=name) from None


def check_fields(template: MessageTemplate, fields: dict[str, object], *, now: datetime | None = None) -> dict[str, str]:
    """Validate caller-supplied fields: every required one present, none unknown, none too long."""
    unknown = sorted(set(fields) - set(template.fields))
    if unknown:
        raise DomainError("模板“{title}”没有字段：{names}", code="unknown_field", title=template.title,
                          names=", ".join(unknown))
    out: dict[str, str] = {}
    for name in template.fields:
        value = str(fields.get(name) if fields.get(name) is not None else "").strip()
        label = field_label(template, name)
        if not value:
            raise DomainError("缺少字段：{label}", code="missing_field", name=name, label=label)
        limit = 300 if name in template.long_fields else FIELD_MAX_CHARS
        if len(value) > limit:
            raise DomainError("{label}过长（最多{limit}字）", code="field_too_long", name=name, label=label, limit=limit)
        if any(ch in value for ch in "【】"):
            raise DomainError("{label}不能包含【】", code="bad_field", name=name, label=label)
        if name == "time":
            value = check_time(value, label, now=now)
        out[name] = value
    check_wechat_fields(template, out)
    return out


def field_label(template: MessageTemplate, name: str) -> str:
    """A field's name for people in this template (开庭时间, 到庭地点 …): the slot's name in its
    WeChat layout, else the general name in :mod:`court.display`."""
    layout = WECHAT_LAYOUTS.get(template.name)
    slot = next((sl for sl in layout.slots if sl.name == name), None) if layout else None
    return translate(slot.label) if slot is not None else display.field(name)


ISO_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2})?$")


def check_time(value: str, label: str, *, now: datetime | None = None) -> str:
    """A date and time staff gave: a picker's ``2026-12-01T09:30`` is Beijing time and reads
    ``2026年12月1日 09:30`` in the message; any time we can read must not be in the past (a party
    told to come to a hearing that has happened is not told anything)."""
    m = ISO_LOCAL.match(value)
    when = None
    if m:
        try:
            when = datetime(*(int(g) for g in m.groups()))
        except ValueError:
            raise DomainError("{label}不是有效的日期时间：{value}", code="bad_time", label=label, value=value) from None
        value = f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"
    else:
        when = wechat_rules.parse_time(value)
    if when is not None and when.replace(tzinfo=CHINA) < (now or datetime.now(CHINA)):
        raise DomainError("{label}不能早于当前时间：{value}", code="time_in_past", label=label, value=value)
    return value


def render_sms(template: MessageTemplate, params: dict[str, object], sign_name: str) -> str:
    """The full SMS as the phone shows it: 【signature】 + body. Raises when a value is missing or
    the message breaks the providers' length rule."""
    try:
        body = template.sms.format(**{k: params[k] for k in template.variables})
    except KeyError as exc:
        raise DomainError("缺少字段：{name}", code="missing_field", name=exc.args[0]) from None
    if params.get("for_parties"):  # one message for several parties (notify.push_recipients)
        body += f"（本通知送达：{params['for_parties']}）"
    text = f"【{sign_name}】{body}"
    if len(text) > SMS_MAX_CHARS:
        raise DomainError("短信内容超过{limit}字", code="sms_too_long", limit=SMS_MAX_CHARS)
    return text


def render_subject(template: MessageTemplate, params: dict[str, object]) -> str:
    try:
        return template.subject.format(**{k: params.get(k, "") for k in template.variables})
    except (KeyError, IndexError):
        return template.title


def sms_parts(text: str) -> int:
    """How many billed parts a message is (a single SMS holds 70 characters)."""
    return 1 if len(text) <= 70 else -(-len(text) // SMS_SEGMENT_CHARS)


def provider_params(template: MessageTemplate, params: dict[str, object]) -> dict[str, str]:
    """The named variables handed to a provider's approved template, in template order."""
    return {k: str(params[k]) for k in template.variables if k in params}


# --- WeChat template messages ----------------------------------------------------------------
# Since 4 May 2023 the phone shows neither ``first`` nor ``remark``, so everything a party must
# read is in the main fields: the slots of each message kind are wechat.templates.WECHAT_LAYOUTS
# (shared with the simulator); here is what each slot says.

# what the party is asked to do, in the main fields (never in remark)
WECHAT_ACTIONS: dict[str, str] = {
    "document_ready": "请点击查看并签收", "sign_request": "请点击查看并签名确认",
    "hearing_notice": "请准时到庭，点击查看详情", "summons": "请准时到庭，无故拒不到庭将依法处理",
    "face_result": "请回到服务号继续办理",
}


def _doc_name(params: dict[str, object]) -> str:
    """The document as the phone names it, within one field: its title when that says what kind
    it is, else ``kind《title》``. A long title is cut in the middle so the kind at its end stays
    ("张三诉李四…纠纷…民事裁定书"); the whole title is on the page behind the link."""
    kind = str(params.get("kind") or "")
    title = wechat_rules.clean(params.get("title") or "")
    limit = wechat_rules.TYPES["thing"].max_chars
    if not title or title == kind:
        return kind
    if not kind or kind in title:
        if len(title) <= limit:
            return title
        at = title.rindex(kind) if kind else len(title)
        tail = title[max(0, at - 2):at + len(kind)]  # "民事裁定书": the kind with its qualifier
        return title[:limit - 1 - len(tail)] + wechat_rules.ELLIPSIS + tail
    room = limit - len(kind) - 2
    return f"{kind}《{wechat_rules.shorten(title, room)}》"


def _now_text(params: dict[str, object]) -> str:
    at = params.get("at")
    when = datetime.fromisoformat(str(at)) if at else datetime.now(CHINA)
    if when.tzinfo is not None:
        when = when.astimezone(CHINA)
    return wechat_rules.format_time(when)


def wechat_data(template: MessageTemplate, params: dict[str, object]) -> dict[str, str]:
    """What each slot of the WeChat message says (the provider puts the values in the
    configured template's fields, fitted to each field's type)."""
    layout = WECHAT_LAYOUTS.get(template.name)
    if layout is None:
        raise DomainError("消息“{title}”不能通过微信模板消息发送", code="no_wechat_layout", title=template.title)
    values: dict[str, str] = {}
    for slot in layout.slots:
        if slot.name == "doc":
            value: object = _doc_name(params)
        elif slot.name == "action":
            value = WECHAT_ACTIONS.get(template.name, "请点击查看详情")
        elif slot.name == "status":
            value = "已全部签署完成"
        elif slot.name == "time" and "time" not in template.fields:
            value = _now_text(params)
        else:
            value = params.get(slot.name, "")
        values[slot.name] = str(value)
    return values


def check_wechat_fields(template: MessageTemplate, fields: dict[str, str]) -> None:
    """A staff-supplied time must be one WeChat can show in a time field."""
    layout = WECHAT_LAYOUTS.get(template.name)
    if layout is None or "time" not in fields or "time" not in {s.name for s in layout.slots}:
        return
    if wechat_rules.problem("time1", wechat_rules.fit("time1", fields["time"])) is not None:
        raise DomainError("时间“{value}”无法识别，请写成“2026年12月1日 9:30”", code="bad_time", value=fields["time"])
