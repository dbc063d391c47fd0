"""Pushing notices (开庭通知 / 传票 / 通知) to the parties of one or more cases.

A push returns at once (202) with its id; the fan-out and the sending run in the background,
and ``GET /notices/<id>`` shows the progress. Schemas live here beside the two endpoints.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from court import db
from court.errors import NotFound
from court.models import NoticePush, PartyRole
from court.services.court_scope import court_row
from notify import push as pushes
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.cases import WRITERS
from staff.api.openapi import route
from staff.api.schemas import Out, Strict


class RecipientsIn(Strict):
    all: bool = Field(False, description="every party of the cases")
    roles: list[PartyRole] = Field(default_factory=list, description="parties with these roles")
    party_ids: list[int] = Field(default_factory=list, max_length=10_000, description="these parties")


class NoticeIn(Strict):
    case_ids: list[int] = Field(min_length=1, max_length=10_000)
    recipients: RecipientsIn
    template: Literal["hearing_notice", "summons", "general_notice"] = Field(
        description="hearing_notice 开庭通知 (time, place) · summons 传票 (time, place, matter) · "
                    "general_notice 通知 (content)")
    fields: dict[str, str] = Field(default_factory=dict, examples=[{"time": "2026年12月1日9时", "place": "第三法庭"}])


class PushFailure(Out):
    party_id: int | None
    channel: str
    error: str | None


class NoticePushOut(Out):
    id: int
    status: Literal["queued", "running", "dispatched", "done", "failed"]
    template: str
    total: int = Field(description="parties chosen")
    queued: int = Field(description="messages written to the outbox so far")
    processed: int = Field(description="messages sent, delivered or failed")
    progress: float = Field(ge=0, le=1)
    counts: dict[str, int] = Field(description="messages per status")
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    failures: list[PushFailure] = Field(default_factory=list, description="the first failed messages, with reasons")


def _out(push: NoticePush) -> NoticePushOut:
    s = db.session()
    return NoticePushOut(**pushes.status(s, push), failures=pushes.failures(s, push, limit=50))


@route(bp, "/notices", "POST", summary="推送通知 / push a notice to many parties", tag="notices",
       body=NoticeIn, response=NoticePushOut, status=202, roles=WRITERS)
def push_notice(body: NoticeIn) -> NoticePushOut:
    s = db.session()
    spec = {"all": True} if body.recipients.all else {}
    if body.recipients.roles:
        spec["roles"] = [r.value for r in body.recipients.roles]
    if body.recipients.party_ids:
        spec["party_ids"] = body.recipients.party_ids
    push = pushes.start_push(s, court_id=current_staff().court_id, case_ids=body.case_ids, recipients=spec,
                             template=body.template, fields=body.fields, actor=actor())
    s.commit()
    return _out(push)


@route(bp, "/notices/<int:push_id>", summary="推送进度 / progress of a push", tag="notices",
       response=NoticePushOut)
def get_notice(push_id: int) -> NoticePushOut:
    return _out(court_row(db.session(), NoticePush, push_id, current_staff().court_id, lambda p: p.court_id,
                          NotFound("推送不存在", code="push_not_found")))
