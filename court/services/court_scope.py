"""A court sees only its own rows: a row of another court is reported as not existing.

One check for every lookup by id that a court's staff (console, API) may make, so an id of another
court cannot be probed (404, never 403) and no lookup forgets the check.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from court.errors import DomainError, NotFound

T = TypeVar("T")


def court_row(s: Session, model: type[T], row_id: int, court_id: int, court_of: Callable[[T], int],
              missing: DomainError | None = None) -> T:
    """Row ``row_id`` of ``model`` if ``court_of(row)`` is ``court_id``; otherwise ``missing`` is raised
    (a :class:`NotFound` naming what is missing; a plain one when not given)."""
    row = s.get(model, row_id)
    if row is None or court_of(row) != court_id:
        raise missing if missing is not None else NotFound("记录不存在", code="not_found")
    return row
