"""Reading a document: its page (pages drawn as images on the server), the images, the file.

Opening it is an act with legal weight (it can fix the date of service):
``court.services.party_documents.opened`` records it.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from court import db, ratelimit
from court.errors import RateLimited
from court.models import DocumentKind, DocumentVersion
from court.services import documents as document_service
from court.services import party_documents
from signing import pages
from web_sign import access
from web_sign.blueprint import bp

PAGE_LIMIT = ratelimit.Limit(600, 3600)  # page images per person an hour


@bp.get("/documents/<int:document_id>")
@access.party_page(oauth=True, next_endpoint="party.document")
def document(document_id: int) -> ResponseReturnValue:
    acc = access.party_document(document_id)
    s = db.session()
    doc = acc.document
    version = doc.current
    flow = party_documents.newest_flow(s, doc.id)
    step = party_documents.step_for(s, doc, acc.party)
    rec = party_documents.opened(s, acc.party, version)
    if rec is not None:
        s.commit()
    several = flow is not None and sum(1 for st in flow.steps if st.party_id or st.staff_id) > 1
    return render_template("m/document.html", doc=doc, party=acc.party, version=version, count=pages.page_count(version),
                           flow=flow, step=step, rec=rec, page_widths=pages.WIDTHS,
                           show_order=doc.kind is DocumentKind.TRANSCRIPT or several)


@bp.get("/documents/<int:document_id>/pages/<int:number>.png")
@access.party_page(refuse="403")
def page_image(document_id: int, number: int) -> ResponseReturnValue:
    acc = access.party_document(document_id)
    try:
        ratelimit.hit("m-page", str(access.auth()["person_id"]), PAGE_LIMIT)
    except RateLimited:
        abort(429)
    width = pages.parse_width(request.args.get("w"))
    if width is None:
        abort(400)
    png = pages.render(acc.document.current, number, width)
    if png is None:
        abort(404)
    return Response(png, mimetype="image/png")


@bp.get("/documents/<int:document_id>/file.pdf")
@access.party_page(refuse="403")
def download(document_id: int) -> ResponseReturnValue:
    acc = access.party_document(document_id)
    return pdf_response(acc.document.current, acc.document.title, inline=request.args.get("inline") == "1")


def pdf_response(version: DocumentVersion, title: str, *, inline: bool) -> Response:
    """The stored file, named after its title (RFC 5987), shown in the browser or saved."""
    resp = Response(document_service.read_version(version), mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    resp.headers["Content-Disposition"] = (f"{disposition}; filename=\"document.pdf\"; "
                                           f"filename*=UTF-8''{quote(f'{title[:80]}.pdf')}")
    return resp
