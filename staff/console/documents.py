"""Console pages for documents: upload, versions, the flow step by step, approving the seal."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from court import db
from court import settings as court_settings
from court.errors import DomainError
from court.i18n import _
from court.models import FlowStep, SigningFlow, Staff, StaffRole, StepAction, StepStatus
from court.services import documents as doc_service
from court.services import flow_seal, flow_steps
from court.services import flows as flow_service
from signing import pages
from staff import disposition
from staff.console import bp
from staff.console.auth import actor, login_required, of_my_court, refused, require_writer
from staff.console.cases import _case

PREVIEW_PAGES = 30  # pages shown inline; a longer document says so and links the whole file


def _document(document_id: int):  # type: ignore[no-untyped-def]
    try:
        return doc_service.get_document(db.session(), g.staff.court_id, document_id)
    except DomainError:
        abort(404)


def _uploaded_pdf() -> tuple[bytes, str]:
    """The form's PDF (read one byte past the limit, so the service can refuse it as too large)
    and its file name cut to what is stored."""
    limit = court_settings.current().max_upload_bytes
    file = request.files.get("file")
    if file is None or not file.filename:
        raise DomainError("请选择要上传的PDF文件", code="file_required")
    return file.stream.read(limit + 1), file.filename[:200]


@bp.post("/cases/<int:case_id>/documents")
@login_required
def upload(case_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    c = _case(case_id)
    s = db.session()
    try:
        data, filename = _uploaded_pdf()
        kind = doc_service.parse_kind(request.form.get("kind"))
        doc = doc_service.upload(s, c, kind, request.form.get("title", ""), data, filename=filename,
                                 max_bytes=court_settings.current().max_upload_bytes, actor=actor())
        s.commit()
    except DomainError as exc:
        refused(exc)
        return redirect(url_for("console.case", case_id=c.id))
    flash(_("文书已上传"))
    return redirect(url_for("console.document", document_id=doc.id))


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):  # type: ignore[no-untyped-def]
    doc = _document(document_id)
    s = db.session()
    flows = s.scalars(select(SigningFlow).where(SigningFlow.document_id == doc.id).order_by(SigningFlow.id)).all()
    members = s.scalars(select(Staff).where(Staff.court_id == g.staff.court_id, Staff.active.is_(True))).all()
    from signing import seals

    version = doc.current
    return render_template("console/document.html", doc=doc, flows=flows, members=members,
                           preview=version, preview_pages=min(pages.page_count(version), PREVIEW_PAGES),
                           all_pages=pages.page_count(version), page_widths=pages.WIDTHS, start_blocked=flow_service.start_blocked(s, doc),
                           approvals=[st for f in flows for st in f.steps if st.action is StepAction.APPROVE
                                      and st.status is StepStatus.READY and st.staff_id == g.staff.id],
                           seals=seals.court_seals(s, doc.case.court),
                           needs_approval=doc.kind in flow_seal.approval_kinds(doc.case.court),
                           approvers=[m for m in members if m.role is StaffRole.SEAL_APPROVER],
                           signers=[m for m in members if m.role in (StaffRole.JUDGE, StaffRole.CLERK)])


@bp.post("/documents/<int:document_id>/versions")
@login_required
def upload_correction(document_id: int):  # type: ignore[no-untyped-def]
    """A corrected version of a returned (or not yet sealed) document."""
    require_writer()
    doc = _document(document_id)
    s = db.session()
    try:
        data, filename = _uploaded_pdf()
        doc_service.upload_correction(s, doc, data, filename=filename,
                                      max_bytes=court_settings.current().max_upload_bytes, actor=actor())
        s.commit()
        flash(_("已上传更正后的版本"))
    except DomainError as exc:
        refused(exc)
    return redirect(url_for("console.document", document_id=doc.id))


def _version(document_id: int, number: int):  # type: ignore[no-untyped-def]
    doc = _document(document_id)
    version = next((v for v in doc.versions if v.number == number), None)
    if version is None:
        abort(404)
    return version


@bp.get("/documents/<int:document_id>/versions/<int:number>")
@login_required
def download(document_id: int, number: int):  # type: ignore[no-untyped-def]
    version = _version(document_id, number)
    resp = Response(doc_service.read_version(version), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = disposition.header(doc_service.download_name(db.session(), version),
                                                             inline=request.args.get("inline") is not None)
    return resp


@bp.get("/documents/<int:document_id>/versions/<int:number>/pages/<int:page>.png")
@login_required
def page_image(document_id: int, number: int, page: int):  # type: ignore[no-untyped-def]
    """One page drawn by the same sandboxed renderer as the party pages, so the seal approver reads
    the document on the page next to approve/refuse instead of downloading it."""
    version = _version(document_id, number)
    width = pages.parse_width(request.args.get("w"))
    if width is None:
        abort(400)
    png = pages.render(version, page, width)
    if png is None:
        abort(404)
    resp = Response(png, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=3600"  # a version never changes
    return resp


def _steps_from_form(form) -> list[flow_service.StepInput]:  # type: ignore[no-untyped-def]
    """Approval, then the seal, then judges and clerks, then parties (CPL art. 150 order)."""
    steps: list[flow_service.StepInput] = []
    if form.get("approver_id"):
        steps.append(flow_service.StepInput(StepAction.APPROVE, staff_id=int(form["approver_id"])))
    if form.get("seal"):
        steps.append(flow_service.StepInput(StepAction.SEAL))
    steps += [flow_service.StepInput(StepAction.SIGN, staff_id=int(i)) for i in form.getlist("staff_signers") if i]
    action = StepAction.SIGN if form.get("party_action") == "sign" else StepAction.RECEIVE
    steps += [flow_service.StepInput(action, party_id=int(i)) for i in form.getlist("parties") if i]
    return steps


@bp.post("/documents/<int:document_id>/flows")
@login_required
def start_flow(document_id: int):  # type: ignore[no-untyped-def]
    require_writer()
    doc = _document(document_id)
    s = db.session()
    try:
        seal_id = int(request.form["seal_id"]) if request.form.get("seal_id") else None
        flow_service.start_flow(s, doc, _steps_from_form(request.form), ordered=bool(request.form.get("ordered")),
                                actor=actor(), seal_id=seal_id)
        s.commit()
        flash(_("签署流程已启动"))
    except (DomainError, ValueError) as exc:
        refused(exc, _("请求数据不正确"))
    return redirect(url_for("console.document", document_id=doc.id))


def _step(step_id: int) -> FlowStep:
    return of_my_court(FlowStep, step_id, lambda st: st.flow.document.case.court_id)


@bp.post("/steps/<int:step_id>/sign")
@login_required
def sign_step(step_id: int):  # type: ignore[no-untyped-def]
    """A judge or clerk signs their step with the signature on their profile (or one uploaded
    with the form), after typing their password again."""
    from signing import party

    s = db.session()
    step = _step(step_id)
    upload = request.files.get("signature")
    png = upload.stream.read(party.MAX_SIGNATURE_BYTES + 1) if upload is not None and upload.filename else None
    try:
        party.request_staff_sign(s, step, g.staff, password=request.form.get("password"), signature_png=png)
        s.commit()
        flash(_("已提交签名，正在写入文书"))
    except DomainError as exc:
        refused(exc)
    return redirect(url_for("console.document", document_id=step.flow.document_id))


@bp.post("/steps/<int:step_id>/<any(approve, refuse, retry):act>")
@login_required
def act_on_step(step_id: int, act: str):  # type: ignore[no-untyped-def]
    s = db.session()
    step = _step(step_id)
    try:
        if act == "retry":
            require_writer()
            flow_steps.retry_step(s, step, actor=actor())
        else:
            if step.staff_id != g.staff.id:
                raise DomainError("该步骤不是由您办理", code="not_your_step", status=403)
            if act == "approve":
                flow_steps.approve_seal(s, step, g.staff, password=request.form.get("password"))
            else:
                flow_steps.refuse_step(s, step, request.form.get("reason", ""), actor=actor())
        s.commit()
        flash(_("已处理"))
    except DomainError as exc:
        refused(exc)
    return redirect(url_for("console.document", document_id=step.flow.document_id))
