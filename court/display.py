"""How the domain's values read to people: Chinese names (translated on use) and China time.

One table for every channel (console, party pages, bot, SMS, PDFs), so a document kind or a
party role is called the same everywhere.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from court.chinatime import CHINA as CHINA  # re-exported: callers that read display.CHINA
from court.i18n import translate
from court.models import (
    CaseStatus,
    DocumentKind,
    DocumentStatus,
    FlowStatus,
    NotificationStatus,
    PartyRole,
    StaffRole,
    StepAction,
    StepStatus,
)

# how each route to identity (IdentityCheck.method) is named in credentials and pages
IDENTITY_METHOD = {"face": "人脸识别", "staff": "工作人员核验", "authority": "网络身份认证"}
ROLE = {PartyRole.PLAINTIFF: "原告", PartyRole.DEFENDANT: "被告", PartyRole.THIRD_PARTY: "第三人",
        PartyRole.WITNESS: "证人", PartyRole.AGENT: "代理人"}
KIND = {DocumentKind.JUDGMENT: "判决书", DocumentKind.RULING: "裁定书", DocumentKind.MEDIATION_AGREEMENT: "调解书",
        DocumentKind.SUBPOENA: "传票", DocumentKind.NOTICE: "通知书", DocumentKind.TRANSCRIPT: "笔录",
        DocumentKind.CREDENTIAL: "电子送达凭证", DocumentKind.OTHER: "其他文书"}
# per enum class: these enums subclass str, so members of different enums with the same value
# ("running", "failed") are equal as dict keys; the class keeps them apart
LABELS: dict[type[enum.Enum], Mapping[Any, str]] = {
    PartyRole: ROLE,
    DocumentKind: KIND,
    StaffRole: {StaffRole.JUDGE: "法官", StaffRole.CLERK: "书记员", StaffRole.SEAL_APPROVER: "用印审批人",
                StaffRole.ADMIN: "管理员"},
    CaseStatus: {CaseStatus.OPEN: "已立案", CaseStatus.IN_TRIAL: "审理中", CaseStatus.CLOSED: "已结案",
                 CaseStatus.ARCHIVED: "已归档"},
    DocumentStatus: {DocumentStatus.UPLOADED: "已上传", DocumentStatus.IN_FLOW: "签署中", DocumentStatus.SEALED: "已盖章",
                     DocumentStatus.RETURNED: "已退回",
                     DocumentStatus.COMPLETED: "已完成", DocumentStatus.FAILED: "失败", DocumentStatus.ARCHIVED: "已归档"},
    FlowStatus: {FlowStatus.RUNNING: "进行中", FlowStatus.COMPLETED: "已完成", FlowStatus.REFUSED: "有拒签",
                 FlowStatus.RETURNED: "已退回",
                 FlowStatus.FAILED: "失败", FlowStatus.CANCELLED: "已取消"},
    StepAction: {StepAction.APPROVE: "审批用印", StepAction.SEAL: "加盖法院印章", StepAction.SIGN: "签名",
                 StepAction.RECEIVE: "签收"},
    StepStatus: {StepStatus.WAITING: "等待中", StepStatus.READY: "待办理", StepStatus.RUNNING: "处理中",
                 StepStatus.DONE: "已完成", StepStatus.REFUSED: "已拒绝", StepStatus.FAILED: "失败"},
    NotificationStatus: {NotificationStatus.PENDING: "待发送", NotificationStatus.SENDING: "发送中",
                         NotificationStatus.SENT: "已发送", NotificationStatus.DELIVERED: "已送达",
                         NotificationStatus.OPENED: "已查阅", NotificationStatus.FAILED: "发送失败",
                         NotificationStatus.CANCELLED: "已取消"},
}
CHANNEL = {"sms": "短信", "wechat": "微信", "email": "电子邮件", "web": "网页", "console": "站内通知"}
CHANNEL.update({"postal": "邮寄送达", "public_notice": "公告送达", "direct": "直接送达",  # service by other methods
                "left": "留置送达"})

# --- codes kept as plain strings in the database (not enums): one table each -----------------
CASE_TYPE = {"civil": "民事", "criminal": "刑事", "administrative": "行政", "enforcement": "执行", "other": "其他"}
# DocumentVersion.reason: the fixed reasons (others are already written in words, "签收：张三")
VERSION_REASON = {"uploaded": "上传原件", "corrected": "上传更正版本", "sealed": "加盖法院印章",
                  "issued": "出具送达凭证"}
# NoticePush.status, as the push page shows it
PUSH_STATUS = {"queued": "排队中", "running": "正在生成发送任务", "dispatched": "正在发送", "done": "已全部处理",
               "failed": "失败"}
# what a staff member or the system fills in a notice template (notify.messages field names)
FIELD = {"time": "时间", "place": "地点", "matter": "事项", "content": "通知内容", "action": "办理事项",
         "code": "验证码", "minutes": "有效分钟数"}
# why a message was not sent or a step failed: codes written before a colon in ``error``
ERROR = {"no_address": "当事人未登记手机号码、电子邮箱或微信", "no_consent": "当事人未同意电子送达，需以其他方式送达",
         "seal_error": "盖章失败", "consent to electronic service withdrawn or declined": "当事人已撤回或不同意电子送达"}
# who did something, by the kind before the colon in ``AuditEvent.actor``
ACTOR_KIND = {"staff": "工作人员", "party": "当事人", "person": "当事人本人", "system": "系统", "cli": "运维命令",
              "anonymous": "未登录访客", "test": "测试"}
SYSTEM_ACTOR = {"seal": "系统（盖章）", "credential": "系统（送达凭证）", "archive": "系统（归档）"}
AUDIT_ACTION = {
    "binding.verified": "身份核验后绑定账号", "bot.selfie_received": "收到人脸照片", "case.archived": "案件归档",
    "case.created": "创建案件", "case.event_added": "记录案件事件", "case.exported": "导出电子卷宗",
    "case.status_changed": "变更案件状态", "consent.declined": "不同意电子送达", "consent.given": "同意电子送达",
    "consent.withdrawn": "撤回电子送达同意", "court.approval_kinds_set": "设置须审批的文书类型",
    "court.created": "创建法院", "court.seal_image_set": "设置印章图片", "datakey.rotated": "更换数据密钥",
    "delivery.report_refused": "拒绝不可信的送达回执", "document.uploaded": "上传文书", "document.corrected": "上传更正版本",
    "document.sealed": "加盖法院印章", "document.signed": "在文书上签名", "files.orphans_removed": "清理无主文件",
    "identity.check_decided": "身份核验结果", "identity.face_check_requested": "申请人脸识别",
    "identity.face_checked": "人脸识别完成", "identity.face_consent": "同意处理人脸信息",
    "identity.otp_locked": "短信验证码错误次数过多", "identity.otp_sent": "发送短信验证码",
    "identity.otp_verified": "短信验证码通过", "identity.phone_change_refused": "拒绝更换手机号码",
    "identity.phone_changed": "更换手机号码", "identity.phone_rebound": "手机号码重新绑定",
    "identity.register_name_mismatch": "实名登记姓名不符", "identity.registered": "实名登记",
    "identity.registered_again": "再次实名登记", "identity.staff_check_claimed": "使用工作人员核验链接",
    "identity.staff_verified": "工作人员当面核验身份", "link.opened": "打开短信链接",
    "notice.push_created": "创建推送通知", "notice.push_dispatched": "推送通知已全部生成",
    "notification.fallback_sms": "微信未达，改发短信", "notification.no_fallback": "微信未达且无法改发短信",
    "notification.sent": "通知已发送", "notification.delivered": "通知已送达", "notification.failed": "通知发送失败",
    "notification.opened": "通知已查阅",
    "party.added": "添加当事人", "party.code_identity_mismatch": "关联码与身份不符", "party.code_regenerated": "重新生成关联码",
    "party.identity_mismatch": "当事人身份不符", "party.joined": "当事人关联案件", "party.removed": "删除当事人",
    "party.sessions_revoked": "结束当事人网页会话", "party_session.ended": "网页会话结束",
    "party_session.started": "网页会话开始", "seal.added": "新增印章", "seal.image_set": "设置印章图片",
    "seal.used": "使用印章", "service.credential_issued": "出具电子送达凭证", "service.credential_refused": "拒绝出具送达凭证",
    "service.effective": "送达生效", "service.effective_batch": "批量送达生效", "service.escalated_to_sms": "微信未读，改发短信",
    "service.escalated_to_staff": "无法电子送达，转工作人员处理", "service.notified": "已通知当事人",
    "service.receipt_signed": "当事人签收", "signing.failed": "签章失败", "staff.activated": "启用工作人员",
    "staff.api_key_issued": "签发接口密钥", "staff.created": "新增工作人员", "staff.password_set": "设置密码",
    "staff.role_changed": "变更工作人员角色", "staff.signature_set": "设置手写签名", "step.refusal_noted": "在文书中记录拒签",
    "step.retried": "重试失败的步骤", "step.sign_requested": "提交签名", "template.saved": "保存文书模板",
    "web.handoff": "转到网页办理", "web.sign_requested": "网页提交签名", "webhook.endpoint_created": "新增系统对接地址",
    "webhook.endpoint_updated": "修改系统对接地址", "webhook.replayed": "重新推送事件",
    "wechat.binding_invalid": "微信绑定失效", "flow.started": "启动签署流程", "flow.completed": "签署流程完成",
    "flow.cancelled": "取消签署流程", "flow.returned": "用印审批未通过，已退回", "step.approved": "批准用印",
    "step.refused": "拒绝", "step.failed": "步骤失败", "audit.rekeyed": "审计链更换密钥",
    "step.approve": "批准用印", "step.seal": "加盖法院印章", "step.sign": "签名", "step.receive": "签收",
    "step.served_otherwise": "以其他方式送达，签收步骤办结",
    "document.version_added": "新增文书版本", "party.document": "当事人查看文书", "staff.deactivated": "停用工作人员",
    "person.service_terms_accepted": "同意服务条款",
}
# the keys of AuditEvent.details, for the readable list (the raw record stays one click away)
DETAIL_KEY = {
    "active": "是否启用", "after": "之后", "approval_step_id": "审批步骤", "at": "时间", "before": "之前",
    "bytes": "字节数", "cancelled_notifications": "取消的通知数", "cases": "案件数", "cert": "证书", "changed": "变更",
    "channel": "渠道", "check": "核验", "code": "代码", "count": "数量", "document_id": "文书编号", "ended": "结束数",
    "endpoint": "对接地址", "error": "错误", "event": "事件", "event_cert": "事件证书", "events": "事件",
    "field": "字段", "final": "最终", "flow_id": "流程编号", "from": "原值", "from_person": "原当事人",
    "id_number": "身份证号", "key_id": "密钥编号", "kind": "类型", "method": "方式", "moved_from": "迁出自",
    "name": "名称", "number": "编号", "pages": "页数", "parties": "当事人", "party": "当事人", "person": "当事人本人",
    "phone": "手机号码", "purpose": "用途", "pushes": "推送数", "queued": "已生成", "reason": "原因", "reauth": "重新认证",
    "receipt": "回执编号", "recipients": "收件人", "refused_steps": "拒签步骤", "role": "身份", "rows": "行数",
    "served": "送达", "session": "会话", "size": "大小", "step_id": "步骤编号", "template": "通知类型", "timestamped": "时间戳",
    "to": "新值", "total": "总数", "url": "地址", "version": "版本", "via": "途径", "sha256": "SHA-256",
    "served_sha256": "送达版本 SHA-256", "credential_document_id": "送达凭证文书编号", "status": "状态",
    "title": "标题", "type": "类型", "number_of_parties": "当事人数", "filename": "文件名", "all": "全部当事人",
    "roles": "诉讼地位", "party_ids": "指定当事人", "case_id": "案件编号", "party_id": "当事人编号", "seal_id": "印章编号",
    "ordered": "按顺序签署", "steps": "步骤", "result": "结果", "score": "分数", "effective_at": "送达日期",
    "agreed": "已同意", "attempts": "尝试次数", "binding_id": "绑定编号", "bundle_sha256": "卷宗 SHA-256",
    "channels": "渠道", "confirmed": "当事人确认的地址", "consent": "电子送达同意", "face_consent": "人脸信息同意",
    "fields": "填写内容", "id": "编号", "identity_check": "身份核验", "link_id": "链接编号", "log_id": "记录编号",
    "mode": "方式", "notification_id": "通知编号", "ok": "成功", "provider": "服务商", "provider_code": "服务商代码",
    "push_id": "推送编号", "ref": "引用", "reported_at": "回执时间", "scan": "扫描件", "seal_cert": "印章证书",
    "sent_at": "发送时间", "signature_sha256": "签名图片 SHA-256", "source_sha256": "原文 SHA-256", "staff": "工作人员",
    "stage": "阶段", "suggestion": "建议", "text_sha256": "文本 SHA-256", "uses": "使用次数", "version_id": "版本编号",
}
# what an audit row is about, by the kind before the colon in ``AuditEvent.subject``
SUBJECT = {"document": "文书", "party": "当事人", "flow": "签署流程", "step": "流程步骤", "service_record": "送达记录",
           "notification": "通知", "push": "推送通知", "case": "案件", "seal": "印章", "staff": "工作人员",
           "template": "文书模板", "webhook": "系统对接", "person": "当事人本人", "version": "文书版本",
           "binding": "账号绑定", "court": "法院", "link": "短信链接", "session": "网页会话",
           "seal_use": "用印记录"}
# a party's standing on electronic service (court.services.consent.state)
CONSENT = {"given": "已同意", "declined": "不同意", "withdrawn": "已撤回", "none": "未确认"}
# how a seal was used (SealUse.channel)
SEAL_CHANNEL = {"flow": "签署流程", "cli": "命令行盖章", "batch": "批量盖章", "note": "拒签记录", "credential": "送达凭证"}
# the events sent to the court's own systems (court.services.webhooks): named for staff, the code
# itself stays visible beside the words because the receiving system matches on it
WEBHOOK_EVENT = {"document.sealed": "文书已盖章", "step.signed": "签名或签收", "step.approved": "用印审批通过",
                 "step.refused": "拒签", "flow.finished": "签署流程完成", "flow.returned": "用印审批未通过，已退回",
                 "service.effective": "送达生效", "credential.issued": "送达凭证已出具", "case.flagged": "案件需另行送达",
                 "case.status_changed": "案件状态变更", "case.archived": "案件已归档", "*": "全部事件"}
# every plain table above, so scripts/i18n.py puts their words in the English catalogue
WORDS: tuple[dict[str, str], ...] = (CASE_TYPE, VERSION_REASON, PUSH_STATUS, FIELD, ERROR, ACTOR_KIND, SYSTEM_ACTOR,
                                     AUDIT_ACTION, DETAIL_KEY, SUBJECT, SEAL_CHANNEL, WEBHOOK_EVENT, CONSENT)
_CODE = re.compile(r"^([a-z][a-z0-9_]*)(?::\s*(.*))?$", re.S)


def label(value: object, locale: str | None = None) -> str:
    """The name of an enum member (or a channel name) in the current language."""
    if isinstance(value, enum.Enum):
        text = LABELS.get(type(value), {}).get(value, str(value.value))
    else:
        text = CHANNEL.get(str(value), str(value))
    return translate(text, locale)


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp as Beijing time; ``—`` when there is none."""
    return value.astimezone(CHINA).strftime(fmt) if value is not None else "—"


