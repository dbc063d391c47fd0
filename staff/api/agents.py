"""Organisation parties' agents and legal representatives over the staff API (issue 13): the same
acts as the console page, the rules in ``court.services.agents``."""
from __future__ import annotations

from datetime import datetime

from flask import request

from court import db
from court import settings as court_settings
from court.errors import NotFound
from court.models import AgentAuthority
from court.services import agents
from court.services.court_scope import court_row
from staff.api import bp
from staff.api.auth import actor, current_staff
from staff.api.cases import WRITERS, _party, _ttl
from staff.api.openapi import route
from staff.api.schemas import Out
from staff.console.agents import agent_input

FIELDS = {"poa": "file（授权委托书PDF；法定代表人可不传 / power of attorney, PDF）",
          "agent_name": "代理人姓名 / name", "agent_id_number": "代理人身份证号 / ID number",
          "agent_phone": "代理人手机 / phone",
          "agent_role": "legal_representative | lawyer | legal_worker | employee | relative | recommended",
          "scope": "statutory（法定代表人）| special（特别授权）| general（一般授权）",
          "valid_from": "YYYY-MM-DD", "valid_until": "YYYY-MM-DD（含当日 / inclusive）"}


class AgentOut(Out):
    id: int
    principal_party_id: int
    agent_party_id: int
    agent_name: str
    agent_id_number_masked: str | None
    role: str
    scope: str
    valid_from: datetime
    valid_until: datetime | None
    status: str  # active | revoked | expired | not_yet
    verified: bool  # the agent has proved who they are and holds their record
    poa_sha256: str | None
    association_code: str | None = None  # only in the answer that created the agent's record


def agent_out(a: AgentAuthority, code: str | None = None) -> AgentOut:
    return AgentOut(id=a.id, principal_party_id=a.principal_party_id, agent_party_id=a.agent_party_id,
                    agent_name=a.agent.name, agent_id_number_masked=a.agent.id_number_masked, role=a.role,
                    scope=a.scope, valid_from=a.valid_from, valid_until=a.valid_until, status=agents.status(a),
                    verified=a.agent.person_id is not None, poa_sha256=a.poa_sha256, association_code=code)


@route(bp, "/parties/<int:party_id>/agents", summary="当事人的代理人与法定代表人 / a party's agents", tag="parties",
       response=list[AgentOut])
def list_agents(party_id: int) -> list[AgentOut]:
    return [agent_out(a) for a in agents.for_party(db.session(), _party(party_id))]


@route(bp, "/parties/<int:party_id>/agents", "POST",
       summary="登记代理人或法定代表人（上传授权委托书）/ add an agent with the power of attorney", tag="parties",
       response=AgentOut, status=201, roles=WRITERS, multipart=FIELDS)
def add_agent(party_id: int) -> AgentOut:
    party = _party(party_id)
    limit = court_settings.current().max_upload_bytes
    upload = request.files.get("poa")
    poa = upload.stream.read(limit + 1) if upload is not None else None
    s = db.session()
    authority, code = agents.add(s, party, agent_input(request.form), poa=poa or None, actor=actor(),
                                 ttl_days=_ttl(), max_bytes=limit)
    s.commit()
    return agent_out(authority, code)


@route(bp, "/agents/<int:authority_id>/revoke", "POST", summary="撤销代理权限 / revoke an agent's authority",
       tag="parties", response=AgentOut, roles=WRITERS, multipart={"reason": "撤销原因 / reason"})
def revoke_agent(authority_id: int) -> AgentOut:
    s = db.session()
    a = court_row(s, AgentAuthority, authority_id, current_staff().court_id, lambda a: a.principal.case.court_id,
                  NotFound("代理授权不存在", code="agent_not_found"))
    agents.revoke(s, a, actor=actor(), reason=(request.form.get("reason") or "")[:500])
    s.commit()
    return agent_out(a)
