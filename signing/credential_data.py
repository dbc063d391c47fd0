"""What the e-service credential says, gathered from the service record: the truth, not the layout.

Why its own module: the credential must tell the truth (DESIGN.md): the consent, the exact
version served (hash), every channel tried with its times, the identity check and the
acknowledgement. Gathering it reads many tables; keeping it apart from the PDF layout
(:mod:`signing.credential_render`) lets each be read, and tested, on its own. Addresses are
masked here, so no full phone number reaches the PDF.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import crypto, db, display
from court.chinatime import CHINA
from court.errors import Conflict
from court.models import (
    Consent,
    Document,
    DocumentVersion,
    Notification,
    Person,
    ServiceRecord,
    Staff,
)
from court.services import agents, consent_text, identity_checks
from court.services import consent as consent_rules

CHANNELS = {"sms": "短信", "wechat": "微信", "email": "电子邮件", "web": "网页", "phone": "电话"}
STATUSES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "delivered": "已送达", "opened": "已查阅",
            "failed": "发送失败", "cancelled": "已取消"}


def _t(dt: datetime | str | None) -> str:
    if dt is None or dt == "":
        return "—"
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt)
        except ValueError:
            return str(dt)
    if dt.tzinfo is None:

        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _mask_address(channel: str, address: str) -> str:
    if not address:
        return "—"
    if channel in ("sms", "phone"):
        return crypto.mask_phone(address)
    if channel == "email" and "@" in address:
        user, domain = address.split("@", 1)
        return user[:2] + "***@" + domain
    return "***" + address[-4:] if len(address) > 4 else "***"


@dataclass
class CredentialData:
    court: str
    case_number: str
    document_title: str
    document_sha256: str
    recipient: str
    recipient_id: str
    consent: str
    channels: list[dict[str, str]]
    face_check: str
    signed_at: str
    effective_at: str
    effective_channel: str
    receipt_number: str
    issued_at: str
    recipient_id_label: str = "身份证件号码"
    acted_for: str = ""  # "…由委托诉讼代理人 李四 代为签收" when an agent signed (court.services.agents)


def served_document(rec: ServiceRecord) -> Document:
    """The document the record served; a record without one has nothing to credit (``not_served``)."""
    if rec.document is None:
        raise Conflict("送达记录没有文书，不能出具送达凭证", code="not_served")
    return rec.document


def gather(s: Session, rec: ServiceRecord) -> CredentialData:
    doc = served_document(rec)
    party = rec.party
    served: DocumentVersion = rec.served_version or doc.current
    channels: list[dict[str, str]] = []
    # messages to the party and to its agents' own records (CPL art. 88: service on the agent)
    reached = {rec.party_id, *(a.agent_party_id for a in agents.for_party(s, party))}
    notes = list(s.scalars(select(Notification).where(
        Notification.party_id.in_(reached), Notification.document_id == rec.document_id).order_by(Notification.id)))
    for n in notes:
        channels.append({"channel": CHANNELS.get(n.channel, n.channel), "address": _mask_address(n.channel, n.address),
                         "status": STATUSES.get(n.status.value, n.status.value), "sent": _t(n.sent_at),
                         "delivered": _t(n.delivered_at), "opened": _t(n.opened_at), "ref": n.provider_id or "—"})
    if not notes:
        for entry in rec.channels_tried or []:
            ch = str(entry.get("channel", ""))
            channels.append({"channel": CHANNELS.get(ch, ch), "address": _mask_address(ch, str(entry.get("address", ""))),
                             "status": STATUSES.get(str(entry.get("status", "")), str(entry.get("status", "—"))),
                             "sent": _t(entry.get("sent_at")), "delivered": _t(entry.get("delivered_at")),  # type: ignore[arg-type]
                             "opened": _t(entry.get("opened_at")), "ref": "—"})  # type: ignore[arg-type]
    # the person who signed: the party in person, or the agent who signed for it
    person = s.get(Person, rec.signed_by_person_id) if rec.signed_by_person_id else party.person
    # identity: the route by which the signer last proved who they were before signing (any method)
    check = identity_checks.last_pass(s, person_id=person.id, before=rec.signed_at) if person is not None else None
    staff = s.get(Staff, int((check.ref or "")[6:])) if check and (check.ref or "").startswith("staff:") else None
    if check is not None and person is not None and check.decided_at is not None and (
            person.face_verified_at is None or check.decided_at >= person.face_verified_at):
        who = f"{staff.name}，" if staff is not None else (f"{check.provider}，" if check.method != "staff" else "")
        score = f"相似度 {check.score:.1f}，" if check.score is not None else ""
        face = f"已通过：{display.IDENTITY_METHOD.get(check.method, check.method)}（{who}{score}{_t(check.decided_at)}）"
    elif person is not None and person.face_verified_at is not None:
        score = f"，相似度 {person.face_score:.1f}" if person.face_score is not None else ""
        face = f"已通过：人脸识别（{person.face_provider or '人脸核验'}{score}，{_t(person.face_verified_at)}）"
    else:
        face = "未进行"
    given = consent_rules.given_at_time(s, party, rec.signed_at or rec.effective_at or db.utcnow())
    assert given is not None  # build() refuses before gathering
    by_agent = agents.consent_agent(s, given.recorded_by)
    organisation = party.kind == "organisation"
    return CredentialData(
        court=doc.case.court.name, case_number=doc.case.number, document_title=doc.title,
        document_sha256=served.sha256, recipient=party.name,
        recipient_id=(party.uscc or "—") if organisation else
        party.id_number_masked or (person.id_number_masked if person is not None else "") or "—",
        recipient_id_label="统一社会信用代码" if organisation else "身份证件号码",
        acted_for=rec.acted_for or "",
        consent=consent_line(given) + (f"（由{agents.role_title(by_agent)} {by_agent.agent.name} 代为同意）"
                                       if by_agent is not None else ""),
        channels=channels, face_check=face, signed_at=_t(rec.signed_at), effective_at=_t(rec.effective_at),
        effective_channel=CHANNELS.get(rec.effective_channel or "")
        or display.CHANNEL.get(rec.effective_channel or "", rec.effective_channel or "—"),  # 邮寄送达 …
        receipt_number=rec.receipt_number or f"SD{rec.id:08d}", issued_at=_t(db.utcnow()),
    )


def consent_line(c: Consent) -> str:
    """How, when and for which addresses the party consented, as the credential states it."""
    info = consent_text.describe(c)
    addresses = "、".join(
        f"{CHANNELS.get(ch, ch)}（{shown}）" if shown else CHANNELS.get(ch, ch)
        for ch, shown in info["addresses"].items())
    paper = "，附当事人签名的确认书扫描件" if info["scan"] else ""
    return f"{info['method_label']}，{_t(c.given_at)}，确认送达地址：{addresses or '—'}{paper}"
