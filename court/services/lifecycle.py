"""A case's life: filed → in trial → closed → archived, and what each stage still allows.

Closing a case asks for its archive: once no signing flow of the case is still running (a
judgment served at closing is still being signed for), a job exports the electronic case file
(the :class:`~court.events.ArchiveRequested` event), keeps it in the file store and marks the case archived. An archived
case is read-only: no parties, documents, flows, hearings or notices are added to it. A closed
case still finishes what is running but takes nothing new.
"""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from court import audit, db, display, events
from court.errors import Conflict, DomainError
from court.models import Case, CaseStatus, Document, FlowStatus, SigningFlow

MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.IN_TRIAL, CaseStatus.CLOSED}),
    CaseStatus.IN_TRIAL: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_TRIAL}),  # reopened before it was archived
    CaseStatus.ARCHIVED: frozenset(),
}


def require_writable(case: Case) -> None:
    """Refuse new work on a closed or archived case (one rule for every service that adds some)."""
    if case.status is CaseStatus.ARCHIVED:
        raise Conflict("案件已归档，不能再修改", code="case_archived")
    if case.status is CaseStatus.CLOSED:
        raise Conflict("案件已结案，不能再添加当事人、文书或流程；如需继续办理，请先恢复审理", code="case_closed")


def change_status(s: Session, case: Case, new: CaseStatus, *, actor: str, reason: str = "") -> Case:
    """Move a case on (staff); closing it asks for its archive. Archiving itself is the job's."""
    if new is case.status:
        return case
    if new is CaseStatus.ARCHIVED or new not in MOVES[case.status]:
        raise DomainError("案件不能从“{old}”改为“{new}”", code="bad_case_status", old=display.label(case.status),
                          new=display.label(new))
    old, case.status = case.status, new
    case.status_changed_at = db.utcnow()
    s.flush()
    audit.record(s, "case.status_changed", actor=actor, case_id=case.id, subject=f"case:{case.id}",
                 details={"from": old.value, "to": new.value, "reason": (reason or "")[:200]})
    if new is CaseStatus.CLOSED:
        events.emit(events.ArchiveRequested(case.id), s)
    return case


def running_flows(s: Session, case_id: int) -> int:
    return len(s.scalars(select(SigningFlow.id).join(Document).where(
        Document.case_id == case_id, SigningFlow.status == FlowStatus.RUNNING)).all())


def ready_to_archive(s: Session) -> list[int]:
    """Closed cases with nothing left running: the sweep (re)asks for their archive."""
    running = select(SigningFlow.id).join(Document).where(
        Document.case_id == Case.id, SigningFlow.status == FlowStatus.RUNNING)
    return list(s.scalars(select(Case.id).where(Case.status == CaseStatus.CLOSED, ~exists(running)).limit(100)))


def mark_archived(s: Session, case: Case, *, key: str, sha256: str, size: int) -> None:
    """The archive job kept the bundle: the case is read-only from now on."""
    case.status = CaseStatus.ARCHIVED
    case.archived_at = case.status_changed_at = db.utcnow()
    case.archive_key, case.archive_sha256 = key, sha256
    s.flush()
    audit.record(s, "case.archived", actor="system:archive", case_id=case.id, subject=f"case:{case.id}",
                 details={"bundle_sha256": sha256, "size": size})
