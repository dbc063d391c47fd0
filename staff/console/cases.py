"""Console pages for cases: the dashboard of things needing attention, cases, parties, codes, audit."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from court import audit as audit_log
from court import crypto, db
from court.errors import DomainError
from court.i18n import _
from court.models import (
    Case,
    Document,
    DocumentStatus,
    FlowStep,
    Notification,
    NotificationStatus,
    Party,
    PartyRole,
    ServiceRecord,
    StaffRole,
    StepStatus,
)
from court.services import cases as case_service
from court.services import consent as consent_rules
from signing import qr
from staff.console import bp
from staff.console.auth import actor, has_role, login_required

WRITERS = (StaffRole.JUDGE, StaffRole.CLERK)
CONSENT_LABELS = {"given": _("已同意"), "declined": _("不同意"), "withdrawn": _("已撤回"), "none": _("未确认")}


def _case(case_id: int) -> Case:
    try:
        return case_service.get_case(db.session(), g.staff.court_id, case_id)
    except DomainError:
        abort(404)



@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    s = db.session()
    court_id = g.staff.court_id
    failed_docs = s.scalars(select(Document).join(Case).where(
        Case.court_id == court_id, Document.status == DocumentStatus.FAILED).order_by(Document.id.desc()).limit(50)).all()
    attention = s.scalars(select(Case).where(Case.court_id == court_id, Case.needs_attention.is_not(None))).all()
    failed_notes = s.scalars(select(Notification).join(Case, Notification.case_id == Case.id).where(
        Case.court_id == court_id, Notification.status == NotificationStatus.FAILED
    ).order_by(Notification.id.desc()).limit(50)).all()
    my_steps = s.scalars(select(FlowStep).where(
        FlowStep.staff_id == g.staff.id, FlowStep.status == StepStatus.READY)).all()
    recent = s.scalars(select(Case).where(Case.court_id == court_id).order_by(Case.id.desc()).limit(20)).all()
    return render_template("console/index.html", failed_docs=failed_docs, attention=attention,
                           failed_notes=failed_notes, my_steps=my_steps, recent=recent)


@bp.route("/cases", methods=["GET", "POST"])
@login_required
def cases():  # type: ignore[no-untyped-def]
    s = db.session()
    if request.method == "POST":
        if not has_role(*WRITERS):
            abort(403)
        try:
            case = case_service.create_case(s, g.staff.court, request.form.get("number", ""),
                                            request.form.get("type", "civil"), request.form.get("title", ""), actor())
            s.commit()
            flash(_("案件已创建"))
            return redirect(url_for("console.case", case_id=case.id))
        except DomainError as exc:
            s.rollback()
            flash(exc.localized(), "error")
    q = request.args.get("q", "").strip()
    where = [Case.court_id == g.staff.court_id]
    if q:
        where.append(Case.number.contains(q.replace("(", "（").replace(")", "）")))
    rows = s.scalars(select(Case).where(*where).order_by(Case.id.desc()).limit(200)).all()
    return render_template("console/cases.html", cases=rows, q=q, types=case_service.CASE_TYPES)


@bp.get("/cases/<int:case_id>")
@login_required
def case(case_id: int):  # type: ignore[no-untyped-def]
    c = _case(case_id)
    docs = db.session().scalars(select(Document).where(Document.case_id == c.id).order_by(Document.id)).all()
    notes = db.session().scalars(select(Notification).where(Notification.case_id == c.id)
                                 .order_by(Notification.id.desc()).limit(200)).all()
    services = db.session().scalars(select(ServiceRecord).join(Party).where(Party.case_id == c.id)
                                    .order_by(ServiceRecord.id)).all()
    s = db.session()
    consents = {p.id: consent_rules.state(s, p) for p in c.parties}
    return render_template("console/case.html", case=c, documents=docs, notifications=notes, services=services,
                           roles=list(PartyRole), mask_phone=crypto.mask_phone, consents=consents,
                           consent_labels=CONSENT_LABELS)


@bp.post("/cases/<int:case_id>/parties")
@login_required
def add_party(case_id: int):  # type: ignore[no-untyped-def]
    if not has_role(*WRITERS):
        abort(403)
    s = db.session()
    c = _case(case_id)
    f = request.form
    try:
        role = PartyRole(f.get("role", ""))
        [(party, code)] = case_service.add_parties(
            s, c, [case_service.PartyInput(role, f.get("name", ""), f.get("id_number") or None, f.get("phone") or None,
                                           f.get("email") or None)], ttl_days=_ttl(), actor=actor())
        s.commit()
    except (DomainError, ValueError) as exc:
        s.rollback()
        flash(exc.localized() if isinstance(exc, DomainError) else _("当事人类型不正确"), "error")
        return redirect(url_for("console.case", case_id=c.id))
    return render_template("console/code.html", party=party, code=code, qr=qr.svg(code))


@bp.post("/parties/<int:party_id>/code")
@login_required
def regenerate_code(party_id: int):  # type: ignore[no-untyped-def]
    if not has_role(*WRITERS):
        abort(403)
    s = db.session()
    party = s.get(Party, party_id)
    if party is None or party.case.court_id != g.staff.court_id:
        abort(404)
    code = case_service.regenerate_code(s, party, ttl_days=_ttl(), actor=actor())
    s.commit()
    return render_template("console/code.html", party=party, code=code, qr=qr.svg(code))


@bp.get("/cases/<int:case_id>/audit")
@login_required
def audit(case_id: int):  # type: ignore[no-untyped-def]
    c = _case(case_id)
    s = db.session()
    return render_template("console/audit.html", case=c, events=audit_log.events_for_case(s, c.id),
                           report=audit_log.verify(s))


def _ttl() -> int:
    from flask import current_app

    return int(current_app.config["ASSOCIATION_CODE_TTL_DAYS"])
