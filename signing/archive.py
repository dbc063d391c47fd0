"""The archive job: keep a closed case's electronic file in the file store and mark it archived."""
from __future__ import annotations

import hashlib
import logging

from court import db, events, queue, storage
from court.models import Case, CaseStatus
from court.services import lifecycle

log = logging.getLogger(__name__)


@queue.job("default", id="archive-case-{0}{key}")
def archive_case(case_id: int) -> str:
    """Idempotent: an archived case is left alone; a case with flows still running waits for the
    sweep to ask again once they have finished."""
    from signing import bundle

    with db.transaction() as s:
        case = s.get(Case, case_id, with_for_update=db.is_postgres())
        if case is None or case.status is CaseStatus.ARCHIVED:
            return "already_archived" if case is not None else "missing"
        if case.status is not CaseStatus.CLOSED:
            return "not_closed"
        if lifecycle.running_flows(s, case_id):
            return "waiting_for_flows"
        fh = bundle.export_file(s, case, actor="system:archive")
        with fh:
            data = fh.read()
        key = storage.store().put(data)
        lifecycle.mark_archived(s, case, key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    log.info("case %s archived (%d bytes)", case_id, len(data))
    return "archived"


def archive_requested(ev: events.ArchiveRequested) -> None:
    """A case was closed, or the sweep asks again: keep its file (subscribed in ``signing/jobs.py``)."""
    archive_case.enqueue(ev.case_id, key=ev.key)
