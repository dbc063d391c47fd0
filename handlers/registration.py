"""Real-name registration: name → ID number → phone → SMS code → service terms → selfie.

Consent to electronic service is given **per case** (CPL art. 90; Online Litigation Rules
arts. 29–30: the court must tell the recipient the conditions, manner, scope and legal effect of
electronic service and obtain consent, which the court must be able to prove for the case at
hand). So registration does not record a case consent: it shows the general terms of the
platform's electronic service (scope and effect), records in the audit log that this person
accepted them (which text, which version, when), and the case-specific consent — the text from
:func:`identity.consent.consent_text` naming the case, channels and addresses — is asked and
recorded through :func:`identity.consent.give` when the person joins each case
(:mod:`handlers.cases`). A person who declines the general terms is not registered.

Typing a name and an ID number proves nothing (issue 10). Registration ends in a *claim* kept in
the conversation state (the person's id and the phone this conversation proved by SMS): the openid
is bound, and a verified phone replaced, only when a face check passes in this same conversation
(:func:`handlers.face.on_result` → :mod:`court.services.binding`). An ID number that is already
registered creates and changes nothing, and the reply says a face check is needed; a wrong name for
it is refused.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable

from court import audit, crypto, i18n, idnumbers, names, phones
from court.errors import DomainError
from court.i18n import _
from handlers import face
from handlers.common import Context, Next, is_no, is_yes, stay
from handlers.state import IDLE

NAME = "reg.name"
ID_NUMBER = "reg.id_number"
PHONE = "reg.phone"
CODE = "reg.code"
TERMS = "reg.terms"

OTP_PURPOSE = "register"
TERMS_VERSION = "2026-01"
# Each step that takes a value carries the validator the registration itself applies at the end
# (identity.registration.find_or_create): a value is refused where it is typed, never steps later.
VALIDATORS: dict[str, Callable[[str], str | None]] = {
    NAME: names.problem,
    ID_NUMBER: idnumbers.problem,
    PHONE: phones.problem,
}


def terms_text() -> str:
    """The general terms of electronic service shown before registering (scope and effect)."""
    return _(
        "【电子送达须知】\n"
        "1. 范围：您在本平台关联的案件中，法院可通过本服务号消息、短信链接向您送达起诉状副本、"
        "传票、通知书、判决书、裁定书、调解书等诉讼文书。\n"
        "2. 效力：电子送达与直接送达具有同等法律效力；文书到达您的微信或手机即视为送达，"
        "以最先到达的时间为送达日期。\n"
        "3. 每个案件关联时，我们会再次告知该案的送达方式和地址，并请您确认。\n"
        "4. 您可以随时向法院申请撤回同意，撤回后法院将以其他方式送达。\n"
        "同意请回复“同意”，不同意请回复“不同意”。"
    )


def start(ctx: Context) -> Next:
    if ctx.person is not None:
        ctx.say(_("您已完成实名认证：{name}，身份证号 {id}。", name=ctx.person.real_name, id=ctx.person.id_number_masked))
        return stay(ctx)
    ctx.say(_("开始实名认证（共5步，随时发送“取消”可退出）。\n第1步：请输入您的真实姓名。"))
    return NAME


def _ask_back(ctx: Context, heard: str) -> None:
    """Speech recognition can mishear a name or a number: what was heard is asked back first."""
    ctx.say(heard + "\n" + _("正确请回复“是”，不正确请直接打字输入。"))


def _refused(ctx: Context, step: str, value: str) -> bool:
    """Say why ``value`` cannot be used at ``step`` (the step's own validator), True if so."""
    problem = VALIDATORS[step](value)
    if problem:
        ctx.say(_(problem) + "\n" + _("请重新输入。"))
    return problem is not None


def on_name(ctx: Context) -> Next:
    typed = ctx.inbound.text
    heard = ctx.state.data.pop("heard_name", None)
    if heard and is_yes(typed):
        name = heard
    elif _refused(ctx, NAME, typed):
        return NAME
    elif ctx.inbound.spoken:
        ctx.state.data["heard_name"] = names.normalize(typed)
        _ask_back(ctx, _("我们听到的姓名是：{name}。", name=names.normalize(typed)))
        return NAME
    else:
        name = names.normalize(typed)
    ctx.state.data["name"] = name
    ctx.say(_("第2步：请输入您的18位居民身份证号码。"))
    return ID_NUMBER


def on_id_number(ctx: Context) -> Next:
    value = idnumbers.normalize(ctx.inbound.text)
    heard = ctx.state.secret("heard_id_number")
    ctx.state.data.pop("heard_id_number", None)
    if heard and is_yes(ctx.inbound.text):
        value = heard
    elif _refused(ctx, ID_NUMBER, value):
        return ID_NUMBER
    elif ctx.inbound.spoken:
        ctx.state.put_secret("heard_id_number", value)
        _ask_back(ctx, _("我们听到的身份证号码是：{id}。", id=" ".join((value[:6], value[6:14], value[14:]))))
        return ID_NUMBER
    ctx.state.put_secret("id_number", value)
    ctx.say(_("第3步：请输入您本人的手机号码，我们将发送验证码。"))
    return PHONE


def on_phone(ctx: Context) -> Next:
    if _refused(ctx, PHONE, ctx.inbound.text):
        return PHONE
    phone = phones.normalize(ctx.inbound.text)
    if not _send_code(ctx, phone):
        return PHONE
    ctx.state.put_secret("phone", phone)
    return CODE


def _send_code(ctx: Context, phone: str) -> bool:
    from identity import otp

    try:
        otp.send_code(ctx.s, phone, OTP_PURPOSE)
    except DomainError as exc:
        ctx.say(exc.localized())
        return False
    ctx.say(_("第4步：验证码已发送至 {phone}，请输入收到的6位验证码（5分钟内有效）。没收到可回复“重发”。",
              phone=crypto.mask_phone(phone)))
    return True


def on_code(ctx: Context) -> Next:
    from identity import otp

    text = ctx.inbound.text.strip()
    phone = ctx.state.secret("phone") or ""
    if text.lower() in ("重发", "resend", "重新发送"):
        _send_code(ctx, phone)
        return CODE
    code = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    if not re.fullmatch(r"\d{4,8}", code):
        ctx.say(_("请输入短信中的6位数字验证码，或回复“重发”。"))
        return CODE
    try:
        otp.verify_code(ctx.s, phone, OTP_PURPOSE, code)
    except DomainError as exc:
        ctx.say(exc.localized())
        return CODE
    ctx.state.data["phone_verified"] = True
    ctx.say(_("手机号码验证成功。第5步：") + "\n" + terms_text())
    return TERMS


def on_terms(ctx: Context) -> Next:
    from identity import registration

    text = ctx.inbound.text
    if is_no(text):
        ctx.state.clear(keep=("pending_code",))
        ctx.say(_("您未同意电子送达须知，实名认证未完成。法院将通过其他方式向您送达。如需继续，请发送“注册”。"))
        return IDLE
    if not is_yes(text):
        ctx.say(_("请回复“同意”或“不同意”。"))
        return TERMS
    if not ctx.state.data.get("phone_verified"):
        ctx.state.clear()
        ctx.say(_("请先完成手机验证。请发送“注册”重新开始。"))
        return IDLE
    try:
        person, created = registration.find_or_create(
            ctx.s, real_name=ctx.state.data["name"], id_number=ctx.state.secret("id_number") or "",
            phone=ctx.state.secret("phone") or "", phone_proven=True,
        )
    except DomainError as exc:
        ctx.state.clear(keep=("pending_code",))
        ctx.say(exc.localized() + "\n" + _("请发送“注册”重新开始，或联系法院。"))
        return IDLE
    if created and ctx.state.locale:
        person.locale = i18n.normalize(ctx.state.locale)
    text_shown = terms_text()
    audit.record(
        ctx.s, "person.service_terms_accepted", actor=f"person:{person.id}" if created else "anonymous",
        subject=f"person:{person.id}",
        details={"channel": ctx.channel.name, "version": TERMS_VERSION, "new_person": created,
                 "text_sha256": hashlib.sha256(text_shown.encode()).hexdigest()},
    )
    # Nothing is bound yet: the claim (and the phone this conversation proved) waits for a face
    # check passed here, in this conversation (handlers.face.on_result → court.services.binding).
    phone = ctx.state.secret("phone") or ""
    for secret in ("id_number", "phone"):
        ctx.state.data.pop(secret, None)
    ctx.state.data.pop("name", None)
    ctx.state.data.pop("phone_verified", None)
    ctx.state.data["claim"] = person.id
    ctx.state.put_secret("claim_phone", phone)
    if created:
        ctx.say(_("实名信息已登记：{name}，身份证号 {id}。", name=person.real_name, id=person.id_number_masked))
    else:
        ctx.say(_("该身份证号码已在本平台登记。为保护本人的权益，须通过人脸识别确认您是本人后，"
                  "才能在本服务号使用该身份；在此之前不会关联任何案件，也不会更改已登记的信息。"))
    return face.ask_selfie(ctx, _("请完成人脸认证以确认是您本人："))
