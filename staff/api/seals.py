"""Seal control settings and the seal register through the API."""
from __future__ import annotations

import base64
import binascii

from court import db
from court.errors import DomainError
from court.models import StaffRole
from court.services import flow_seal
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.openapi import route
from staff.api.schemas import SealRules


@route(bp, "/court/seal-rules", summary="用印审批规则 / which document kinds need approval before the seal",
       tag="seals", response=SealRules)
def get_seal_rules() -> SealRules:
    return SealRules(approval_kinds=flow_seal.approval_kinds(current_staff().court))


@route(bp, "/court/seal-rules", "PUT", summary="设置用印审批规则 / set the approval rules", tag="seals",
       body=SealRules, response=SealRules, roles=(StaffRole.ADMIN,))
def set_seal_rules(body: SealRules) -> SealRules:
    s = db.session()
    kinds = flow_seal.set_approval_kinds(s, current_staff().court, [k.value for k in body.approval_kinds],
                                            actor=actor())
    s.commit()
    return SealRules(approval_kinds=kinds)


@route(bp, "/me/signature", "PUT", summary="上传本人手写签名 / your handwritten signature (base64 PNG)",
       tag="staff", body=None, status=204, multipart={"file": "file (PNG)"})
def set_my_signature():  # type: ignore[no-untyped-def]
    from flask import request

    from signing import party

    upload = request.files.get("file")
    if upload is not None:
        png = upload.stream.read(party.MAX_SIGNATURE_BYTES + 1)
    else:
        payload = request.get_json(silent=True) or {}
        try:
            png = base64.b64decode(str(payload.get("signature", "")), validate=True)
        except (binascii.Error, ValueError):
            raise DomainError("签名图片须为 base64 编码的 PNG", code="bad_signature") from None
    s = db.session()
    party.set_staff_signature(s, current_staff(), png, actor=actor())
    s.commit()
    return "", 204
