"""我的文书 and 签收: the documents waiting for this person, each with a link to its signing page, and
the documents already served on them with the legal date of service; plus the confirmation sent
after a signature.

The date of service shown is ``ServiceRecord.effective_at``, which only
:mod:`court.services.service_date` sets (the earliest counting arrival, open or signature): the bot
shows the rule's answer and never works it out itself. A case number is printed as stored, with
its own brackets (:mod:`court.casenumbers`), never inside another pair.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from court.i18n import _
from court.models import Document, FlowStep, ServiceRecord, StepAction
from court.services import party_documents
from handlers.common import Context, Next, local_time, need_registration, stay
from handlers.types import Link, Reply

_ACTION = {StepAction.RECEIVE: "待签收", StepAction.SIGN: "待签名"}
MAX_LISTED = 8


def waiting(s: Session, person_id: int) -> list[tuple[FlowStep, Document]]:
    """Every document that waits for this person, their own and those of the parties they act
    for (``court.services.party_documents.person_documents`` decides), oldest first."""
    return sorted((pair for held in party_documents.person_documents(s, person_id) for pair in held.waiting),
                  key=lambda pair: pair[0].id)


def _waiting_reply(ctx: Context, pending: list[tuple[FlowStep, Document]], head: str) -> Reply:
    links = tuple(
        Link(_("【{action}】{title} {number}", action=_(_ACTION[step.action]), title=doc.title,
               number=doc.case.number), ctx.channel.document_url(doc.id))
        for step, doc in pending[:MAX_LISTED])
    text = head
    if len(pending) > MAX_LISTED:
        text += "\n" + _("另有 {n} 份未列出，请先处理以上文书。", n=len(pending) - MAX_LISTED)
    return Reply(text, links)


def _served_line(rec: ServiceRecord) -> str:
    doc = rec.document
    when = (_("{when} 送达", when=local_time(rec.effective_at)) if rec.effective_at
            else _("送达日期待定"))
    line = _("· 《{title}》{number}：{served}", title=doc.title, number=doc.case.number, served=when)
    if rec.signed_at:
        line += _("，{when} 签收，回执编号 {number}", when=local_time(rec.signed_at), number=rec.receipt_number or "—")
    return line


def my_documents(ctx: Context) -> Next:
    """我的文书: the person's own documents, then those of each party they act for as its agent or
    legal representative, headed "代 北京某某科技有限公司" (who may see what:
    ``court.services.party_documents.person_documents``)."""
    if ctx.person is None:
        return need_registration(ctx)
    holdings = party_documents.person_documents(ctx.s, ctx.person.id)
    if not any(h.waiting or h.served for h in holdings):
        ctx.say(_("目前没有需要您签收的文书。有新文书时我们会通知您。"))
        return stay(ctx)
    for held in holdings:
        if not held.waiting and not held.served:
            continue
        head = "" if held.for_party is None else _("代 {name}：", name=held.for_party.name) + "\n"
        if held.waiting:
            ctx.replies.append(_waiting_reply(ctx, held.waiting, head + _(
                "待办文书 {n} 份，请点击链接查看并签署：", n=len(held.waiting))))
            head = ""
        if held.served:
            ctx.say(head + "\n".join([_("已送达的文书：")] + [_served_line(rec) for rec in held.served]))
    if not any(h.waiting for h in holdings):
        ctx.say(_("目前没有需要您签收的文书。有新文书时我们会通知您。"))
    return stay(ctx)


def how_to_sign(ctx: Context) -> Next:
    """签收 / 怎么签收 / 我要签字: how signing for a document works here, with the documents to sign."""
    if ctx.person is None:
        ctx.say(_("签收法院文书前，需要先在本服务号完成实名认证和人脸识别。"))
        return need_registration(ctx)
    pending = waiting(ctx.s, ctx.person.id)
    how = _("签收方法：点击下面的文书，阅读全文后点“签收”，按提示手写签名即可；签收后会收到送达回执。")
    if not pending:
        ctx.say(_("目前没有需要您签收的文书。有新文书时我们会通知您，点击通知即可查看和签收。") + "\n"
                + _("已签收的文书可发送“我的文书”查看。"))
        return stay(ctx)
    ctx.replies.append(_waiting_reply(ctx, pending, how))
    return stay(ctx)


def receipt_confirmation(record: ServiceRecord) -> Reply:
    """The message a party gets after signing for a document (sent by the channel's job)."""
    when = local_time(record.signed_at) if record.signed_at else ""
    return Reply(_(
        "您已签收《{title}》{number}，签收时间 {when}。\n送达回执编号：{receipt}\n"
        "电子送达凭证已生成，可在“我的文书”中查看。",
        title=record.document.title, number=record.document.case.number, when=when,
        receipt=record.receipt_number or "—",
    ))
