"""Document templates kept by the court, and generating documents from them for a case's parties."""
from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from court import db
from court import settings as court_settings
from court.errors import DomainError
from court.models import DocumentKind, Party, StaffRole
from court.services import cases as case_service
from court.services import templates as template_service
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.openapi import route
from staff.api.schemas import DocumentOut, Out, Strict

WRITERS = (StaffRole.JUDGE, StaffRole.CLERK)


class TemplateIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: DocumentKind
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20000, description="fields in braces: "
                      + ", ".join(f"{{{k}}}" for k in template_service.FIELDS))


class TemplateOut(Out):
    id: int
    name: str
    kind: DocumentKind
    title: str
    body: str


class GenerateIn(Strict):
    template_id: int
    party_ids: list[int] | None = Field(default=None, description="default: every party of the case")
    hearing_time: datetime | None = Field(default=None, examples=["2026-12-01T09:30:00+08:00"])
    hearing_place: str = Field(default="", max_length=200)
    judge: str = Field(default="", max_length=100)
    serve: bool = Field(default=True, description="seal and serve each document at once")


@route(bp, "/templates", summary="文书模板（含标准模板）/ the court's document templates", tag="templates",
       response=list[TemplateOut])
def list_templates() -> list[TemplateOut]:
    s = db.session()
    rows = template_service.templates_of(s, current_staff().court)
    s.commit()
    return [TemplateOut.model_validate(t) for t in rows]


@route(bp, "/templates", "POST", summary="新建文书模板 / add a template", tag="templates", body=TemplateIn,
       response=TemplateOut, status=201, roles=WRITERS)
def create_template(body: TemplateIn) -> TemplateOut:
    s = db.session()
    t = template_service.save(s, current_staff().court, name=body.name, kind=body.kind, title=body.title,
                              body=body.body, actor=actor())
    s.commit()
    return TemplateOut.model_validate(t)


@route(bp, "/templates/<int:template_id>", "PUT", summary="修改文书模板 / change a template", tag="templates",
       body=TemplateIn, response=TemplateOut, roles=WRITERS)
def update_template(template_id: int, body: TemplateIn) -> TemplateOut:
    s = db.session()
    staff = current_staff()
    t = template_service.save(s, staff.court, name=body.name, kind=body.kind, title=body.title, body=body.body,
                              actor=actor(), template=template_service.get(s, staff.court_id, template_id))
    s.commit()
    return TemplateOut.model_validate(t)


@route(bp, "/cases/<int:case_id>/generate", "POST", summary="按模板为当事人生成文书（并盖章送达）/ generate documents",
       tag="templates", body=GenerateIn, response=list[DocumentOut], status=201, roles=WRITERS)
def generate(case_id: int, body: GenerateIn) -> list[DocumentOut]:
    from signing import templated

    s = db.session()
    staff = current_staff()
    case = case_service.get_case(s, staff.court_id, case_id)
    template = template_service.get(s, staff.court_id, body.template_id)
    parties = _parties(case, body.party_ids)
    if body.hearing_time is not None and body.hearing_time.tzinfo is None:
        raise DomainError("时间须带时区，例如 2026-12-01T09:30:00+08:00", code="naive_datetime")
    docs = templated.generate(s, template, case, parties,
                              hearing_time=body.hearing_time.astimezone(UTC) if body.hearing_time else None,
                              hearing_place=body.hearing_place, judge=body.judge, serve=body.serve, actor=actor(),
                              max_bytes=court_settings.current().max_upload_bytes)
    s.commit()
    return [DocumentOut.model_validate(d) for d in docs]


def _parties(case, ids: list[int] | None) -> list[Party]:  # type: ignore[no-untyped-def]
    if ids is None:
        return list(case.parties)
    chosen = [p for p in case.parties if p.id in set(ids)]
    if len(chosen) != len(set(ids)):
        raise DomainError("所选当事人不属于本案", code="bad_party")
    return chosen
