"""Console pages for the court's document templates, and generating documents for a case from one."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for

from court import chinatime, db
from court import settings as court_settings
from court.errors import DomainError
from court.i18n import _
from court.models import DocumentKind
from court.services import cases as case_service
from court.services import templates as template_service
from staff.console import bp
from staff.console.auth import actor, login_required, refused, require_writer


@bp.route("/templates", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@login_required
def templates(template_id: int | None = None):  # type: ignore[no-untyped-def]
    s = db.session()
    editing = None
    if template_id is not None:
        try:
            editing = template_service.get(s, g.staff.court_id, template_id)
        except DomainError:
            abort(404)
    if request.method == "POST":
        require_writer()
        f = request.form
        try:
            saved = template_service.save(s, g.staff.court, name=f.get("name", ""), kind=DocumentKind(f.get("kind", "")),
                                          title=f.get("title", ""), body=f.get("body", ""), actor=actor(),
                                          template=editing)
            s.commit()
            flash(_("模板已保存"))
            return redirect(url_for("console.templates", template_id=saved.id), code=303)
        except (DomainError, ValueError) as exc:
            refused(exc, _("文书类型不正确"))
            return render_template("console/templates.html", templates=template_service.templates_of(s, g.staff.court),
                                   editing=editing, form=f, fields=template_service.FIELDS,
                                   kinds=template_service.KINDS), 400
    rows = template_service.templates_of(s, g.staff.court)
    s.commit()
    form = ({"name": editing.name, "kind": editing.kind.value, "title": editing.title, "body": editing.body}
            if editing is not None else {})
    return render_template("console/templates.html", templates=rows, editing=editing, form=form,
                           fields=template_service.FIELDS, kinds=template_service.KINDS)


@bp.post("/cases/<int:case_id>/generate")
@login_required
def generate(case_id: int):  # type: ignore[no-untyped-def]
    """Documents for the chosen parties from a template; sealed and served unless unticked."""
    from signing import templated

    require_writer()
    s = db.session()
    f = request.form
    try:
        case = case_service.get_case(s, g.staff.court_id, case_id)
        template = template_service.get(s, g.staff.court_id, int(f.get("template_id") or 0))
        chosen = {int(i) for i in f.getlist("party_ids")}
        parties = [p for p in case.parties if p.id in chosen]
        when = f.get("hearing_time", "").strip()
        hearing = (datetime.fromisoformat(when).replace(tzinfo=chinatime.CHINA).astimezone(UTC) if when else None)
        docs = templated.generate(s, template, case, parties, hearing_time=hearing,
                                  hearing_place=f.get("hearing_place", ""), judge=f.get("judge", ""),
                                  serve=bool(f.get("serve")), actor=actor(),
                                  max_bytes=court_settings.current().max_upload_bytes)
        s.commit()
        flash(_("已生成{n}份文书", n=len(docs)) + (_("，正在加盖印章并送达") if f.get("serve") else ""))
    except (DomainError, ValueError) as exc:
        refused(exc, _("开庭时间格式不正确"))
    return redirect(url_for("console.case", case_id=case_id), code=303)
