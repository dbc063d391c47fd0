"""Face verification in the conversation: separate consent, a selfie, the channel's check, the outcome.

Before any photo is asked for or accepted the user reads the face-information notice
(:mod:`identity.face.notice`) and answers 同意 / 不同意 (the Face Recognition Measures' separate
consent). The answer is kept by :mod:`court.services.face_consent` for this conversation; 不同意
leads to the other routes to identity (a clerk, the national identity service), never a dead end.

The check itself is slow (a download and a call to the face service), so it never runs inside a
reply: the channel fetches the photo in a job, :mod:`identity.face` checks it, and the outcome
comes back through :func:`handlers.conversation.face_result`, which calls :func:`on_result`.
Whatever was waiting for a fresh check (joining a case) then carries on by itself.
"""
from __future__ import annotations

from typing import Any

from court.i18n import _, get_locale
from court.models import IdentityCheck
from court.services import binding, face_consent, identity_checks
from handlers import types
from handlers.common import Context, Next, claimed_person, is_no, is_yes, need_registration
from handlers.state import IDLE

CONSENT = "face.consent"
SELFIE = "face.selfie"
CHECKING = "face.checking"


def start(ctx: Context) -> Next:
    if claimed_person(ctx) is None:
        return need_registration(ctx)
    return ask_selfie(ctx)


def _agreed(ctx: Context) -> bool:
    """This conversation has a current separate consent for the person it is proving."""
    person = claimed_person(ctx)
    return person is not None and face_consent.current(ctx.s, person_id=person.id, holder_id=ctx.holder) is not None


def ask_selfie(ctx: Context, reason: str | None = None) -> Next:
    """Ask for a photo, or first for the separate consent when this conversation has none."""
    if claimed_person(ctx) is not None and not _agreed(ctx):
        return ask_consent(ctx, reason)
    intro = reason or _("人脸认证：")
    ctx.say(intro + _("请点击输入框旁的“+”，选择“拍摄”，拍一张本人正脸照片发送给我们。"
                      "请在光线充足处，摘下帽子和口罩，面部完整清晰。"))
    return SELFIE


def ask_consent(ctx: Context, reason: str | None = None) -> Next:
    from identity.face import notice

    ctx.state.data["face_reason"] = reason
    ctx.say((reason + "\n" if reason else "") + notice.current().text)
    ctx.say(_("同意人脸识别请回复“同意”；不同意请回复“不同意”，我们将告诉您其他核验身份的方式。"))
    return CONSENT


def alternatives_text() -> str:
    """What someone who will not (or cannot) use face recognition can do instead."""
    from identity.face import notice

    return _("您可以不使用人脸识别，改为{routes}。请携带身份证件到承办法院，或联系承办法院预约视频核验；"
             "工作人员核验后会向您登记的手机发送一次性链接，打开即可查看和签收文书。",
             routes=notice.alternatives())


def on_consent(ctx: Context) -> Next:
    """The answer to the notice: 同意 opens the way to the photo, 不同意 to the alternatives."""
    from identity.face import notice

    person = claimed_person(ctx)
    if person is None:
        ctx.state.clear()
        need_registration(ctx)
        return IDLE
    if ctx.inbound.kind == types.IMAGE:
        ctx.say(_("尚未取得您对人脸识别的单独同意，这张照片未被接收和处理。") + "\n"
                + _("同意人脸识别请回复“同意”；不同意请回复“不同意”，我们将告诉您其他核验身份的方式。"))
        return CONSENT
    text = ctx.inbound.text if ctx.inbound.kind == types.TEXT else ""
    if is_yes(text) or is_no(text):
        agreed = is_yes(text)
        notice.record_decision(ctx.s, person_id=person.id, holder_id=ctx.holder, channel=ctx.channel.name,
                               agreed=agreed)
        if agreed:
            return ask_selfie(ctx, ctx.state.data.pop("face_reason", None))
        ctx.state.clear()
        ctx.say(_("您未同意人脸识别，我们不会处理您的人脸信息。") + "\n" + alternatives_text())
        return IDLE
    ctx.say(_("同意人脸识别请回复“同意”；不同意请回复“不同意”，我们将告诉您其他核验身份的方式。"))
    return CONSENT


