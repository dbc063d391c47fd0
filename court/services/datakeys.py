"""Re-encrypting personal data under the current ``DATA_KEY`` (``flask court rotate-data-key``).

After an operator sets a new ``DATA_KEY`` (the old one moved to ``DATA_KEYS_PREVIOUS``), new
values are written under the new key at once and old ones stay readable; this walks every
encrypted column in id order, in small committed batches, and re-encrypts what is not yet under
the current key. It can be stopped and run again (rows already rotated are skipped), and it is
safe beside running servers (each row is rewritten from its own decrypted value).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from court import audit, crypto
from court.models import Party, Person

# Every encrypted column: (model, attribute). Add new encrypted columns here.
ENCRYPTED: list[tuple[Any, str]] = [(Person, "id_number_enc"), (Party, "id_number_enc")]
BATCH = 200


def count(s: Session) -> int:
    """How many encrypted values exist (the progress bar's length)."""
    return sum(s.scalar(select(func.count()).select_from(model).where(getattr(model, col).is_not(None))) or 0
               for model, col in ENCRYPTED)


def _batches(s: Session, model: Any, col: str) -> Iterator[list[Any]]:
    last = 0
    while True:
        rows = list(s.scalars(select(model).where(model.id > last, getattr(model, col).is_not(None))
                              .order_by(model.id).limit(BATCH)))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def rotate(s: Session, progress: Callable[[int], None] = lambda _n: None) -> int:
    """Re-encrypt every value not under the current key; commit per batch; return how many."""
    changed = 0
    for model, col in ENCRYPTED:
        for rows in _batches(s, model, col):
            for row in rows:
                blob = getattr(row, col)
                if crypto.needs_rotation(blob):
                    setattr(row, col, crypto.encrypt(crypto.decrypt(blob)))
                    changed += 1
            s.commit()
            progress(len(rows))
    audit.record(s, "datakey.rotated", actor="cli", details={"key_id": crypto.current_key_id(), "count": changed})
    s.commit()
    return changed