def word(table: dict[str, str], code: object, locale: str | None = None) -> str:
    """``code`` in words from one of the tables above; an unknown code is shown as it is."""
    text = "" if code is None else str(getattr(code, "value", code))
    return translate(table[text], locale) if text in table else text


# one reader per table, for templates (Jinja filters) and code: each is ``word`` bound to its table
case_type: Callable[[object], str] = partial(word, CASE_TYPE)
version_reason: Callable[[object], str] = partial(word, VERSION_REASON)
push_status: Callable[[object], str] = partial(word, PUSH_STATUS)
seal_channel: Callable[[object], str] = partial(word, SEAL_CHANNEL)
webhook_event: Callable[[object], str] = partial(word, WEBHOOK_EVENT)
field: Callable[[object], str] = partial(word, FIELD)
# an audit action not in the table reads as its code (so nothing is hidden)
audit_action: Callable[[object], str] = partial(word, AUDIT_ACTION)
detail_key: Callable[[object], str] = partial(word, DETAIL_KEY)


def error_text(error: str | None) -> str:
    """Why something failed, in words: ``no_address: 当事人未登记…`` → the words after the code; a
    known code alone → its words; a technical message (an exception) → the message as it is."""
    if not error:
        return ""
    text = error.strip()
    if text in ERROR:
        return translate(ERROR[text])
    m = _CODE.match(text)
    if m is None:
        return text
    code, rest = m.group(1), (m.group(2) or "").strip()
    if code in ERROR:
        return translate(ERROR[code])
    return translate(rest) if rest else text


def actor_kind(actor: str | None) -> tuple[str, str]:
    """``staff:3`` → (``staff``, ``3``); ``system:seal`` → (``system``, ``seal``)."""
    kind, _, ref = (actor or "system").partition(":")
    return kind, ref


def actor_label(actor: str | None, names: dict[str, str] | None = None) -> str:
    """Who did it, in words. ``names`` maps an actor string (``staff:3``) to the person's name and
    role, looked up by the caller (this module reads no database)."""
    if actor and names and actor in names:
        return names[actor]
    kind, ref = actor_kind(actor)
    if kind == "system":
        return translate(SYSTEM_ACTOR.get(ref, "系统"))
    base = translate(ACTOR_KIND[kind]) if kind in ACTOR_KIND else (actor or "")
    return f"{base} #{ref}" if ref and ref.isdigit() else base
