"""The conversation: a table of steps and the handler for each, plus the commands that work anywhere.

    step               waits for                    handler
    ─────────────────  ───────────────────────────  ─────────────────────────
    idle               a command or anything        idle
    reg.name           real name                    registration.on_name
    reg.id_number      18-digit ID number           registration.on_id_number
    reg.phone          mobile number                registration.on_phone
    reg.code           SMS code (or 重发)            registration.on_code
    reg.terms          同意 / 不同意                  registration.on_terms
    face.consent       同意 / 不同意 to the face notice  face.on_consent
    face.selfie        a photo                      face.on_selfie
    face.checking      (the check's result)         face.on_checking
    join.code          an association code          cases.on_code
    join.consent       同意 / 不同意 for one case      cases.on_consent

Commands (typed keywords or menu buttons) interrupt any step: 注册/实名认证, 人脸认证, 绑定案件
(or ``绑定 <code>``), 我的案件, 我的文书, 撤回同意 [案号], 帮助, 取消, English/中文. A QR code whose scene carries an
association code (on subscribe or scan) starts a join. A step left unanswered expires
(:mod:`handlers.state`) and the user is told so the next time they write.
"""
from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from court import i18n
from court.i18n import _
from court.models import ServiceRecord
from handlers import cases, documents, face, registration, state, types
from handlers.common import Context, help_reply, not_understood
from handlers.types import Channel, Inbound, Reply

log = logging.getLogger(__name__)
Step = Callable[[Context], None]


def _idle(ctx: Context) -> None:
    if ctx.inbound.kind == types.IMAGE:
        ctx.say(_("收到您的图片。如需人脸认证，请先发送“人脸认证”，再发送照片。"))
        return
    not_understood(ctx)


STEPS: dict[str, Step] = {
    state.IDLE: _idle,
    registration.NAME: registration.on_name,
    registration.ID_NUMBER: registration.on_id_number,
    registration.PHONE: registration.on_phone,
    registration.CODE: registration.on_code,
    registration.TERMS: registration.on_terms,
    face.CONSENT: face.on_consent,
    face.SELFIE: face.on_selfie,
    face.CHECKING: face.on_checking,
    cases.CODE: cases.on_code,
    cases.CONSENT: cases.on_consent,
}


def _cancel(ctx: Context) -> None:
    was_busy = ctx.state.step != state.IDLE or bool(ctx.state.data)
    ctx.state.reset()
    ctx.say(_("已取消当前办理。") if was_busy else _("当前没有进行中的办理。"))


def _switch_locale(locale: str) -> Step:
    def run(ctx: Context) -> None:
        ctx.state.locale = locale
        if ctx.person is not None:
            ctx.person.locale = i18n.normalize(locale)
        i18n.set_locale(locale)
        ctx.say(_("已切换为中文。"))

    return run


# keyword or menu key → command; keys are matched case-insensitively after trimming
COMMANDS: dict[str, Step] = {
    "注册": registration.start, "实名认证": registration.start, "register": registration.start,
    "人脸认证": face.start, "刷脸": face.start, "face": face.start,
    "绑定案件": cases.start, "绑定": cases.start, "关联案件": cases.start, "bind": cases.start,
    "我的案件": cases.my_cases, "my_cases": cases.my_cases,
    "我的文书": documents.my_documents, "my_documents": documents.my_documents,
    "帮助": help_reply, "help": help_reply, "?": help_reply, "？": help_reply, "菜单": help_reply,
    "取消": _cancel, "cancel": _cancel, "退出": _cancel,
    "english": _switch_locale("en"), "中文": _switch_locale("zh_Hans_CN"),
}
_BIND_WITH_CODE = re.compile(r"^(?:绑定|关联|bind)\s*[:：]?\s*(\S.*)$", re.IGNORECASE)


def _command(text: str) -> Step | None:
    return COMMANDS.get(text.strip().lower())


