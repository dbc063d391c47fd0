"""What every step shares: the per-message context, the person behind a channel address, help."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from court import chinatime
from court.i18n import _
from court.models import Person
from court.services import binding, identity_checks
from handlers import intents
from handlers.state import State
from handlers.types import Channel, Inbound, Reply

YES = {"同意", "是", "是的", "对", "确认", "好", "好的", "可以", "yes", "y", "agree", "ok"}
NO = {"不同意", "否", "不", "不是", "拒绝", "no", "n", "disagree"}

Next = str  # the step a handler moves the conversation to: a key of handlers.conversation.STEPS


_UNLOADED = object()


@dataclass
class Context:
    """Everything one step may use while handling one message.

    The person is looked up on first use, so messages that need no one's records (help, an
    unknown keyword) never touch the database."""

    s: Session
    inbound: Inbound
    channel: Channel
    state: State
    replies: list[Reply] = field(default_factory=list)
    _person: object = _UNLOADED

    @property
    def person(self) -> Person | None:
        if self._person is _UNLOADED:
            self._person = person_for(self.s, self.channel.name, self.inbound.user)
        return self._person  # type: ignore[return-value]

    @person.setter
    def person(self, value: Person | None) -> None:
        self._person = value

    @property
    def holder(self) -> str:
        """This conversation as the owner of identity checks (:mod:`court.services.identity_checks`)."""
        return identity_checks.holder(self.channel.name, self.inbound.user)

    def say(self, text: str, links: tuple = ()) -> None:
        self.replies.append(Reply(text, tuple(links)))

    def add_line(self, text: str) -> None:
        """Add ``text`` as a last line of the latest reply (one message on the phone, not two)."""
        if not self.replies:
            self.say(text)
            return
        last = self.replies[-1]
        self.replies[-1] = Reply(f"{last.text}\n{text}", last.links)


def person_for(s: Session, channel: str, user: str) -> Person | None:
    """The person this conversation proved to be (a verified binding); nobody otherwise."""
    return binding.person_for(s, channel, user)


def claimed_person(ctx: Context) -> Person | None:
    """The person this conversation is trying to prove it is (registration waiting for a face
    check), or the bound person. A claim grants nothing until :func:`court.services.binding.bind_verified`."""
    if ctx.person is not None:
        return ctx.person
    claim = ctx.state.data.get("claim")
    return ctx.s.get(Person, claim) if isinstance(claim, int) else None


def local_time(dt: datetime) -> str:
    """Court dates are shown in China Standard Time."""
    return chinatime.shown(dt)


def menu_text() -> str:
    return _(
        "您可以发送以下关键词（或使用下方菜单）：\n"
        "· 注册：实名认证\n"
        "· 人脸认证：重新核验本人身份\n"
        "· 绑定 关联码：关联您的案件，例如“绑定 ABCD-EFGH-JKMN”\n"
        "· 我的案件：案件状态和开庭时间\n"
        "· 我的文书：待签收和已送达的文书\n"
        "· 签收：怎样签收文书\n"
        "· 人工：联系法院工作人员\n"
        "· 取消：结束当前办理\n"
        "· English：switch to English"
    )


def stay(ctx: Context) -> Next:
    """The step the conversation is in: answering a question never ends what the user was doing."""
    return ctx.state.step


def help_reply(ctx: Context) -> Next:
    ctx.say(_("这里是法院电子送达服务号。") + "\n" + menu_text())
    return stay(ctx)


def human_reply(ctx: Context) -> Next:
    """人工: this account has no live agents; say who the people are and how to reach them."""
    ctx.say(_("本服务号由系统自动答复，没有人工在线。如需人工帮助，请拨打诉讼服务热线 12368，"
              "或拨打法院文书、传票上承办人的联系电话，也可以在工作时间到法院诉讼服务中心办理。") + "\n"
            + _("发送“帮助”可查看本服务号能办理的事项。"))
    return stay(ctx)


def not_understood(ctx: Context) -> Next:
    ctx.say(_("抱歉，我没有理解您的意思。") + "\n" + menu_text())
    return stay(ctx)


def need_registration(ctx: Context) -> Next:
    if isinstance(ctx.state.data.get("claim"), int):
        ctx.say(_("请先完成人脸认证，确认是您本人后即可使用该功能：发送“人脸认证”，再拍摄本人正脸照片。"))
        return stay(ctx)
    ctx.say(_("您还没有在本服务号完成实名认证和人脸识别。请发送“注册”开始，完成后即可使用该功能。"))
    return stay(ctx)


def is_yes(text: str) -> bool:
    return intents.normalize(text) in YES


def is_no(text: str) -> bool:
    return intents.normalize(text) in NO
