"""The e-service credential (电子送达凭证), which has the effect of a service receipt (送达回证).

Built from the service record: court, case number, the served document's title and the SHA-256
of the exact version served, the recipient (name, masked ID number), the recorded consent (how,
when, which addresses; ``court.services.consent``), every channel tried with its sent / delivered
/ opened times and the provider's message id, the face check, when the party signed for it, and
the legal date of service (``court.services.service_date``). Without a consent in force when the
party was served there is no e-service credential: the case is flagged for another method.
The PDF is written with real, embedded Chinese text (a subset of the installed CJK font with
a ToUnicode map), then sealed by the court like any other document, with its own
anti-counterfeit code. It is stored as a document of kind CREDENTIAL in the same case and
linked from ``ServiceRecord.credential_version_id``.
"""
from __future__ import annotations

import contextlib
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, crypto, db, display, redis_conn
from court.errors import Conflict, NotFound
from court.models import (
    Consent,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    Notification,
    Person,
    ServiceRecord,
    Staff,
)
from court.services import agents, documents, identity_checks
from court.services import consent as consent_rules
from signing import codes, fonts, seals
from signing.pagegeometry import Placement
from signing.pdfsign import CHINA
from signing.service import stamper
from signing.settings import current

PAGE_W, PAGE_H = 595.0, 842.0
MARGIN = 56.0
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


# ----------------------------------------------------------------------------- a small text PDF writer

@dataclass
class _Line:
    x: float
    y: float
    size: float
    text: str
    gray: float = 0.0


