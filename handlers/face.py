"""Face verification in the conversation: ask for a selfie, hand it to the channel, report back.

The check itself is slow (a download and a call to the face service), so it never runs inside a
reply: the channel fetches the photo in a job, :mod:`identity.face` checks it, and the outcome
comes back through :func:`handlers.conversation.face_result`, which calls :func:`on_result`.
Whatever was waiting for a fresh check (joining a case) then carries on by itself.
"""
from __future__ import annotations

from typing import Any

from court.i18n import _, get_locale
from court.models import IdentityCheck
from court.services import binding, identity_checks
from handlers import types
from handlers.common import Context, claimed_person, need_registration

SELFIE = "face.selfie"
CHECKING = "face.checking"


def start(ctx: Context) -> None:
    if claimed_person(ctx) is None:
        need_registration(ctx)
        return
    ask_selfie(ctx)


def ask_selfie(ctx: Context, reason: str | None = None) -> None:
    ctx.state.go(SELFIE)
    intro = reason or _("人脸认证：")
    ctx.say(intro + _("请点击输入框旁的“+”，选择“拍摄”，拍一张本人正脸照片发送给我们。"
                      "请在光线充足处，摘下帽子和口罩，面部完整清晰。"))


def on_selfie(ctx: Context) -> None:
    if ctx.inbound.kind != types.IMAGE or not ctx.inbound.media_id:
        ctx.say(_("请发送一张本人正脸照片（不是文字）。如需退出，请发送“取消”。"))
        return
    person = claimed_person(ctx)
    if person is None:
        ctx.state.reset()
        need_registration(ctx)
        return
    ctx.channel.request_face_check(ctx.s, person.id, ctx.inbound)
    # the result that counts is the one for this photo (its media id travels with the check)
    ctx.state.go(CHECKING, face_ref=ctx.inbound.media_id)
    ctx.say(_("照片已收到，正在核验，请稍候，结果会通过消息通知您。"))


def on_checking(ctx: Context) -> None:
    if ctx.inbound.kind == types.IMAGE:
        ctx.say(_("上一张照片正在核验中，请稍候。"))
        return
    ctx.say(_("正在核验您的照片，请稍候。如需退出，请发送“取消”。"))


def outcome_text(outcome: dict[str, Any]) -> str:
    message = outcome.get("message_en") if get_locale() == "en" else outcome.get("message_zh")
    text = str(message or (_("人脸核验通过。") if outcome.get("ok") else _("人脸核验未通过。")))
    if outcome.get("development"):
        text += "\n" + _("（开发环境核验，非真实人脸比对）")
    return text


def on_result(ctx: Context, outcome: dict[str, Any], ref: str | None = None) -> bool:
    """Tell the user the outcome of the check *this conversation* queued for the photo ``ref``.
    On a pass, bind the conversation to the person it proved (and the phone it proved by SMS).
    Returns True when the caller may go on with whatever was waiting for it."""
    check = ctx.s.get(IdentityCheck, outcome.get("check") or 0)
    mine = check is not None and check.holder == ctx.holder and ref is not None \
        and ref == ctx.state.data.get("face_ref")
    if not mine or ctx.state.step not in (CHECKING, SELFIE):
        # an older photo's result, or the user cancelled meanwhile: tell them, start nothing
        ctx.say(outcome_text(outcome))
        return False
    person = claimed_person(ctx)
    if check.status == identity_checks.PASS and person is not None and check.person_id == person.id:
        binding.bind_verified(ctx.s, person, ctx.channel.name, ctx.inbound.user, check)
        phone = ctx.state.secret("claim_phone")
        if phone:
            binding.phone_proven(ctx.s, person, phone, check=check, holder_id=ctx.holder)
        for key in ("claim", "claim_phone", "face_ref"):
            ctx.state.data.pop(key, None)
        ctx.person = person
        ctx.state.go("idle")
        ctx.say(outcome_text(outcome))
        return True
    ctx.say(outcome_text(outcome))
    ask_selfie(ctx, _("请重新拍摄："))
    return False