def on_selfie(ctx: Context) -> Next:
    if ctx.inbound.kind != types.IMAGE or not ctx.inbound.media_id:
        if ctx.inbound.kind == types.TEXT and is_no(ctx.inbound.text):
            return on_consent_withdrawn(ctx)
        ctx.say(_("请发送一张本人正脸照片（不是文字）。如需退出，请发送“取消”。"))
        return SELFIE
    person = claimed_person(ctx)
    if person is None:
        ctx.state.clear()
        need_registration(ctx)
        return IDLE
    if not _agreed(ctx):  # the agreement lapsed or was withdrawn: the photo is not taken
        ctx.say(_("尚未取得您对人脸识别的单独同意，这张照片未被接收和处理。"))
        return ask_consent(ctx)
    ctx.channel.request_face_check(ctx.s, person.id, ctx.inbound)
    # the result that counts is the one for this photo (its media id travels with the check)
    ctx.state.data["face_ref"] = ctx.inbound.media_id
    ctx.say(_("照片已收到，正在核验，请稍候，结果会通过消息通知您。"))
    return CHECKING


def on_checking(ctx: Context) -> Next:
    if ctx.inbound.kind == types.TEXT and is_no(ctx.inbound.text) and claimed_person(ctx) is not None:
        return on_consent_withdrawn(ctx)  # a photo still waiting for the check is then dropped unchecked
    if ctx.inbound.kind == types.IMAGE:
        ctx.say(_("上一张照片正在核验中，请稍候。"))
        return CHECKING
    ctx.say(_("正在核验您的照片，请稍候。如需退出，请发送“取消”。"))
    return CHECKING


def outcome_text(outcome: dict[str, Any]) -> str:
    message = outcome.get("message_en") if get_locale() == "en" else outcome.get("message_zh")
    text = str(message or (_("人脸核验通过。") if outcome.get("ok") else _("人脸核验未通过。")))
    if outcome.get("development"):
        text += "\n" + _("（开发环境核验，非真实人脸比对）")
    return text


def on_result(ctx: Context, outcome: dict[str, Any], ref: str | None = None) -> tuple[Next, bool]:
    """Tell the user the outcome of the check *this conversation* queued for the photo ``ref``.
    On a pass, bind the conversation to the person it proved (and the phone it proved by SMS).
    Returns the next step and True when the caller may go on with whatever was waiting for it."""
    check = ctx.s.get(IdentityCheck, outcome.get("check") or 0)
    mine = check is not None and check.holder == ctx.holder and ref is not None \
        and ref == ctx.state.data.get("face_ref")
    if not mine or ctx.state.step not in (CHECKING, SELFIE):
        # an older photo's result, or the user cancelled meanwhile: tell them, start nothing
        ctx.say(outcome_text(outcome))
        return ctx.state.step, False
    person = claimed_person(ctx)
    if check.status == identity_checks.PASS and person is not None and check.person_id == person.id:
        binding.bind_verified(ctx.s, person, ctx.channel.name, ctx.inbound.user, check)
        phone = ctx.state.secret("claim_phone")
        if phone:
            binding.phone_proven(ctx.s, person, phone, check=check, holder_id=ctx.holder)
        for key in ("claim", "claim_phone", "face_ref"):
            ctx.state.data.pop(key, None)
        ctx.person = person
        ctx.say(outcome_text(outcome))
        return IDLE, True
    ctx.say(outcome_text(outcome))
    return ask_selfie(ctx, _("请重新拍摄：")), False


def on_consent_withdrawn(ctx: Context) -> Next:
    """不同意 while a photo is awaited: the consent is withdrawn and the alternatives offered."""
    from identity.face import notice

    person = claimed_person(ctx)
    assert person is not None
    notice.record_decision(ctx.s, person_id=person.id, holder_id=ctx.holder, channel=ctx.channel.name,
                           agreed=False)
    ctx.state.clear()
    ctx.say(_("已撤回您对人脸识别的同意，我们不会处理您的人脸信息。") + "\n" + alternatives_text())
    return IDLE
