"""How the domain's values read to people: Chinese names (translated on use) and China time.

One table for every channel (console, party pages, bot, SMS, PDFs), so a document kind or a
party role is called the same everywhere.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

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

CHINA = timezone(timedelta(hours=8))  # courts, parties and providers all use Beijing time

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
