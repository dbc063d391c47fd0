"""Endpoints of the court's own systems that receive signed events, and their deliveries (admins)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from court import db
from court.models import StaffRole, WebhookDelivery, WebhookEndpoint
from court.services import webhooks as webhook_service
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.openapi import route
from staff.api.schemas import Out, Strict

ADMIN = (StaffRole.ADMIN,)


class EndpointIn(Strict):
    url: str = Field(max_length=500, examples=["https://trial.court.example/hooks/esign"])
    events: list[str] = Field(default_factory=lambda: ["*"], description="event types, or [\"*\"] for all: "
                              + ", ".join(webhook_service.EVENT_TYPES))
    description: str = Field(default="", max_length=200)


class EndpointPatch(Strict):
    active: bool | None = None
    events: list[str] | None = None


class EndpointOut(Out):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="signing secret, shown once: verify X-Court-Signature with it")


class AttemptOut(Out):
    at: datetime
    status_code: int | None
    response: str | None
    error: str | None
    duration_ms: int


class DeliveryOut(Out):
    id: int
    endpoint_id: int
    event_id: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    payload: dict[str, object]
    tries: list[AttemptOut]


class DeliveryQuery(BaseModel):
    status: Literal["pending", "delivered", "failed"] | None = None
    limit: int = Field(default=50, ge=1, le=500)


@route(bp, "/webhooks", "POST", summary="登记接收事件的地址（返回签名密钥，仅此一次）/ register a webhook endpoint",
       tag="webhooks", body=EndpointIn, response=EndpointCreated, status=201, roles=ADMIN)
def create_endpoint(body: EndpointIn) -> EndpointCreated:
    s = db.session()
    ep, secret = webhook_service.create_endpoint(s, current_staff().court, body.url, body.events,
                                                 description=body.description, actor=actor())
    s.commit()
    return EndpointCreated(**EndpointOut.model_validate(ep).model_dump(), secret=secret)


@route(bp, "/webhooks", summary="接收地址列表 / webhook endpoints", tag="webhooks", response=list[EndpointOut],
       roles=ADMIN)
def list_endpoints() -> list[EndpointOut]:
    rows = db.session().scalars(select(WebhookEndpoint).where(WebhookEndpoint.court_id == current_staff().court_id)
                                .order_by(WebhookEndpoint.id))
    return [EndpointOut.model_validate(ep) for ep in rows]


@route(bp, "/webhooks/<int:endpoint_id>", "PATCH", summary="停用、启用或修改订阅的事件 / change an endpoint",
       tag="webhooks", body=EndpointPatch, response=EndpointOut, roles=ADMIN)
def update_endpoint(endpoint_id: int, body: EndpointPatch) -> EndpointOut:
    s = db.session()
    ep = webhook_service.endpoint_of(s, current_staff().court_id, endpoint_id)
    webhook_service.update_endpoint(s, ep, active=body.active, events=body.events, actor=actor())
    s.commit()
    return EndpointOut.model_validate(ep)


@route(bp, "/webhooks/<int:endpoint_id>/deliveries", summary="投递记录及每次尝试 / deliveries with their attempts",
       tag="webhooks", query=DeliveryQuery, response=list[DeliveryOut], roles=ADMIN)
def list_deliveries(endpoint_id: int, query: DeliveryQuery) -> list[DeliveryOut]:
    s = db.session()
    ep = webhook_service.endpoint_of(s, current_staff().court_id, endpoint_id)
    where = [WebhookDelivery.endpoint_id == ep.id]
    if query.status:
        where.append(WebhookDelivery.status == query.status)
    rows = s.scalars(select(WebhookDelivery).where(*where).order_by(WebhookDelivery.id.desc()).limit(query.limit))
    return [DeliveryOut.model_validate(d) for d in rows]


@route(bp, "/webhook-deliveries/<int:delivery_id>/replay", "POST", summary="重新投递 / send a delivery again",
       tag="webhooks", response=DeliveryOut, status=202, roles=ADMIN)
def replay_delivery(delivery_id: int) -> DeliveryOut:
    from notify import webhooks as sender

    s = db.session()
    d = webhook_service.delivery_of(s, current_staff().court_id, delivery_id)
    webhook_service.replay(s, d, actor=actor())
    s.commit()
    sender.pump()  # claims it (and anything else due) and queues the post now
    return DeliveryOut.model_validate(s.get(WebhookDelivery, delivery_id))
