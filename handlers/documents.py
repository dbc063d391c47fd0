"""我的文书: the documents waiting for this person, each with a link to its signing page, and the
receipts of what they have signed for; plus the confirmation sent after a signature."""
from __future__ import annotations

from sqlalchemy import select

from court.i18n import _
from court.models import Document, FlowStep, Party, ServiceRecord, SigningFlow, StepAction, StepStatus
from handlers.common import Context, local_time, need_registration
from handlers.types import Link, Reply

_ACTION = {StepAction.RECEIVE: "待签收", StepAction.SIGN: "待签名"}
MAX_LISTED = 8


def waiting(s, person_id: int) -> list[tuple[FlowStep, Document]]:  # type: ignore[no-untyped-def]
    """READY party steps of this person: the documents that wait for them, oldest first."""
    rows = s.execute(
        select(FlowStep, Document)
        .join(SigningFlow, FlowStep.flow_id == SigningFlow.id)
        .join(Document, SigningFlow.document_id == Document.id)
        .join(Party, FlowStep.party_id == Party.id)
        .where(Party.person_id == person_id, FlowStep.status == StepStatus.READY,
               FlowStep.action.in_([StepAction.RECEIVE, StepAction.SIGN]))
        .order_by(FlowStep.id)
    ).all()
    return [(step, doc) for step, doc in rows]


def my_documents(ctx: Context) -> None:
    if ctx.person is None:
        need_registration(ctx)
        return
    pending = waiting(ctx.s, ctx.person.id)
    signed = ctx.s.scalars(
        select(ServiceRecord).join(Party, ServiceRecord.party_id == Party.id)
        .where(Party.person_id == ctx.person.id, ServiceRecord.signed_at.is_not(None))
        .order_by(ServiceRecord.signed_at.desc()).limit(5)
    ).all()
    if not pending and not signed:
        ctx.say(_("目前没有需要您签收的文书。有新文书时我们会通知您。"))
        return
    parts: list[str] = []
    links: list[Link] = []
    if pending:
        parts.append(_("待办文书 {n} 份，请点击链接查看并签署：", n=len(pending)))
        for step, doc in pending[:MAX_LISTED]:
            label = _("【{action}】{title}（{number}）", action=_(_ACTION[step.action]), title=doc.title,
                      number=doc.case.number)
            links.append(Link(label, ctx.channel.document_url(doc.id)))
        if len(pending) > MAX_LISTED:
            parts.append(_("另有 {n} 份未列出，请先处理以上文书。", n=len(pending) - MAX_LISTED))
    if signed:
        lines = [_("最近已签收：")]
        for rec in signed:
            lines.append(_("· {title}，{when} 签收，回执编号 {number}", title=rec.document.title,
                           when=local_time(rec.signed_at), number=rec.receipt_number or "—"))
        parts.append("\n".join(lines))
    if pending:
        ctx.replies.append(Reply(parts[0], tuple(links)))
        if len(parts) > 1:
            ctx.say("\n\n".join(parts[1:]))
    else:
        ctx.say("\n\n".join(parts))


def receipt_confirmation(record: ServiceRecord) -> Reply:
    """The message a party gets after signing for a document (sent by the channel's job)."""
    when = local_time(record.signed_at) if record.signed_at else ""
    return Reply(_(
        "您已签收《{title}》（{number}），签收时间 {when}。\n送达回执编号：{receipt}\n"
        "电子送达凭证已生成，可在“我的文书”中查看。",
        title=record.document.title, number=record.document.case.number, when=when,
        receipt=record.receipt_number or "—",
    ))
