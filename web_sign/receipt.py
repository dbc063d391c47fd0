"""The receipt page after she signed for a document, and the sealed e-service credential.

Open without a consent check (``consent=False``): a receipt already signed stays hers to read
even after she withdrew consent.
"""
from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from court import db
from court.models import ServiceRecord
from court.services import receipts
from web_sign import access
from web_sign.blueprint import bp
from web_sign.documents import pdf_response


def _receipt_record(document_id: int) -> tuple[access.Access, ServiceRecord]:
    """The document, and the party's signed service record for it; 404 before she signed."""
    acc = access.party_document(document_id)
    rec = receipts.record_for(db.session(), acc.party.id, document_id)
    if rec is None or rec.signed_at is None:
        abort(404)
    return acc, rec


@bp.get("/documents/<int:document_id>/receipt")
@access.party_page(consent=False)
def receipt(document_id: int) -> ResponseReturnValue:
    acc, rec = _receipt_record(document_id)
    return render_template("m/receipt.html", doc=acc.document, party=acc.party, rec=rec)


@bp.get("/documents/<int:document_id>/receipt/status")
@access.party_page(refuse="json", consent=False)
def receipt_status(document_id: int) -> ResponseReturnValue:
    _acc, rec = _receipt_record(document_id)
    return jsonify(ready=rec.credential_version_id is not None)


@bp.get("/documents/<int:document_id>/receipt.pdf")
@access.party_page(refuse="403", consent=False)
def receipt_pdf(document_id: int) -> ResponseReturnValue:
    _acc, rec = _receipt_record(document_id)
    if rec.credential is None:
        abort(404)
    return pdf_response(rec.credential, rec.credential.document.title, inline=request.args.get("inline") == "1")
