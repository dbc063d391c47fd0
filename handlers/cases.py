"""Joining a case with an association code, consent to electronic service for it, and 我的案件.

Joining binds a face-verified person to the party record the court entered, only when the
verified name and ID number match it (:func:`court.services.cases.redeem_code`). The code may
arrive typed (``绑定 ABCD-EFGH-JKMN``) or in a QR code's scene. Wrong codes are limited to five
an hour per user, so the 2**59 code space cannot be searched. A person who is not registered
yet, or whose face check is stale, is taken through that first; the code waits in the
conversation state and the join finishes by itself afterwards.

After joining, the case-specific consent to electronic service is asked and recorded (see
:mod:`handlers.registration` for why consent is per case).
"""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from court import casenumbers, db, ratelimit
from court.display import label
from court.errors import DomainError
from court.i18n import _, get_locale
from court.models import Case, Party
from court.services import binding
from court.services import cases as case_service
from handlers import face, next_steps, registration
from handlers.common import Context, Next, is_no, is_yes, local_time, need_registration, stay
from handlers.state import IDLE

CODE = "join.code"
CONSENT = "join.consent"

WRONG_CODES = ratelimit.Limit(5, 3600)
_CODE_IN_TEXT = re.compile(r"([0-9A-Za-z][0-9A-Za-z\- ]{10,20}[0-9A-Za-z])")
CONSENT_CHANNELS = ["wechat", "sms"]


def code_from_text(text: str) -> str | None:
    m = _CODE_IN_TEXT.search(text)
    if not m:
        return None
    code = case_service.normalize_code(m.group(1))
    return code if len(code) == case_service.CODE_LENGTH else None


def code_from_scene(scene: str | None) -> str | None:
    """QR scenes carry ``bind:<code>`` (see ``wechat.client.bind_qrcode``); a bare code works too."""
    if not scene:
        return None
    value = scene.split(":", 1)[1] if scene.startswith("bind:") else scene
    code = case_service.normalize_code(value)
    return code if len(code) == case_service.CODE_LENGTH and code.isalnum() else None


def start(ctx: Context, text: str = "") -> Next:
    code = code_from_text(text) if text else None
    if code:
        return attempt(ctx, code)
    if ctx.person is None:
        return need_registration(ctx)
    ctx.say(_("请输入法院提供给您的12位关联码（例如 ABCD-EFGH-JKMN）。"))
    return CODE


def on_code(ctx: Context) -> Next:
    code = code_from_text(ctx.inbound.text)
    if code is None:
        ctx.say(_("关联码应为12位字母和数字，请核对后重新输入，或发送“取消”。"))
        return CODE
    return attempt(ctx, code)


def limit_subject(channel: str, user: str) -> str:
    """The rate-limit subject for a chat user (hashed: no openid in Redis keys)."""
    return hashlib.sha256(f"{channel}:{user}".encode()).hexdigest()[:32]


def _subject(ctx: Context) -> str:
    return limit_subject(ctx.channel.name, ctx.inbound.user)


def attempt(ctx: Context, code: str) -> Next:
    """Try to join with ``code``, first taking the user through registration or a face check."""
    if ratelimit.remaining("bind_code", _subject(ctx), WRONG_CODES) <= 0:
        ctx.state.clear()
        ctx.say(_("关联码输错次数过多，请1小时后再试，或联系法院核实关联码。"))
        return IDLE
    if ctx.person is None:
        ctx.state.data["pending_code"] = code
        if isinstance(ctx.state.data.get("claim"), int):  # registered here, the face check still to come
            return face.ask_selfie(ctx, _("为确认是您本人操作，关联案件前请先完成人脸认证。"))
        ctx.say(_("关联案件前需要先完成实名认证，完成后将自动为您关联。"))
        return registration.start(ctx)
    from identity import face as identity_face

    check = identity_face.fresh(ctx.s, ctx.person.id, ctx.holder)
    if check is None:
        ctx.state.data["pending_code"] = code
        return face.ask_selfie(ctx, _("为确认是您本人操作，关联案件前请先完成人脸认证。"))
    ctx.state.data.pop("pending_code", None)
    try:
        party = binding.join_by_code(ctx.s, code, ctx.person, check, holder_id=ctx.holder)
    except DomainError as exc:
        ctx.state.clear()
        if exc.code in ("code_invalid", "identity_mismatch"):
            try:
                ratelimit.hit("bind_code", _subject(ctx), WRONG_CODES)
            except DomainError:
                pass
            left = ratelimit.remaining("bind_code", _subject(ctx), WRONG_CODES)
            ctx.say(exc.localized() + "\n" + _("1小时内还可尝试 {n} 次。", n=left))
        else:
            ctx.say(exc.localized())
        return IDLE
    return joined(ctx, party)


def resume(ctx: Context) -> Next | None:
    """Carry on with a join that waited for registration or a face check: its next step, or None
    when nothing was waiting."""
    code = ctx.state.data.get("pending_code")
    if not code or ctx.person is None:
        return None
    return attempt(ctx, code)


