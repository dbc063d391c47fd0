"""The court's sealed note of a refusal to sign (CPL art. 150), written into the document.

When a signer of a sealed transcript refuses, :mod:`court.services.flow_steps` queues
``signing.jobs.refusal_note``. This module writes, into the field reserved for that signer on
the record page (:mod:`signing.recordpage`), who refused, when and why, as an approval
signature by the flow's seal; stores the new version; puts the use of the seal on the register;
and tells the flow, which finishes only once every refusal is in the document.
"""
from __future__ import annotations

import textwrap

from court import db
from court.display import local_time
from court.models import Document, DocumentVersion, FlowStep, StepStatus
from court.services import documents, flow_seal, flows
from signing import fonts, seals, tsa
from signing.approval import approve
from signing.recordpage import note_field
from signing.service import cms_signer, locked_step, signer_caption
from signing.settings import current

LINE_CHARS = 40  # CJK characters per line of the note
MAX_LINES = 4


def note_text(step: FlowStep) -> str:
    """The note as printed: who refused, when (Beijing time), and the reason."""
    head = f"{signer_caption(step)} 于 {local_time(step.acted_at)} 拒绝签名。"
    reason = f"理由：{step.refusal_reason or ''}"
    lines = [head, *textwrap.wrap(reason, LINE_CHARS)]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES - 1], lines[MAX_LINES - 1][:LINE_CHARS - 10] + "……（全文见签署记录）"]
    return "\n".join(lines)


def write(step_id: int) -> DocumentVersion | None:
    """Seal the note of ``step_id``'s refusal into its document (idempotent). None: nothing to do."""
    settings = current()
    with locked_step(step_id) as (s, step):
        if step.note_version_id is not None:
            return s.get(DocumentVersion, step.note_version_id)
        if step.status is not StepStatus.REFUSED or not flow_seal.note_needed(step):
            return None
        doc = s.get(Document, step.flow.document_id, with_for_update=db.is_postgres())
        assert doc is not None
        source = doc.current
        court = doc.case.court
        seal = seals.resolve(s, court, step.flow.seal_id)
        creds = seals.credentials(seal, settings)
        result = approve(
            documents.read_version(source), cms_signer(creds), field_name=note_field(step.id), image=None,
            signer_name=seal.name, caption=note_text(step), reason="拒签记录",
            font_path=fonts.find_font(settings.cjk_font_path), timestamper=tsa.timestamper(settings),
            max_bytes=settings.max_bytes + 16 * 1024 * 1024, max_pages=settings.max_pages,
        )
        version = documents.add_version(s, doc, result.pdf, f"拒签记录：{signer_caption(step)}"[:200],
                                        filename=source.filename, actor="system:seal")
        seals.record(s, [seals.Use(
            "note", actor="system:seal", code=doc.verify_code or "", source_sha256=source.sha256, pdf=result.pdf,
            pages=0, cert_fingerprint=seals.fingerprint(seal, settings), seal=seal, case_id=doc.case_id,
            document_id=doc.id, version_id=version.id, step_id=step.id, filename=version.filename,
        )])
        flows.note_recorded(s, step, version, actor="system:seal")
        return version
