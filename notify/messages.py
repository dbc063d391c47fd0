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

from dataclasses import dataclass

from court import display
from court.errors import DomainError

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
    wechat_first: str = ""

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
        "{court}：{case_number}{kind}送达通知", link_purpose="receive",
        wechat_first="您有一份法律文书送达，请查看并签收"),
    MessageTemplate(
        "sign_request", "签名确认", (), ("court", "case_number", "kind", "link", "days"),
        "{court}：您的案件{case_number}的{kind}需要您签名确认，请点击 {link} 办理，链接{days}日内有效。",
        "{court}：{case_number}{kind}待您签名", link_purpose="sign",
        wechat_first="您有一份文书需要签名确认"),
    MessageTemplate(
        "identity_verified", "身份核验链接", (), ("court", "link", "minutes"),
        "{court}：工作人员已核验您的身份，请在{minutes}分钟内点击 {link} 查看和签收文书，链接仅可使用一次。"
        "如非本人在场办理，请勿点击并联系法院。", "{court}：身份核验链接", link_purpose="identity"),
    MessageTemplate(
        "flow_finished", "签署完成", (), ("court", "case_number", "title"),
        "{court}：您的案件{case_number}的《{title}》已全部签署完成。", "{court}：《{title}》已签署完成",
        wechat_first="文书已签署完成"),
    MessageTemplate(
        "staff_task", "待办提醒", ("action",), ("court", "case_number", "title"),
        "{court}：案件{case_number}《{title}》待您{action}。", "待办：{case_number}《{title}》待您{action}"),
    MessageTemplate(
        "hearing_notice", "开庭通知", ("time", "place"), ("court", "case_number"),
        "{court}：您的案件{case_number}定于{time}在{place}开庭审理，请准时到庭。",
        "{court}：{case_number}开庭通知", pushable=True, wechat_first="开庭通知"),
    MessageTemplate(
        "summons", "传票", ("time", "place", "matter"), ("court", "case_number"),
        "{court}传票：请您于{time}到{place}参加{case_number}案件的{matter}，无正当理由拒不到庭的，依法处理。",
        "{court}：{case_number}传票", pushable=True, wechat_first="传票"),
    MessageTemplate(
        "general_notice", "通知", ("content",), ("court", "case_number"),
        "{court}：关于您的案件{case_number}，{content}", "{court}：{case_number}通知",
        pushable=True, long_fields=("content",), wechat_first="案件通知"),
)}


def get(name: str) -> MessageTemplate:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise DomainError("未知的消息模板：{name}", code="unknown_template", name=name) from None


def check_fields(template: MessageTemplate, fields: dict[str, object]) -> dict[str, str]:
    """Validate caller-supplied fields: every required one present, none unknown, none too long."""
    unknown = sorted(set(fields) - set(template.fields))
    if unknown:
        raise DomainError("模板“{title}”没有字段：{names}", code="unknown_field", title=template.title,
                          names=", ".join(unknown))
    out: dict[str, str] = {}
    for name in template.fields:
        value = str(fields.get(name) if fields.get(name) is not None else "").strip()
        if not value:
            raise DomainError("缺少字段：{name}", code="missing_field", name=name)
        limit = 300 if name in template.long_fields else FIELD_MAX_CHARS
        if len(value) > limit:
            raise DomainError("字段{name}过长（最多{limit}字）", code="field_too_long", name=name, limit=limit)
        if any(ch in value for ch in "【】"):
            raise DomainError("字段{name}不能包含【】", code="bad_field", name=name)
        out[name] = value
    return out


def render_sms(template: MessageTemplate, params: dict[str, object], sign_name: str) -> str:
    """The full SMS as the phone shows it: 【signature】 + body. Raises when a value is missing or
    the message breaks the providers' length rule."""
    try:
        body = template.sms.format(**{k: params[k] for k in template.variables})
    except KeyError as exc:
        raise DomainError("缺少字段：{name}", code="missing_field", name=exc.args[0]) from None
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


def wechat_data(template: MessageTemplate, params: dict[str, object]) -> dict[str, dict[str, str]]:
    """Data for a WeChat template message (first / keyword1.. / remark, the common layout)."""
    if template.link_purpose:
        body = "请点击本消息查看详情并办理。"
    else:
        body = template.sms.format(**{k: params.get(k, "") for k in template.variables})
    data = {"first": {"value": template.wechat_first or template.title}}
    for i, key in enumerate(("court", "case_number", "kind"), 1):
        if key in params:
            data[f"keyword{i}"] = {"value": str(params[key])}
    data["remark"] = {"value": body}
    return data