def joined(ctx: Context, party: Party) -> Next:
    from identity import consent

    case = party.case
    ctx.say(_("已成功关联案件：{number} {title}（{role}）", number=case.number, title=case.title,
              role=label(party.role)))
    ctx.state.clear()
    if consent.has_consent(ctx.s, ctx.person.id, case.id):
        next_steps.say(ctx)
        return IDLE
    ctx.state.data["case_id"] = case.id
    ctx.say(consent.consent_text(case, CONSENT_CHANNELS, get_locale()) + "\n" + _("同意请回复“同意”，不同意请回复“不同意”。"))
    return CONSENT


def on_consent(ctx: Context) -> Next:
    from identity import consent

    case = ctx.s.get(Case, ctx.state.data.get("case_id") or 0)
    if case is None or ctx.person is None:
        ctx.state.clear()
        return IDLE
    text = ctx.inbound.text
    if is_yes(text):
        address = {"wechat": ctx.inbound.user}
        if ctx.person.phone:
            address["sms"] = ctx.person.phone
        consent.give(ctx.s, ctx.person, case, channels=CONSENT_CHANNELS, address=address, method="bot")
        ctx.state.clear()
        ctx.say(_("已记录您对案件 {number} 电子送达的同意。法院的文书将通过本服务号和短信送达给您。", number=case.number))
        next_steps.say(ctx)
        return IDLE
    if is_no(text):
        party = ctx.s.scalar(select(Party).where(Party.person_id == ctx.person.id, Party.case_id == case.id))
        if party is not None:  # the case is flagged for another method of service, with the reason
            consent.decline(ctx.s, party, method="bot", actor=f"person:{ctx.person.id}")
        ctx.state.clear()
        ctx.say(_("已记录您不同意电子送达。法院将通过其他方式向您送达本案文书。") + "\n"
                + _("如改变主意，请联系承办法院；发送“我的案件”可查看案件进度。"))
        return IDLE
    ctx.say(_("请回复“同意”或“不同意”。"))
    return CONSENT


WITHDRAW = re.compile(r"^(?:撤回同意|撤回电子送达|withdraw consent)\s*[:：]?\s*(.*)$", re.IGNORECASE)


def withdraw_consent(ctx: Context) -> Next:
    """撤回同意 [案号]: withdraw consent to electronic service (court.services.consent decides)."""
    from identity import consent

    if ctx.person is None:
        return need_registration(ctx)
    m = WITHDRAW.match(ctx.inbound.text.strip())
    wanted = casenumbers.normalize((m.group(1) if m else "").strip())
    parties = [p for p in ctx.s.scalars(select(Party).where(Party.person_id == ctx.person.id).order_by(Party.id))
               if consent.may_serve(ctx.s, p)]
    chosen = [p for p in parties if not wanted or p.case.number == wanted]
    if not chosen:
        ctx.say(_("没有找到您已同意电子送达的案件。") if not wanted else _("没有找到案号为 {number} 的已同意电子送达的案件。", number=wanted))
        return stay(ctx)
    if len(chosen) > 1:
        numbers = "\n".join(p.case.number for p in chosen)
        ctx.say(_("您在以下案件中同意了电子送达，请发送“撤回同意 案号”指明案件：") + "\n" + numbers)
        return stay(ctx)
    party = chosen[0]
    consent.withdraw_for(ctx.s, party, actor=f"person:{ctx.person.id}")
    ctx.say(_("已撤回您在案件 {number} 中对电子送达的同意。撤回前已经完成的送达仍然有效，法院将通过其他方式向您送达。",
              number=party.case.number))
    next_steps.say(ctx)
    return stay(ctx)


def my_cases(ctx: Context) -> Next:
    if ctx.person is None:
        return need_registration(ctx)
    parties = ctx.s.scalars(
        select(Party).where(Party.person_id == ctx.person.id).order_by(Party.bound_at.desc())
    ).all()
    if not parties:
        ctx.say(_("您还没有关联任何案件。收到法院的关联码后，请发送“绑定 关联码”。"))
        return stay(ctx)
    now = db.utcnow()
    blocks = []
    for party in parties[:10]:
        case = party.case
        lines = [f"{case.number} {case.title}".strip(),
                 _("身份：{role}；状态：{status}", role=label(party.role),
                   status=label(case.status))]
        upcoming = [ev for ev in case.events if ev.at >= now][:3]
        for ev in upcoming:
            place = f"，{ev.place}" if ev.place else ""
            lines.append(_("· {when} {title}{place}", when=local_time(ev.at), title=ev.title, place=place))
        if not upcoming:
            lines.append(_("· 暂无待办日程"))
        blocks.append("\n".join(lines))
    ctx.say(_("您的案件：") + "\n\n" + "\n\n".join(blocks))
    next_steps.say(ctx)
    return stay(ctx)
