"""Small builders of realistic test data (valid ID numbers, real PDFs)."""
from __future__ import annotations

import io
from typing import Any

from court import idnumbers


def id_number(region: str = "110101", born: str = "19900307", seq: str = "123") -> str:
    first17 = region + born + seq
    assert len(first17) == 17 and first17.isdigit(), f"region (6), birth date (8) and sequence (3) digits: {first17!r}"
    return first17 + idnumbers.check_digit(first17)


def pdf_bytes(pages: int = 1, text: str = "Court document") -> bytes:
    """A real PDF with ``pages`` A4 pages (drawn by pypdf, no external tools)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    for n in range(1, pages + 1):
        page = writer.add_blank_page(width=595, height=842)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 18 Tf 72 760 Td ({text} - page {n}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def awaiting_receipt(s, case_id: int, party_id: int, *, title: str = "传票") -> Any:  # type: ignore[no-untyped-def]
    """A subpoena on the case with one ready 签收 step for the party, flushed: what the party's
    document list shows as waiting, without sealing a real PDF first."""
    from court.models import Document, DocumentKind, FlowStep, SigningFlow, StepAction, StepStatus

    doc = Document(case_id=case_id, kind=DocumentKind.SUBPOENA, title=title)
    s.add(doc)
    s.flush()
    flow = SigningFlow(document_id=doc.id)
    s.add(flow)
    s.flush()
    s.add(FlowStep(flow_id=flow.id, position=1, action=StepAction.RECEIVE, party_id=party_id, status=StepStatus.READY))
    s.flush()
    return doc
