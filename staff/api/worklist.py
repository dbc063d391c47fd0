"""The clerk's worklist and its actions over the API: the same services as the console's
送达工作台 (``court.services.worklist``, ``service_actions``, ``flow_steps.cancel_flow``)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from court import db
from court.services import flow_steps, service_actions
from court.services import worklist as outstanding
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.cases import WRITERS
from staff.api.openapi import route
from staff.api.schemas import FlowOut, Out, Strict


class WorklistQuery(BaseModel):
    """Filters; unknown values fall back to the defaults (as on the console page)."""

    q: str | None = Field(None, description="case number, party name or document title contains")
    kind: str | None = Field(None, description=" | ".join(outstanding.KINDS))
    case_status: str | None = Field(None, description="open | in_trial | closed (default: all but archived)")
    min_age_days: str | None = Field(None, description="waiting at least this many days")
    sort: str | None = Field(None, description=" | ".join(outstanding.SORTS))
    page: str | None = None
    per_page: str | None = Field(None, description=f"at most {outstanding.MAX_PER_PAGE}")
    mine: str | None = Field(None, description="1: only cases and flows I created")


class WorklistItemOut(Out):
    key: str
    kinds: list[str]
    case_id: int
    case_number: str
    since: datetime = Field(description="waiting since, or when the hearing is")
    party_id: int | None = None
    party_name: str = ""
    document_id: int | None = None
    document_title: str = ""
    flow_id: int | None = None
    step_id: int | None = Field(None, description="set on rows the actions apply to")
    delivery: str | None = Field(None, description="the newest message's status")
    consent_state: str = "none"
    link_expires_at: datetime | None = None
    title: str = ""


class WorklistOut(BaseModel):
    items: list[WorklistItemOut]
    total: int
    counts: dict[str, int]
    page: int
    pages: int
    truncated: bool = Field(description="more open steps than one request reads: narrow the filters")


class ChoiceOut(Out):
    key: str = Field(description="pass as `address` to resend")
    channel: str
    label: str = Field(description="masked address")
    agent: str = Field("", description="for an organisation: the agent (name) the notice goes to")


class ResendIn(Strict):
    address: str | None = Field(None, max_length=40, description="a key from /choices; default: the first confirmed address")


class Resent(BaseModel):
    queued: bool
    channel: str


class Revoked(BaseModel):
    links: int = Field(description="live links stopped")


class CancelIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class BulkIn(Strict):
    action: str = Field(description="remind | revoke")
    step_ids: list[int] = Field(min_length=1, max_length=service_actions.MAX_BULK)


class BulkRowOut(BaseModel):
    step_id: int
    ok: bool
    code: str
    message: str = ""
    channel: str = ""
    links: int = 0


@route(bp, "/worklist", summary="送达工作台：未办结事项 / the clerk's outstanding work", tag="worklist",
       query=WorklistQuery, response=WorklistOut)
def get_worklist(query: WorklistQuery) -> WorklistOut:
    view = outstanding.build(db.session(), current_staff(),
                             outstanding.query_from({k: v for k, v in query.model_dump().items() if v is not None}))
    items = [WorklistItemOut.model_validate(it) for it in view.items]
    return WorklistOut(items=items, total=view.total, counts=view.counts, page=view.page, pages=view.pages,
                       truncated=view.truncated)


@route(bp, "/worklist/steps/<int:step_id>/choices", summary="可重新发送的已确认地址 / consented addresses for a re-send",
       tag="worklist", response=list[ChoiceOut], roles=WRITERS)
def resend_choices(step_id: int) -> list[ChoiceOut]:
    s = db.session()
    step = service_actions.open_step(s, current_staff(), step_id)
    return [ChoiceOut.model_validate(c) for c in service_actions.choices(s, step)]


@route(bp, "/worklist/steps/<int:step_id>/resend", "POST", summary="重新发送通知 / send the notice again",
       tag="worklist", body=ResendIn, response=Resent, status=202, roles=WRITERS)
def resend(step_id: int, body: ResendIn) -> Resent:
    s = db.session()
    step = service_actions.open_step(s, current_staff(), step_id)
    found = service_actions.resend(s, current_staff(), step, body.address, actor=actor())
    s.commit()
    return Resent(queued=True, channel=found.channel)


@route(bp, "/worklist/steps/<int:step_id>/revoke", "POST", summary="撤销短信链接 / revoke the party's SMS links",
       tag="worklist", response=Revoked, roles=WRITERS)
def revoke(step_id: int) -> Revoked:
    s = db.session()
    step = service_actions.open_step(s, current_staff(), step_id)
    count = service_actions.revoke_links(s, current_staff(), step, actor=actor())
    s.commit()
    return Revoked(links=count)


@route(bp, "/flows/<int:flow_id>/cancel", "POST", summary="取消签署流程 / cancel a flow", tag="worklist",
       body=CancelIn, response=FlowOut, roles=WRITERS)
def cancel_flow(flow_id: int, body: CancelIn) -> FlowOut:
    s = db.session()
    flow = service_actions.court_flow(s, current_staff(), flow_id)
    flow_steps.cancel_flow(s, flow, body.reason, actor=actor())
    s.commit()
    return FlowOut.model_validate(flow)


@route(bp, "/worklist/bulk", "POST", summary="批量提醒或撤销链接 / remind or revoke many rows", tag="worklist",
       body=BulkIn, response=list[BulkRowOut], roles=WRITERS)
def bulk(body: BulkIn) -> list[BulkRowOut]:
    s = db.session()
    results = service_actions.bulk(s, current_staff(), body.step_ids, body.action, actor=actor())
    s.commit()
    return [BulkRowOut(step_id=r.step_id, ok=r.ok, code=r.code, message=r.message, channel=r.channel, links=r.links)
            for r in results]
