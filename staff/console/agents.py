"""Console pages for organisation parties and agents (issue 13): add an organisation with its
unified social credit code and legal representative, add or revoke an agent with the power of
attorney. The rules live in ``court.services.agents``; this module only reads forms and shows."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from court import db
from court import settings as court_settings
from court.display import CHINA
from court.errors import DomainError
from court.i18n import _
from court.models import AgentAuthority, Party, PartyRole
from court.services import agents
from staff.console import bp
from staff.console.auth import actor, login_required, of_my_court, refused, require_writer
from staff.console.cases import _add_party, _case, _show_code_once, _ttl

PRINCIPAL_ROLES = (PartyRole.PLAINTIFF, PartyRole.DEFENDANT, PartyRole.THIRD_PARTY)


def parse_date(value: str | None, *, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` from a date field (China Standard Time) as a UTC instant: the start of that
    day, or with ``end`` the start of the next day (a power of attorney "valid until 30 June"
    covers 30 June). Empty means none; anything else is refused with a clear message."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=CHINA)
    except ValueError:
        raise DomainError("日期格式不正确，例如 2026-06-30", code="bad_date") from None
    return (day + timedelta(days=1, seconds=-1) if end else day).astimezone(UTC)


def agent_input(form: Any) -> agents.AgentInput:
    """The agent fields of a console form or an API request (the same names in both)."""
    return agents.AgentInput(
        name=(form.get("agent_name") or "").strip(), id_number=form.get("agent_id_number") or None,
        phone=form.get("agent_phone") or None, role=form.get("agent_role", ""), scope=form.get("scope", ""),
        valid_from=parse_date(form.get("valid_from")), valid_until=parse_date(form.get("valid_until"), end=True))


def _page(case_id: int, status: int = 200):  # type: ignore[no-untyped-def]
    c = _case(case_id)
    s = db.session()
    principals = [p for p in c.parties if p.role in PRINCIPAL_ROLES]
    rows = [(p, agents.for_party(s, p)) for p in principals]
    return render_template("console/agents.html", case=c, rows=rows, principals=principals, status_of=agents.status,
                           roles=agents.ROLES, scopes=agents.SCOPES, principal_roles=PRINCIPAL_ROLES,
                           form=request.form), status


@bp.get("/cases/<int:case_id>/agents")
@login_required
def agents_page(case_id: int):  # type: ignore[no-untyped-def]
    return _page(case_id)


def _code_once(party: Party, code: str | None):  # type: ignore[no-untyped-def]
    if code is None:
        return redirect(url_for("console.agents_page", case_id=party.case_id), code=303)
    return _show_code_once(party, code)


@bp.post("/cases/<int:case_id>/organisations")
@login_required
def add_organisation(case_id: int):  # type: ignore[no-untyped-def]
    """An organisation party, and its legal representative when a name is given."""
    require_writer()
    s = db.session()
    c = _case(case_id)
    f = request.form
    try:
        party, _code = _add_party(c, f, PRINCIPAL_ROLES, kind="organisation", uscc=f.get("uscc", ""))
        code = None
        rep = None
        if (f.get("agent_name") or "").strip():
            rep, code = agents.add(s, party, agents.AgentInput(
                name=f["agent_name"].strip(), id_number=f.get("agent_id_number") or None,
                phone=f.get("agent_phone") or None, role="legal_representative", scope="statutory"),
                poa=None, actor=actor(), ttl_days=_ttl())
        s.commit()
    except (DomainError, ValueError) as exc:
        refused(exc, _("当事人类型不正确"))
        return _page(case_id, 400)
    flash(_("已添加单位当事人 {name}", name=party.name))
    return _code_once(rep.agent, code) if rep is not None else _code_once(party, None)


@bp.post("/cases/<int:case_id>/agents")
@login_required
def add_agent(case_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    s = db.session()
    c = _case(case_id)
    principal = s.get(Party, request.form.get("principal_id", type=int) or 0)
    if principal is None or principal.case_id != c.id:
        abort(404)
    upload = request.files.get("poa")
    limit = court_settings.current().max_upload_bytes
    poa = upload.read(limit + 1) if upload else None
    try:
        authority, code = agents.add(s, principal, agent_input(request.form), poa=poa or None, actor=actor(),
                                     ttl_days=_ttl(), max_bytes=limit)
        s.commit()
    except DomainError as exc:
        refused(exc)
        return _page(case_id, exc.status if exc.status in (400, 409, 413, 415, 422) else 400)
    flash(_("已登记 {agent} 为 {party} 的{role}", agent=authority.agent.name, party=principal.name,
            role=_(agents.ROLES[authority.role])))
    return _code_once(authority.agent, code)


def _authority(authority_id: int) -> AgentAuthority:
    return of_my_court(AgentAuthority, authority_id, lambda a: a.principal.case.court_id)


@bp.post("/agents/<int:authority_id>/revoke")
@login_required
def revoke_agent(authority_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    a = _authority(authority_id)
    agents.revoke(db.session(), a, actor=actor(), reason=request.form.get("reason", ""))
    db.session().commit()
    flash(_("已撤销 {agent} 的代理权限，其此前的签收仍然有效", agent=a.agent.name))
    return redirect(url_for("console.agents_page", case_id=a.case_id), code=303)


@bp.get("/agents/<int:authority_id>/poa.pdf")
@login_required
def agent_poa(authority_id: int):  # type: ignore[no-untyped-def]
    a = _authority(authority_id)
    try:
        data = agents.read_poa(a)
    except DomainError:
        abort(404)
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="poa-{a.id}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
