"""Documents generated from the court's templates: rendered to PDF, then sealed and served.

The wording and its fields are ``court/services/templates.py``; this module lays the filled text
out on A4 pages with the court's name and the date at the foot (where the seal goes), uploads the
PDF as an ordinary document of the case, and — when asked to serve — starts the same flow as an
upload: the court seal, then each party's receipt.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from court import db
from court.models import Case, Document, DocumentTemplate, Party, StepAction
from court.services import documents, flows
from court.services import templates as template_service
from signing import fonts
from signing.settings import current
from signing.textpdf import MARGIN, PAGE_H, PAGE_W, TextPdf, wrap

BODY_SIZE = 12.0
LINE = 21.0
FOOT_ROOM = 170.0  # the court's name, the date and the seal


def render(title: str, body: str, court_name: str, date_text: str, font_path: str) -> bytes:
    """A4 pages: the title centred, the body wrapped, the court and the date at the foot."""
    pdf = TextPdf(font_path, title=title)
    font = fonts.subset(font_path, title + body + court_name + date_text + fonts.ASCII)
    width = PAGE_W - 2 * MARGIN
    y = PAGE_H - 90
    pdf.text((PAGE_W - font.width(title, 24)) / 2, y, 24, title)
    y -= 46
    for paragraph in body.split("\n"):
        lines = wrap(paragraph, font, BODY_SIZE, width) or [""]
        for line in lines:
            if y < MARGIN + 40:
                pdf.new_page()
                y = PAGE_H - 80
            pdf.text(MARGIN, y, BODY_SIZE, line)
            y -= LINE
    if y < MARGIN + FOOT_ROOM:
        pdf.new_page()
        y = PAGE_H - 80
    y -= 30
    pdf.text(PAGE_W - MARGIN - font.width(court_name, 13), y, 13, court_name)
    y -= 22
    pdf.text(PAGE_W - MARGIN - font.width(date_text, 12), y, 12, date_text)
    return pdf.build(font)


def generate(s: Session, template: DocumentTemplate, case: Case, parties: list[Party], *,
             hearing_time: datetime | None = None, hearing_place: str = "", judge: str = "",
             serve: bool = True, actor: str = "system", max_bytes: int = 100 * 1024 * 1024) -> list[Document]:
    """One document per party, uploaded to the case (and, with ``serve``, sealed and served).

    Every party's text is filled before anything is stored, so a missing field leaves no
    half-generated batch behind."""
    if not parties:
        from court.errors import DomainError

        raise DomainError("请选择至少一名当事人", code="no_parties")
    font_path = fonts.find_font(current().cjk_font_path)
    today = db.utcnow()
    filled = []
    for party in parties:
        values = template_service.values_for(case, party, hearing_time=hearing_time, hearing_place=hearing_place,
                                             judge=judge, today=today)
        filled.append((party, *template_service.fill(template, values), values["date"]))
    made = []
    for party, title, body, date_text in filled:
        pdf = render(title, body, case.court.name, date_text, font_path)
        doc_title = f"{title}（{party.name}）"
        doc = documents.upload(s, case, template.kind, doc_title, pdf, filename=f"{template.name}.pdf",
                               max_bytes=max_bytes, actor=actor)
        if serve:
            flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL),
                                      flows.StepInput(StepAction.RECEIVE, party_id=party.id)],
                             ordered=True, actor=actor)
        made.append(doc)
    return made


