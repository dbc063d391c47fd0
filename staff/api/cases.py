"""Cases, parties, association codes and dated case events."""
from __future__ import annotations

from datetime import UTC
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from court import casenumbers, crypto, db
from court import settings as court_settings
from court.models import Case, Party
from court.services import cases as case_service
from court.services import party_sessions
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.openapi import route
from staff.api.schemas import (
    CaseIn,
    CaseList,
    CaseOut,
    CaseQuery,
    EventIn,
    EventOut,
    PartiesIn,
    PartyOut,
    PartyWithCode,
    Strict,
)

WRITERS = case_service.WRITERS


def party_out(p: Party) -> PartyOut:
    return PartyOut(
        id=p.id, case_id=p.case_id, role=p.role, name=p.name, id_number_masked=p.id_number_masked,
        phone_masked=crypto.mask_phone(p.phone) if p.phone else None, joined=p.person_id is not None,
        code_expires_at=p.code_expires_at, code_used=p.code_used_at is not None, kind=p.kind, uscc=p.uscc,
    )


def _ttl() -> int:
    return court_settings.current().association_code_ttl_days


def _party(party_id: int) -> Party:
    """The party, if it belongs to a case of the caller's court (404 otherwise)."""
    return case_service.get_party(db.session(), current_staff().court_id, party_id)


def _case(case_id: int) -> Case:
    return case_service.get_case(db.session(), current_staff().court_id, case_id)


@route(bp, "/cases", "POST", summary="新建案件 / create a case", tag="cases", body=CaseIn, response=CaseOut,
       status=201, roles=WRITERS)
def create_case(body: CaseIn) -> CaseOut:
    s = db.session()
    case = case_service.create_case(s, current_staff().court, body.number, body.type, body.title, actor())
    s.commit()
    return CaseOut.model_validate(case)


@route(bp, "/cases", summary="案件列表 / list cases", tag="cases", query=CaseQuery, response=CaseList)
def list_cases(query: CaseQuery) -> CaseList:
    s = db.session()
    where = [Case.court_id == current_staff().court_id]
    if query.number:
        where.append(Case.number.contains(casenumbers.normalize(query.number)))
    total = s.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    rows = s.scalars(select(Case).where(*where).order_by(Case.id.desc()).limit(query.limit).offset(query.offset))
    return CaseList(items=[CaseOut.model_validate(c) for c in rows], total=total)


@route(bp, "/cases/<int:case_id>", summary="案件详情 / a case", tag="cases", response=CaseOut)
def get_case(case_id: int) -> CaseOut:
    return CaseOut.model_validate(_case(case_id))


@route(bp, "/cases/<int:case_id>/parties", "POST", summary="添加当事人，返回关联码（仅此一次）/ add parties",
       tag="parties", body=PartiesIn, response=list[PartyWithCode], status=201, roles=WRITERS)
def add_parties(case_id: int, body: PartiesIn) -> list[PartyWithCode]:
    s = db.session()
    inputs = [case_service.PartyInput(p.role, p.name, p.id_number, p.phone, p.email, kind=p.kind, uscc=p.uscc)
              for p in body.parties]
    added = case_service.add_parties(s, _case(case_id), inputs, ttl_days=_ttl(), actor=actor())
    s.commit()
    return [PartyWithCode(**party_out(p).model_dump(), association_code=code) for p, code in added]


@route(bp, "/cases/<int:case_id>/parties", summary="当事人列表 / list parties", tag="parties",
       response=list[PartyOut])
def list_parties(case_id: int) -> list[PartyOut]:
    return [party_out(p) for p in _case(case_id).parties]


@route(bp, "/parties/<int:party_id>/code", "POST", summary="重新生成关联码 / regenerate an association code",
       tag="parties", response=PartyWithCode, status=201, roles=WRITERS)
def regenerate_code(party_id: int) -> PartyWithCode:
    s = db.session()
    party = _party(party_id)
    code = case_service.regenerate_code(s, party, ttl_days=_ttl(), actor=actor())
    s.commit()
    return PartyWithCode(**party_out(party).model_dump(), association_code=code)


