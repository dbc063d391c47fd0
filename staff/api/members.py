"""Who am I, and staff accounts (admins create them; each gets an API key once)."""
from __future__ import annotations

from court import db
from court.models import StaffRole
from court.services import staff as staff_service
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.openapi import route
from staff.api.schemas import StaffCreated, StaffIn, StaffOut


@route(bp, "/me", summary="当前工作人员 / the calling staff member", tag="staff", response=StaffOut)
def me() -> StaffOut:
    return StaffOut.model_validate(current_staff())


@route(bp, "/staff", "POST", summary="新建工作人员 / create a staff account", tag="staff",
       body=StaffIn, response=StaffCreated, status=201, roles=(StaffRole.ADMIN,))
def create_staff(body: StaffIn) -> StaffCreated:
    s = db.session()
    member, key = staff_service.create_staff(s, current_staff().court, body.username, body.name, body.role, actor())
    s.commit()
    return StaffCreated(**StaffOut.model_validate(member).model_dump(), api_key=key)
