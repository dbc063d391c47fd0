"""Console pages for the seals: the seal register (filters, CSV), the court's seals and approval
rules, and each staff member's own handwritten signature."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from court import db
from court.chinatime import CHINA
from court.errors import DomainError
from court.i18n import _
from court.models import DocumentKind, StaffRole
from court.services import documents as doc_service
from court.services import flow_seal
from signing import seals
from staff.console import bp
from staff.console.auth import actor, has_role, login_required, refused

AUDITORS = (StaffRole.SEAL_APPROVER,)  # and administrators (has_role)


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A date typed in the filter (Beijing time) as a UTC bound; the end date is inclusive."""
    if not value:
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=CHINA)
    except ValueError:
        raise DomainError("日期格式应为 YYYY-MM-DD", code="bad_date") from None
    return day + timedelta(days=1) if end else day


@bp.get("/seal-register")
@login_required
def seal_register():  # type: ignore[no-untyped-def]
    if not has_role(*AUDITORS):
        abort(403)
    s = db.session()
    args = request.args
    error = None
    rows = []
    try:
        filters = seals.Filters(
            date_from=_day(args.get("from")), date_to=_day(args.get("to"), end=True),
            seal_id=int(args["seal_id"]) if args.get("seal_id", "").isdigit() else None,
            case_number=args.get("case") or None, actor=args.get("actor") or None)
        rows = seals.entries(s, g.staff.court_id, filters, limit=100_000 if args.get("format") == "csv" else 500)
    except DomainError as exc:
        error = exc.localized()
    if args.get("format") == "csv" and error is None:
        return Response("\ufeff" + seals.to_csv(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=seal-register.csv"})
    from court import display
    from staff.console import audit_view

    return render_template("console/seal_register.html", rows=rows, error=error, args=args,
                           names=audit_view.actor_names(s, [r.actor for r in rows]), actor_label=display.actor_label,
                           seals=seals.court_seals(s, g.staff.court)), 400 if error else 200


@bp.route("/seals", methods=["GET", "POST"])
@login_required
def court_seals():  # type: ignore[no-untyped-def]
    if not has_role(*AUDITORS):
        abort(403)
    s = db.session()
    court = g.staff.court
    if request.method == "POST":
        if g.staff.role is not StaffRole.ADMIN:
            abort(403)
        try:
            if request.form.get("action") == "rules":
                flow_seal.set_approval_kinds(s, court, request.form.getlist("kinds"), actor=actor())
            else:
                seals.add_seal(s, court, request.form.get("name", ""), request.form.get("kind", ""), actor=actor(),
                               p12_path=request.form.get("p12_path") or None,
                               p12_password_env=request.form.get("p12_password_env") or None)
            s.commit()
            flash(_("已保存"))
        except DomainError as exc:
            refused(exc)
        return redirect(url_for("console.court_seals"))
    listed = seals.court_seals(s, court)
    s.commit()  # the court seal's row, made on first sight
    prints = {}
    for seal in listed:
        try:
            prints[seal.id] = seals.fingerprint(seal)
        except DomainError as exc:
            prints[seal.id] = exc.localized()
    return render_template("console/seals.html", seals=listed, prints=prints,
                           kinds=[k for k in doc_service.UPLOADABLE],
                           approval=flow_seal.approval_kinds(court), all_kinds=DocumentKind)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():  # type: ignore[no-untyped-def]
    """Your handwritten signature, uploaded once (PNG) and used when you sign a step."""
    from signing import party

    if request.method == "POST":
        s = db.session()
        file = request.files.get("signature")
        try:
            if file is None or not file.filename:
                raise DomainError("请选择签名图片（PNG）", code="file_required")
            party.set_staff_signature(s, g.staff, file.stream.read(party.MAX_SIGNATURE_BYTES + 1), actor=actor())
            s.commit()
            flash(_("签名已保存"))
        except DomainError as exc:
            refused(exc)
        return redirect(url_for("console.profile"))
    return render_template("console/profile.html")


@bp.get("/profile/signature.png")
@login_required
def my_signature():  # type: ignore[no-untyped-def]
    from court import storage

    if not g.staff.signature_image_key:
        abort(404)
    return Response(storage.store().get(g.staff.signature_image_key), mimetype="image/png")
