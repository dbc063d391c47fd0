"""The conversation: a table of steps and the handler for each, plus the commands that work anywhere.

    step               waits for                    handler
    ─────────────────  ───────────────────────────  ─────────────────────────
    idle               a command or anything        idle
    reg.name           real name                    registration.on_name      (court.names)
    reg.id_number      18-digit ID number           registration.on_id_number (court.idnumbers)
    reg.phone          mobile number                registration.on_phone     (court.phones)
    reg.code           SMS code (or 重发)            registration.on_code
    reg.terms          同意 / 不同意                  registration.on_terms
    face.consent       同意 / 不同意 to the face notice  face.on_consent
    face.selfie        a photo                      face.on_selfie
    face.checking      (the check's result)         face.on_checking
    join.code          an association code          cases.on_code
    join.consent       同意 / 不同意 for one case      cases.on_consent

Every handler *returns* the step the conversation moves to (as python-telegram-bot's do); only
:func:`_run` writes it, and it refuses a step that is not in :data:`STEPS`. What a handler keeps
between messages goes into ``ctx.state.data``.

Commands interrupt any step; what the words are is :mod:`handlers.intents`' table (注册, 人脸认证,
绑定 [关联码], 我的案件/进度, 我的文书, 签收/怎么签收, 帮助, 人工, 取消, English/中文, typed in any form,
or a menu button), plus 撤回同意 [案号]. A QR code whose scene carries an association code (on
subscribe or scan) starts a join. A step left unanswered expires (:mod:`handlers.state`) and the
user is told so the next time they write.
"""
from __future__ import annotations

import contextvars
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from court import i18n
from court.i18n import _
from court.models import ServiceRecord
from handlers import cases, documents, face, intents, next_steps, registration, state, types
from handlers.common import Context, Next, help_reply, human_reply, not_understood, stay
from handlers.types import Channel, Inbound, Reply

log = logging.getLogger(__name__)
Step = Callable[[Context], Next]


def _idle(ctx: Context) -> Next:
    if ctx.inbound.kind == types.IMAGE:
        ctx.say(_("收到您的图片。如需人脸认证，请先发送“人脸认证”，再发送照片。"))
        return state.IDLE
    return not_understood(ctx)


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


def _cancel(ctx: Context) -> Next:
    was_busy = ctx.state.step != state.IDLE or bool(ctx.state.data)
    ctx.state.clear()
    ctx.say(_("已取消当前办理。") if was_busy else _("当前没有进行中的办理。"))
    next_steps.say(ctx)
    return state.IDLE


def _switch_locale(locale: str) -> Step:
    def run(ctx: Context) -> Next:
        ctx.state.locale = locale
        if ctx.person is not None:
            ctx.person.locale = i18n.normalize(locale)
        i18n.set_locale(locale)
        ctx.say(_("已切换为中文。"))
        return stay(ctx)

    return run


# intent (handlers.intents) → what it does
COMMANDS: dict[str, Step] = {
    intents.REGISTER: registration.start,
    intents.FACE: face.start,
    intents.BIND: cases.start,
    intents.CASES: cases.my_cases,
    intents.DOCUMENTS: documents.my_documents,
    intents.SIGN: documents.how_to_sign,
    intents.HELP: help_reply,
    intents.HUMAN: human_reply,
    intents.CANCEL: _cancel,
    intents.ENGLISH: _switch_locale("en"),
    intents.CHINESE: _switch_locale("zh_Hans_CN"),
}
_BIND_WITH_CODE = re.compile(r"^(?:绑定|关联|bind)\s*[:：]?\s*(\S.*)$", re.IGNORECASE)


def _command(text: str) -> Step | None:
    intent = intents.of(text)
    return COMMANDS[intent] if intent else None


def _run(ctx: Context, handler: Step) -> None:
    """Run one handler and move the conversation to the step it returns (the only place that does)."""
    _move(ctx, handler(ctx))


def _move(ctx: Context, step: Next) -> None:
    if step not in STEPS:
        raise RuntimeError(f"a handler returned {step!r}, which is not a step of the conversation")
    ctx.state.step = step


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
        text = unicodedata.normalize("NFKC", inbound.text).strip()
        m = _BIND_WITH_CODE.match(text)
        if m and cases.code_from_text(m.group(1)):
            _move(ctx, cases.start(ctx, m.group(1)))
            return
        if cases.WITHDRAW.match(text):
            _run(ctx, cases.withdraw_consent)
            return
        command = _command(text)
        if command is not None:
            _run(ctx, command)
            return
    _run(ctx, STEPS.get(ctx.state.step, _idle))


def _event(ctx: Context) -> None:
    inbound = ctx.inbound
    if inbound.event == types.SUBSCRIBE:
        ctx.say(_("欢迎关注法院电子送达服务号！在这里您可以实名认证、关联案件、查看并签收法院文书。"))
        code = cases.code_from_scene(inbound.key)
        if code:
            _move(ctx, cases.attempt(ctx, code))
        else:
            ctx.say(_("首次使用请发送“注册”完成实名认证。") + "\n" + _("发送“帮助”查看全部功能。"))
    elif inbound.event == types.SCAN:
        code = cases.code_from_scene(inbound.key)
        _move(ctx, cases.attempt(ctx, code) if code else help_reply(ctx))
    elif inbound.event == types.CLICK:
        _run(ctx, _command(inbound.key or "") or not_understood)
    elif inbound.event == types.UNSUBSCRIBE:
        ctx.state.clear()
        _move(ctx, state.IDLE)
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
    step, passed = face.on_result(ctx, outcome, ref)
    if passed:
        resumed = cases.resume(ctx)
        if resumed is None:
            next_steps.say(ctx)
        step = resumed or step
    _move(ctx, step)
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