@route(bp, "/parties/<int:party_id>", "DELETE", summary="删除误录入的当事人（尚未关联、通知或送达）/ remove a party entered by mistake",
       tag="parties", status=204, roles=WRITERS)
def remove_party(party_id: int) -> tuple[str, int]:
    s = db.session()
    case_service.remove_party(s, _party(party_id), actor=actor())
    s.commit()
    return "", 204


class SessionsRevoked(BaseModel):
    ended: int = Field(description="party-page sessions ended / 结束的会话数")


@route(bp, "/parties/<int:party_id>/sessions/revoke", "POST",
       summary="结束当事人的全部网页会话 / end every party-page session of a party", tag="parties",
       response=SessionsRevoked, roles=WRITERS)
def revoke_sessions(party_id: int) -> SessionsRevoked:
    """A lost or shared phone: every browser signed in for this party (or its person) is signed out
    on the server at once, copied cookies included; they get in again only with a new face check."""
    s = db.session()
    party = _party(party_id)
    ended = party_sessions.revoke_party(s, party, actor=actor())
    s.commit()
    return SessionsRevoked(ended=ended)


@route(bp, "/cases/<int:case_id>/events", "POST", summary="添加开庭等日程 / add a hearing or deadline",
       tag="cases", body=EventIn, response=EventOut, status=201, roles=WRITERS)
def add_event(case_id: int, body: EventIn) -> EventOut:

    from court.errors import DomainError

    if body.at.tzinfo is None:
        raise DomainError("时间须带时区，例如 2026-12-01T09:30:00+08:00", code="naive_datetime")
    s = db.session()
    ev = case_service.add_event(s, _case(case_id), body.kind, body.title, body.at.astimezone(UTC),
                                body.place, actor())
    s.commit()
    return EventOut.model_validate(ev)


@route(bp, "/cases/<int:case_id>/export", summary="导出电子卷宗与证据包（ZIP，清单经本院印章签名）/ export the case file",
       tag="cases", binary=True, roles=WRITERS)
def export_case(case_id: int):  # type: ignore[no-untyped-def]
    """``?document_id=`` exports one document of the case. Check the ZIP with ``flask court verify-bundle``."""
    from flask import request, send_file

    from signing import bundle

    s = db.session()
    case = _case(case_id)
    document_id = request.args.get("document_id", type=int)
    fh = bundle.export_file(s, case, actor=actor(), document_id=document_id)
    s.commit()
    return send_file(fh, mimetype="application/zip", as_attachment=True,
                     download_name=bundle.download_name(case, document_id))


class CaseStatusIn(Strict):
    status: Literal["open", "in_trial", "closed"]
    reason: str = Field(default="", max_length=200)


@route(bp, "/cases/<int:case_id>/status", "POST", summary="变更案件状态（结案后自动归档）/ change a case's status",
       tag="cases", body=CaseStatusIn, response=CaseOut, roles=WRITERS)
def change_status(case_id: int, body: CaseStatusIn) -> CaseOut:
    from court.models import CaseStatus
    from court.services import lifecycle

    s = db.session()
    case = lifecycle.change_status(s, _case(case_id), CaseStatus(body.status), actor=actor(), reason=body.reason)
    s.commit()
    return CaseOut.model_validate(case)


@route(bp, "/cases/<int:case_id>/archive", summary="下载归档的电子卷宗 / download the archived case file",
       tag="cases", binary=True, roles=WRITERS)
def download_archive(case_id: int):  # type: ignore[no-untyped-def]
    import io

    from flask import send_file

    from court import storage
    from court.errors import NotFound
    from signing import bundle

    case = _case(case_id)
    if not case.archive_key:
        raise NotFound("该案件尚未归档", code="not_archived")
    resp = send_file(io.BytesIO(storage.store().get(case.archive_key)), mimetype="application/zip",
                     as_attachment=True, download_name=bundle.download_name(case))
    resp.headers["X-Content-SHA256"] = case.archive_sha256 or ""
    return resp
