"""Console pages for cases: the dashboard of things needing attention, cases, parties, codes, audit."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from court import audit as audit_log
from court import audit_chain, casenumbers, crypto, db, display
from court import settings as court_settings
from court.errors import DomainError
from court.i18n import _
from court.models import (
    Case,
    CaseStatus,
    Document,
    DocumentStatus,
    FlowStep,
    Notification,
    NotificationStatus,
    Party,
    PartyRole,
    ServiceRecord,
    StepStatus,
)
from court.services import cases as case_service
from court.services import consent as consent_rules
from court.services import other_service, party_sessions
from signing import qr
from staff.console import bp, once
from staff.console.auth import actor, login_required, of_my_court, refused, require_writer

WRITERS = case_service.WRITERS


def _case(case_id: int) -> Case:
    try:
        return case_service.get_case(db.session(), g.staff.court_id, case_id)
    except DomainError:
        abort(404)


def _party(party_id: int) -> Party:
    """A party of this staff member's court; another court's party is 404, as if it did not exist."""
    return of_my_court(Party, party_id, lambda p: p.case.court_id)


def _writable_party(party_id: int) -> Party:
    require_writer()
    return _party(party_id)


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    s = db.session()
    court_id = g.staff.court_id
    failed_docs = s.scalars(select(Document).join(Case).where(
        Case.court_id == court_id, Document.status.in_((DocumentStatus.FAILED, DocumentStatus.RETURNED)),
    ).order_by(Document.id.desc()).limit(50)).all()  # returned: the seal keeper refused; correct and restart
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
        require_writer()
        try:
            case = case_service.create_case(s, g.staff.court, request.form.get("number", ""),
                                            request.form.get("type", "civil"), request.form.get("title", ""), actor())
            s.commit()
            flash(_("案件已创建"))
            return redirect(url_for("console.case", case_id=case.id))
        except DomainError as exc:
            refused(exc)
    q = request.args.get("q", "").strip()
    where = [Case.court_id == g.staff.court_id]
    if q:
        where.append(Case.number.contains(casenumbers.normalize(q)))
    rows = s.scalars(select(Case).where(*where).order_by(Case.id.desc()).limit(200)).all()
    return render_template("console/cases.html", cases=rows, q=q, types=case_service.CASE_TYPES)


@bp.get("/cases/<int:case_id>")
@login_required
def case(case_id: int):  # type: ignore[no-untyped-def]
    return _case_page(_case(case_id))


def _case_page(c: Case, form: MultiDict[str, str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    """The case page; ``form`` refills the add-party form after a refusal so nothing typed is lost."""
    docs = db.session().scalars(select(Document).where(Document.case_id == c.id).order_by(Document.id)).all()
    notes = db.session().scalars(select(Notification).where(Notification.case_id == c.id)
                                 .order_by(Notification.id.desc()).limit(200)).all()
    services = db.session().scalars(select(ServiceRecord).join(Party).where(Party.case_id == c.id)
                                    .order_by(ServiceRecord.id)).all()
    s = db.session()
    from court.services import lifecycle
    from court.services import templates as template_service

    writable = c.status not in (CaseStatus.CLOSED, CaseStatus.ARCHIVED)
    templates = template_service.templates_of(s, c.court) if writable else []
    s.commit()  # the standard templates are added the first time a court's case page is shown
    consents = {p.id: consent_rules.state(s, p) for p in c.parties}
    # a credential document is one party's: name the party, so two parties' rows differ
    credential_party = {r.credential.document_id: r.party for r in services if r.credential is not None}
    return render_template("console/case.html", case=c, next_statuses=sorted(lifecycle.MOVES[c.status]),
                           templates=templates, documents=docs, notifications=notes, services=services,
                           roles=list(PartyRole), mask_phone=crypto.mask_phone, form=form or MultiDict(),
                           consents=consents, consent_labels=display.CONSENT, credential_party=credential_party,
                           removable={p.id for p in c.parties if case_service.removable(s, p)},
                           others=other_service.of_case(s, c.id), other_date=other_service.served_on_text,
                           other_text=other_service.describe), status


def _show_code_once(party: Party, code: str):  # type: ignore[no-untyped-def]
    """Association codes are shown once: see :mod:`staff.console.once`."""
    return redirect(url_for("console.issued_code", token=once.stash({"party": party.id, "code": code})), code=303)


@bp.get("/codes/<token>")
@login_required
def issued_code(token: str):  # type: ignore[no-untyped-def]
    shown = once.take(token)
    party = db.session().get(Party, int(shown["party"])) if shown else None
    if shown is None or party is None or party.case.court_id != g.staff.court_id:
        return render_template("console/code_gone.html"), 410
    return render_template("console/code.html", party=party, code=shown["code"], qr=qr.svg(shown["code"]))


def _add_party(c: Case, form: MultiDict[str, str], roles: tuple[PartyRole, ...] = tuple(PartyRole),
               **fields: str | None) -> tuple[Party, str]:
    """One party from an add-party form (role, name, e-mail and ``fields``); a role not in ``roles``
    is a ValueError, a refusal of the rules a DomainError. Not committed."""
    role = PartyRole(form.get("role", ""))
    if role not in roles:
        raise ValueError(role)
    [(party, code)] = case_service.add_parties(db.session(), c, [case_service.PartyInput(
        role, form.get("name", ""), email=form.get("email") or None, **fields)], ttl_days=_ttl(), actor=actor())
    return party, code


@bp.post("/cases/<int:case_id>/parties")
@login_required
def add_party(case_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    s = db.session()
    c = _case(case_id)
    f = request.form
    try:
        party, code = _add_party(c, f, id_number=f.get("id_number") or None, phone=f.get("phone") or None)
        s.commit()
    except (DomainError, ValueError) as exc:
        refused(exc, _("当事人类型不正确"))
        return _case_page(c, request.form, 409 if getattr(exc, "status", 400) == 409 else 400)
    return _show_code_once(party, code)


@bp.post("/parties/<int:party_id>/remove")
@login_required
def remove_party(party_id: int):  # type: ignore[no-untyped-def]
    s = db.session()
    party = _writable_party(party_id)
    case_id = party.case_id
    try:
        case_service.remove_party(s, party, actor=actor())
        s.commit()
        flash(_("当事人已删除"))
    except DomainError as exc:
        refused(exc)
    return redirect(url_for("console.case", case_id=case_id), code=303)


@bp.post("/parties/<int:party_id>/code")
@login_required
def regenerate_code(party_id: int):  # type: ignore[no-untyped-def]
    s = db.session()
    party = _writable_party(party_id)
    code = case_service.regenerate_code(s, party, ttl_days=_ttl(), actor=actor())
    s.commit()
    return _show_code_once(party, code)


@bp.post("/parties/<int:party_id>/sessions/revoke")
@login_required
def revoke_sessions(party_id: int):  # type: ignore[no-untyped-def]
    """End every party-page session of this party (a lost phone, a shared computer)."""
    s = db.session()
    party = _writable_party(party_id)
    ended = party_sessions.revoke_party(s, party, actor=actor())
    s.commit()
    flash(_("已结束 {name} 的 {n} 个网页会话，需重新人脸识别后才能查看文书。", name=party.name, n=ended))
    return redirect(url_for("console.case", case_id=party.case_id))


@bp.get("/cases/<int:case_id>/audit")
@login_required
def audit(case_id: int):  # type: ignore[no-untyped-def]
    c = _case(case_id)
    s = db.session()
    from staff.console import audit_view

    events = audit_log.events_for_case(s, c.id)
    return render_template("console/audit.html", case=c, rows=audit_view.rows(s, events),
                           report=audit_chain.verify_recent(s, events))


def _ttl() -> int:
    return court_settings.current().association_code_ttl_days


@bp.get("/cases/<int:case_id>/export")
@login_required
def export(case_id: int):  # type: ignore[no-untyped-def]
    """The case's electronic file and evidence bundle as a ZIP download."""
    from flask import send_file

    from signing import bundle

    require_writer()
    s = db.session()
    c = _case(case_id)
    fh = bundle.export_file(s, c, actor=actor())
    s.commit()
    return send_file(fh, mimetype="application/zip", as_attachment=True, download_name=bundle.download_name(c))


@bp.post("/cases/<int:case_id>/status")
@login_required
def change_status(case_id: int):  # type: ignore[no-untyped-def]
    from court.models import CaseStatus
    from court.services import lifecycle

    require_writer()
    s = db.session()
    c = _case(case_id)
    try:
        lifecycle.change_status(s, c, CaseStatus(request.form.get("status", "")), actor=actor(),
                                reason=request.form.get("reason", ""))
        s.commit()
        flash(_("案件状态已更新") + ("：" + _("结案后将在所有签署流程结束时自动归档") if c.status is CaseStatus.CLOSED else ""))
    except (DomainError, ValueError) as exc:
        refused(exc, _("案件状态不正确"))
    return redirect(url_for("console.case", case_id=case_id), code=303)


@bp.get("/cases/<int:case_id>/archive")
@login_required
def archive(case_id: int):  # type: ignore[no-untyped-def]
    import io

    from flask import send_file

    from court import storage
    from signing import bundle

    c = _case(case_id)
    if not c.archive_key:
        abort(404)
    return send_file(io.BytesIO(storage.store().get(c.archive_key)), mimetype="application/zip", as_attachment=True,
                     download_name=bundle.download_name(c))
