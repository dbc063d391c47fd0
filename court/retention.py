"""Where personal data lives, why, and for how long: the one inventory the purge obeys.

The house rule is that personal data (ID numbers, phones, faces, openids) is kept only as long
as needed. Two needs pull apart: a party's proof of a phone or a failed face check is worthless
after a few weeks, while the service records, consents, identity checks and audit chain of a case
are the electronic case file, which the court keeps for the archiving period of its case (人民法院
档案管理办法: long-term or permanent); deleting them would void service. So every holding below
says whether it belongs to the case file. Holdings of the case file have no period here: they
leave only through the court's archive appraisal (档案鉴定销毁), never through this code.

:data:`HOLDINGS` is the table (README's "Privacy and retention" section is :func:`markdown`);
:func:`days` is the *one* place a holding's period is read, so operators' overrides arrive
through :func:`configure` and nothing else. ``court.services.retention`` does the purging.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# How a holding leaves: the purge deletes rows, anonymises them in place (they are referenced by
# the case file or the audit chain), gives a Redis key an expiry, or nothing here removes it.
DELETE, ANONYMISE, EXPIRE, SELF, CASE_FILE = "delete", "anonymise", "expire", "self", "case_file"

_ACTION_ZH = {
    DELETE: "到期删除 / deleted",
    ANONYMISE: "到期匿名化 / anonymised",
    EXPIRE: "到期自动过期 / Redis expiry set",
    SELF: "自动删除 / removes itself",
    CASE_FILE: "随案卷保存 / kept with the case file",
}


@dataclass(frozen=True)
class Holding:
    """One place personal data lives. ``default_days`` is None when no period applies here
    (kept with the case file, or the holding removes itself sooner)."""

    key: str  # the name of the period setting: RETENTION_<KEY>_DAYS
    data_zh: str
    where: str
    purpose: str
    basis: str
    action: str
    default_days: int | None = None
    kept: str = ""  # the plain-words period when there is no number of days

    @property
    def case_file(self) -> bool:
        return self.action == CASE_FILE


HOLDINGS: tuple[Holding, ...] = (
    Holding("party_session", "网页会话（含验证过的手机号）", "table `party_session` (person, parties, proven phone)",
            "keep a signed-in party page working; end it from anywhere",
            "needed only while the session lives; kept a month to answer complaints", DELETE, 30),
    Holding("unjoined_registration", "未关联案件的登记（姓名、身份证号、手机、微信 openid、核验记录）",
            "tables `person` (anonymised), `channel_binding`, `identity_check`, `face_consent`, `party_session`",
            "let a person join a case with an association code",
            "the person's own request to use the platform; no case needs it", ANONYMISE, 180),
    Holding("failed_identity_check", "未通过的身份核验（分数、结果）", "table `identity_check`, status fail / pending",
            "tell the party why the check failed; spot repeated attempts",
            "useless once the party retried or gave up", DELETE, 90),
    Holding("outbox_no_case", "与案件无关的短信/消息（验证码、核验链接）的地址", "table `notification` rows without a case",
            "send the message, retry, record delivery", "sending only; the SMS code itself is purged after sending",
            ANONYMISE, 90),
    Holding("delivery_report_no_case", "与案件无关消息的送达回执", "table `delivery_report` of messages without a case",
            "mark a message delivered", "sending only", DELETE, 90),
    Holding("dev_message", "开发短信网关收件箱（手机号、短信内容）", "table `dev_message` (development gateway only)",
            "show a developer what a phone would receive", "development only", DELETE, 7),
    Holding("conversation_language", "微信会话语言偏好（openid）", "Redis `conv-lang:<channel>:<openid>`",
            "answer a returning user in their language", "convenience; renewed on every visit", EXPIRE, 90),
    Holding("conversation_state", "微信会话进行中的步骤（openid，加密的输入）", "Redis `conv:<channel>:<openid>`",
            "continue a conversation step", "only while a step waits", SELF, kept="step timeout + a few minutes"),
    Holding("otp_and_limits", "短信验证码摘要、频率限制计数（手机号、IP 的哈希）", "Redis `identity:otp:*`, `rl:*`",
            "check a code once; slow down guessing", "security of the sign-in", SELF,
            kept="the limit's own window, ≤ 1 day (Redis expiry)"),
    Holding("wechat_callbacks", "微信回调去重与重放记录、人脸核验结果待取", "Redis `bot:*`, `identity:face:reply:*`, `identity:face:done:*`",
            "answer WeChat's retries once; refuse replayed callbacks; tell the page a check's result",
            "security and exactly-once handling", SELF, kept="≤ 1 day (Redis expiry)"),
    Holding("face_image", "人脸照片", "Redis, AES-GCM encrypted, while the check is queued",
            "one face check", "Face Recognition Measures: no longer than the check needs", SELF,
            kept="deleted after the check, ≤ FACE_IMAGE_TTL_SECONDS"),
    Holding("export_temp", "导出的电子卷宗临时文件", "temporary files of the worker or web process",
            "build a bundle for download", "transfer only", SELF, kept="deleted when closed"),
    Holding("logs", "日志", "stdout / the host's log files",
            "operate and debug", "ID numbers and phones appear only masked (138****5678)", SELF,
            kept="the host's log rotation (set it to ≤ 30 days)"),
    Holding("case_party", "案件当事人（姓名、身份证号、手机、邮箱）", "table `party`, agents' powers of attorney",
            "serve the case's documents on the right person", "CPL arts. 87-90; the case file", CASE_FILE,
            kept="the case's archiving period"),
    Holding("case_service", "送达记录、送达凭证、短信链接、与案件有关的消息及回执",
            "tables `service_record`, `notification` (with a case), `sms_link`, `delivery_report`, `other_service`, "
            "document files", "prove service and its legal date", "CPL art. 90; Online Litigation Rules arts. 29-33",
            CASE_FILE, kept="the case's archiving period"),
    Holding("case_consent", "电子送达同意", "table `consent`, scans of paper forms",
            "the legal basis of electronic service", "CPL art. 90; Online Litigation Rules art. 29", CASE_FILE,
            kept="the case's archiving period"),
    Holding("joined_identity", "已关联案件的人的身份、绑定、通过的核验、人脸告知同意",
            "tables `person`, `channel_binding`, `identity_check` (passed), `face_consent`",
            "show who signed and how they proved it", "Online Litigation Rules art. 7; Electronic Signature Law",
            CASE_FILE, kept="the case's archiving period"),
    Holding("staff", "法院工作人员（姓名、邮箱、手写签名）", "table `staff`, signature images",
            "log in; name who acted and signed", "their employment; the case files name them", CASE_FILE,
            kept="while the account exists; then as long as a case file names them"),
    Holding("audit_log", "审计日志（只含编号和打码的号码）", "table `audit_event` (hash chain), webhook deliveries",
            "prove what happened and that nobody changed it", "Online Litigation Rules art. 33 (full trace)",
            CASE_FILE, kept="permanent: a row removed would break the chain"),
)

_BY_KEY = {h.key: h for h in HOLDINGS}
_overrides: dict[str, int | None] = {}


def configure(overrides: Mapping[str, int | None]) -> None:
    """Set operators' periods (days) by holding key, e.g. ``{"party_session": 14}`` (from
    ``RETENTION_DAYS``, bound by ``court.runtime.init``)."""
    check(overrides)
    _overrides.clear()
    _overrides.update(overrides)


def check(overrides: Mapping[str, int | None]) -> None:
    """Refuse an unknown key, the case file's holdings or a period under a day, so a typo never
    silently keeps data forever (a start-up line naming ``RETENTION_DAYS``)."""
    for key, value in overrides.items():
        if key not in _BY_KEY or _BY_KEY[key].action not in (DELETE, ANONYMISE, EXPIRE):
            raise ValueError(f"no retention period can be set for {key!r}")
        if value is not None and value < 1:
            raise ValueError(f"retention period of {key!r} must be at least one day")


def days(key: str) -> int | None:
    """The period of ``key`` in days: the operator's override, else the default."""
    return _overrides[key] if key in _overrides else _BY_KEY[key].default_days


def _kept(h: Holding) -> str:
    period = days(h.key)
    return f"{period} 天 / days" if period is not None else h.kept


def markdown() -> str:
    """The inventory as README's table, so the page and the code cannot drift apart."""
    rows = ["| 数据 / data | 在哪里 / where | 用途 / purpose | 依据 / basis | 保存多久 / kept | 到期怎样 / then |",
            "|---|---|---|---|---|---|"]
    rows += [f"| {h.data_zh} | {h.where} | {h.purpose} | {h.basis} | {_kept(h)} | {_ACTION_ZH[h.action]} |"
             for h in HOLDINGS]
    return "\n".join(rows)
