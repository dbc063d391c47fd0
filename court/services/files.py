"""Removing blobs nothing refers to.

A job that stores a new version writes the blob first and commits the row after; a worker
killed in between leaves a complete but unreferenced blob. :func:`collect_garbage` deletes such
blobs once they are older than a grace period longer than any job, so a blob whose row is
about to be committed is never touched.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, storage
from court.models import AgentAuthority, Case, Consent, Court, DocumentVersion, OtherService, Seal, Staff

GRACE_SECONDS = 6 * 3600


def referenced_keys(s: Session) -> set[str]:
    keys = set(s.scalars(select(DocumentVersion.blob_key)))
    keys |= {k for k in s.scalars(select(Court.seal_image_key)) if k}
    keys |= {k for k in s.scalars(select(Case.archive_key)) if k}  # archived electronic case files
    keys |= {k for k in s.scalars(select(Seal.image_key)) if k}
    keys |= {k for k in s.scalars(select(Staff.signature_image_key)) if k}
    keys |= {k for k in s.scalars(select(Consent.scan_key)) if k}  # signed paper consent forms
    keys |= {k for k in s.scalars(select(OtherService.scan_key)) if k}  # return cards of postal service
    keys |= {k for k in s.scalars(select(AgentAuthority.poa_key)) if k}  # powers of attorney
    return keys


def collect_garbage(s: Session, *, older_than: float = GRACE_SECONDS, dry_run: bool = False) -> list[str]:
    """Delete (or with ``dry_run`` only list) unreferenced blobs older than ``older_than`` seconds."""
    store = storage.store()
    candidates = list(store.keys_older_than(older_than))
    keep = referenced_keys(s)
    orphans = [k for k in candidates if k not in keep]
    if not dry_run:
        for key in orphans:
            store.delete(key)
        if orphans:
            audit.record(s, "files.orphans_removed", details={"count": len(orphans)})
    return orphans