@dataclass
class TextPdf:
    """Pages of positioned text lines and rules, written as a fresh PDF with one CJK subset."""

    font_path: str
    pages: list[list[_Line | tuple[float, float, float, float]]] = field(default_factory=lambda: [[]])
    title: str = "电子送达凭证"  # the document information's title

    def text(self, x: float, y: float, size: float, text: str, gray: float = 0.0) -> None:
        self.pages[-1].append(_Line(x, y, size, text, gray))

    def rule(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.pages[-1].append((x0, y0, x1, y1))

    def new_page(self) -> None:
        self.pages.append([])

    def build(self, font: fonts.Subset | None = None) -> bytes:
        chars = "".join(item.text for page in self.pages for item in page if isinstance(item, _Line))
        if font is None or any(ch not in font.gids for ch in set(chars)):
            font = fonts.subset(self.font_path, chars)
        objs: dict[int, bytes] = {}
        n_pages = len(self.pages)
        # 1 catalog, 2 pages, 3..7 font, then (page, content) pairs, then info
        for i, body in enumerate(font.objects(3)):
            objs[3 + i] = body
        kids = []
        for p, items in enumerate(self.pages):
            page_num, content_num = 8 + 2 * p, 9 + 2 * p
            kids.append(b"%d 0 R" % page_num)
            ops = []
            for item in items:
                if isinstance(item, _Line):
                    ops.append(b"%s g BT /F1 %s Tf %s %s Td %s Tj ET" % (
                        _f(item.gray), _f(item.size), _f(item.x), _f(item.y), font.encode(item.text)))
                else:
                    ops.append(b"0.5 G 0.6 w %s %s m %s %s l S" % tuple(_f(v) for v in item))
            raw = zlib.compress(b"\n".join(ops), 6)
            objs[content_num] = b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(raw) + raw + b"\nendstream"
            objs[page_num] = (b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>"
                              b"/Contents %d 0 R>>" % content_num)
        objs[1] = b"<</Type/Catalog/Pages 2 0 R/Lang(zh-CN)>>"
        objs[2] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (b" ".join(kids), n_pages)
        info = 8 + 2 * n_pages
        objs[info] = b"<</Producer(court-platform signing)/Title<feff%s>>>" % self.title.encode("utf-16-be").hex().encode()
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = {}
        for num in sorted(objs):
            offsets[num] = len(out)
            out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
        xref = len(out)
        size = max(objs) + 1
        out += b"xref\n0 %d\n0000000000 65535 f\r\n" % size
        for num in range(1, size):
            out += b"%010d 00000 n\r\n" % offsets[num]
        out += b"trailer\n<</Size %d/Root 1 0 R/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, info, xref)
        return bytes(out)


def _f(v: float) -> bytes:
    return (b"%.2f" % v).rstrip(b"0").rstrip(b".")


def wrap(text: str, font: fonts.Subset, size: float, width: float) -> list[str]:
    lines, cur = [], ""
    for ch in text:
        if ch == "\n":
            lines.append(cur)
            cur = ""
            continue
        if font.width(cur + ch, size) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


# ----------------------------------------------------------------------------- content

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


def _served_document(rec: ServiceRecord) -> Document:
    if rec.document is None:
        raise Conflict("送达记录没有文书，不能出具送达凭证", code="not_served")
    return rec.document


def gather(s: Session, rec: ServiceRecord) -> CredentialData:
    doc = _served_document(rec)
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
    info = consent_rules.describe(c)
    addresses = "、".join(
        f"{CHANNELS.get(ch, ch)}（{shown}）" if shown else CHANNELS.get(ch, ch)
        for ch, shown in info["addresses"].items())
    paper = "，附当事人签名的确认书扫描件" if info["scan"] else ""
    return f"{info['method_label']}，{_t(c.given_at)}，确认送达地址：{addresses or '—'}{paper}"


def render(data: CredentialData, font_path: str) -> tuple[bytes, tuple[float, float, float, float], int]:
    """The unsigned credential PDF, the seal position (x, y, w, h) and the seal's page."""
    signer = f"（{data.acted_for}）" if data.acted_for else ""
    statement = (f"本院依据《中华人民共和国民事诉讼法》第九十条及《人民法院在线诉讼规则》第二十九条至第三十三条，"
                 f"经受送达人同意，以电子方式向其送达上述文书。送达信息最早到达受送达人特定系统的时间为"
                 f"{data.effective_at}，该时间为送达日期。受送达人已于{data.signed_at}签收{signer}。本凭证由{data.court}"
                 f"电子印章签章，具有与送达回证同等的效力。")
    rows = [("送达法院", data.court), ("案号", data.case_number), ("送达文书", data.document_title),
            ("文书指纹（SHA-256）", data.document_sha256), ("受送达人", data.recipient),
            (data.recipient_id_label, data.recipient_id), ("电子送达同意", data.consent),
            ("身份核验", data.face_check), *([("签收人", data.acted_for)] if data.acted_for else []),
            ("签收时间", data.signed_at), ("送达生效时间", f"{data.effective_at}（{data.effective_channel}）")]
    cols = [("渠道", 0), ("地址", 48), ("状态", 140), ("发送时间", 192), ("到达时间", 292), ("查阅时间", 392)]
    everything = (_STATIC + statement + "".join(a + b for a, b in rows) + "".join(c for c, _ in cols)
                  + "".join("".join(c.values()) for c in data.channels) + data.receipt_number + data.issued_at
                  + "消息编号：")
    pdf = TextPdf(font_path)
    font = fonts.subset(font_path, everything)
    y = PAGE_H - 80

    def need(height: float) -> None:
        nonlocal y
        if y - height < 110:
            pdf.new_page()
            y = PAGE_H - 70

    title = "电子送达凭证"
    pdf.text((PAGE_W - font.width(title, 22)) / 2, y, 22, title)
    y -= 22
    sub = "（具有送达回证效力）"
    pdf.text((PAGE_W - font.width(sub, 11)) / 2, y, 11, sub, 0.3)
    y -= 20
    pdf.text(PAGE_W - MARGIN - font.width(f"编号：{data.receipt_number}", 9), y, 9, f"编号：{data.receipt_number}", 0.3)
    y -= 14
    pdf.rule(MARGIN, y, PAGE_W - MARGIN, y)
    y -= 22
    label_w = 120.0
    avail = PAGE_W - 2 * MARGIN - label_w
    for label, value in rows:
        size = 10.5
        if value.isascii() and " " not in value and font.width(value, size) > avail:
            size = max(7.0, size * avail / font.width(value, size) - 0.1)  # keep a fingerprint on one line
        lines = wrap(value, font, size, avail)
        need(16 * len(lines) + 6)
        pdf.text(MARGIN, y, 10.5, label + "：", 0.25)
        for line in lines:
            pdf.text(MARGIN + label_w, y, size, line)
            y -= 16
        y -= 6
    need(60)
    y -= 6
    pdf.text(MARGIN, y, 12, "送达渠道记录")
    y -= 8
    pdf.rule(MARGIN, y, PAGE_W - MARGIN, y)
    y -= 16
    for head, dx in cols:
        pdf.text(MARGIN + dx, y, 9, head, 0.25)
    y -= 15
    if not data.channels:
        pdf.text(MARGIN, y, 9, "（无渠道记录）", 0.3)
        y -= 15
    for ch in data.channels:
        need(28)
        for (key, dx) in zip(("channel", "address", "status", "sent", "delivered", "opened"), [c[1] for c in cols],
                             strict=True):
            pdf.text(MARGIN + dx, y, 8.5, ch[key])
        y -= 12
        pdf.text(MARGIN + 48, y, 7.5, f"消息编号：{ch.get('ref', '—')}", 0.35)
        y -= 13
    y -= 10
    lines = wrap(statement, font, 10.5, PAGE_W - 2 * MARGIN)
    need(16 * len(lines) + 150)
    for line in lines:
        pdf.text(MARGIN, y, 10.5, line)
        y -= 17
    y -= 30
    court_line = data.court
    pdf.text(PAGE_W - MARGIN - font.width(court_line, 12), y, 12, court_line)
    y -= 18
    issued = f"出具时间：{data.issued_at}"
    pdf.text(PAGE_W - MARGIN - font.width(issued, 10), y, 10, issued)
    seal = (PAGE_W - MARGIN - 130, max(60.0, y - 40), 120.0, 120.0)
    return pdf.build(font), seal, len(pdf.pages)


_STATIC = "电子送达凭证（具有送达回证效力）编号：送达渠道记录（无渠道记录）出具时间：—" + fonts.ASCII


def refuse_without_consent(s: Session, rec: ServiceRecord) -> None:
    """No consent, no e-service credential: flag the case for another method of service."""
    consent_rules.flag(s, rec.party.case_id, f"{rec.party.name}：未同意电子送达，不出具电子送达凭证，请改用其他方式送达")
    audit.record(s, "service.credential_refused", actor="system:credential", case_id=rec.party.case_id,
                 subject=f"service_record:{rec.id}", details={"reason": "no_consent"})


def _issue(s: Session, rec: ServiceRecord) -> DocumentVersion:
    """Render, seal and store the credential for ``rec`` (consent already checked)."""
    settings = current()
    data = gather(s, rec)
    font_path = fonts.find_font(settings.cjk_font_path)
    raw, rect, pages = render(data, font_path)
    source = _served_document(rec)
    doc = Document(case_id=source.case_id, kind=DocumentKind.CREDENTIAL, title=f"电子送达凭证（{source.title}）"[:200])
    s.add(doc)
    s.flush()
    code = codes.assign(s, doc)
    court = source.case.court
    seal = seals.default_seal(s, court)  # every use of the court seal is in the register
    sealed = stamper(settings, court=court, seal=seal).stamp(
        raw, code, placement=Placement(pages, rect), reason=f"{court.name}电子送达凭证",
        max_bytes=settings.max_bytes, max_pages=settings.max_pages)
    version = documents.add_version(s, doc, sealed.pdf, "issued", filename=f"电子送达凭证-{data.receipt_number}.pdf",
                                    actor="system:credential")
    doc.status = DocumentStatus.SEALED
    rec.credential_version_id = version.id
    seals.record(s, [seals.Use(
        "credential", actor="system:credential", code=code, source_sha256=hashlib.sha256(raw).hexdigest(),
        pdf=sealed.pdf, pages=sealed.pages, cert_fingerprint=seals.fingerprint(seal, settings), seal=seal,
        case_id=source.case_id, document_id=doc.id, version_id=version.id, filename=version.filename)])
    audit.record(s, "service.credential_issued", actor="system:credential", case_id=source.case_id,
                 subject=f"service_record:{rec.id}", details={
                     "credential_document_id": doc.id, "sha256": version.sha256,
                     "served_sha256": data.document_sha256})
    return version


def build(service_record_id: int) -> DocumentVersion:
    """Produce (once) the sealed credential for a service record; returns its version.

    Refused (``no_consent``, the case flagged and the flag committed) when the party had no
    consent in force when served."""
    lock = redis_conn.client().lock(f"signing:credential:{service_record_id}", timeout=300, blocking_timeout=60,
                                    thread_local=False)
    if not lock.acquire(blocking=True):
        raise Conflict("送达凭证正在生成中", code="credential_busy")
    try:
        with db.transaction() as s:
            rec = s.get(ServiceRecord, service_record_id)
            if rec is None:
                raise NotFound("送达记录不存在", code="service_record_not_found")
            if rec.credential_version_id is not None:
                existing = s.get(DocumentVersion, rec.credential_version_id)
                assert existing is not None
                return existing
            served_at = rec.signed_at or rec.effective_at
            if rec.document_id is None or served_at is None:
                raise Conflict("尚未送达，不能出具送达凭证", code="not_served")
            if consent_rules.given_at_time(s, rec.party, served_at) is not None:
                return _issue(s, rec)
            refuse_without_consent(s, rec)  # committed with the transaction, then refused below
        raise Conflict("受送达人未同意电子送达，不能出具电子送达凭证", code="no_consent")
    finally:
        with contextlib.suppress(Exception):
            lock.release()