def _dispatch(ctx: Context) -> None:
    inbound = ctx.inbound
    if inbound.kind == types.EVENT:
        _event(ctx)
        return
    if inbound.kind == types.VOICE:
        ctx.say(_("抱歉，这条语音没能转成文字。请您打字输入，我们马上为您办理。"))
        return
    if inbound.kind == types.OTHER:
        ctx.say(_("暂不支持这种消息。") + "\n" + _("请发送文字，或使用下方菜单。"))
        return
    if inbound.kind == types.TEXT:
        text = inbound.text.strip()
        m = _BIND_WITH_CODE.match(text)
        if m and cases.code_from_text(m.group(1)):
            cases.start(ctx, m.group(1))
            return
        if cases.WITHDRAW.match(text):
            cases.withdraw_consent(ctx)
            return
        command = _command(text)
        if command is not None:
            command(ctx)
            return
    STEPS.get(ctx.state.step, _idle)(ctx)


def _event(ctx: Context) -> None:
    inbound = ctx.inbound
    if inbound.event == types.SUBSCRIBE:
        ctx.say(_("欢迎关注法院电子送达服务号！在这里您可以实名认证、关联案件、查看并签收法院文书。"))
        code = cases.code_from_scene(inbound.key)
        if code:
            cases.attempt(ctx, code)
        else:
            ctx.say(_("首次使用请发送“注册”完成实名认证。") + "\n" + _("发送“帮助”查看全部功能。"))
    elif inbound.event == types.SCAN:
        code = cases.code_from_scene(inbound.key)
        if code:
            cases.attempt(ctx, code)
        else:
            help_reply(ctx)
    elif inbound.event == types.CLICK:
        command = _command(inbound.key or "")
        (command or not_understood)(ctx)
    elif inbound.event == types.UNSUBSCRIBE:
        ctx.state.reset()
    elif inbound.event == types.DELIVERY:
        ctx.channel.report_delivery(ctx.s, inbound)
    # VIEW and other events need no answer


def _context(s: Session, channel: Channel, inbound: Inbound, st: state.State | None = None) -> Context:
    st = st or state.load(channel.name, inbound.user)
    i18n.set_locale(st.locale)
    return Context(s=s, inbound=inbound, channel=channel, state=st)


def handle(s: Session, inbound: Inbound, channel: Channel, st: state.State | None = None) -> list[Reply]:
    """Handle one inbound message in the caller's transaction; return what to say back.

    ``st`` is the user's state if the caller already loaded it (:func:`handlers.state.load`).
    The state is saved here; the caller commits the database work. The user's language is set
    only for this call (a copied context), so it never leaks to the next one."""
    return contextvars.copy_context().run(_handle, s, inbound, channel, st)


def _handle(s: Session, inbound: Inbound, channel: Channel, st: state.State | None) -> list[Reply]:
    ctx = _context(s, channel, inbound, st)
    if ctx.state.expired:
        ctx.say(_("您之前未完成的办理已超时，已自动取消。"))
    _dispatch(ctx)
    state.save(ctx.state)
    return ctx.replies


def face_result(s: Session, channel: Channel, user: str, outcome: dict[str, Any],
                ref: str | None = None) -> list[Reply]:
    """A face check started from this conversation (for the photo ``ref``) has finished: tell
    the user and carry on."""
    return contextvars.copy_context().run(_face_result, s, channel, user, outcome, ref)


def _face_result(s: Session, channel: Channel, user: str, outcome: dict[str, Any], ref: str | None) -> list[Reply]:
    ctx = _context(s, channel, Inbound(channel=channel.name, user=user, kind=types.EVENT, event="face_result"))
    if face.on_result(ctx, outcome, ref):
        cases.resume(ctx)
    state.save(ctx.state)
    return ctx.replies


def receipt_confirmation(s: Session, record_id: int, locale: str | None = None) -> Reply | None:
    """The confirmation a party gets after signing for a document, in their language."""
    record = s.get(ServiceRecord, record_id)
    if record is None or record.signed_at is None:
        return None

    def render() -> Reply:
        i18n.set_locale(locale)
        return documents.receipt_confirmation(record)

    return contextvars.copy_context().run(render)
