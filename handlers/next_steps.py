"""What to do next: said after every finished step, so nobody is left wondering (issue 12, item 7).

The hint follows where the person stands: not registered → 注册; registered but not yet proven in
this conversation → 人脸认证; documents waiting → 签收; no case yet → 绑定 关联码; otherwise where to
look and that notices will come by themselves.
"""
from __future__ import annotations

from sqlalchemy import func, select

from court.i18n import _
from court.models import Party
from handlers import documents
from handlers.common import Context


def text(ctx: Context) -> str:
    """One line saying the next thing this person can do here."""
    person = ctx.person
    if person is None:
        if isinstance(ctx.state.data.get("claim"), int):
            return _("下一步：发送“人脸认证”，拍摄本人正脸照片，确认是您本人。")
        return _("下一步：发送“注册”开始实名认证。")
    waiting = len(documents.waiting(ctx.s, person.id))
    if waiting:
        return _("下一步：您有 {n} 份文书待签收，发送“签收”查看并签收。", n=waiting)
    if not ctx.s.scalar(select(func.count(Party.id)).where(Party.person_id == person.id)):
        return _("下一步：收到法院的关联码后，发送“绑定 关联码”关联您的案件，例如“绑定 ABCD-EFGH-JKMN”。")
    return _("下一步：发送“我的案件”查看案件进度，发送“我的文书”查看文书；有新文书时我们会通知您。")


def say(ctx: Context) -> None:
    """Add the hint to what was just said (one message, not two)."""
    ctx.add_line(text(ctx))
