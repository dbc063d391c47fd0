"""Column helpers shared by the model modules."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from sqlalchemy import Enum, String
from sqlalchemy.orm import mapped_column

from court.db import UTCDateTime, utcnow

intpk = Annotated[int, mapped_column(primary_key=True)]
created = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
when = Annotated[datetime | None, mapped_column(UTCDateTime, nullable=True)]
str32 = Annotated[str, mapped_column(String(32))]


def enum_col(enum_cls: type[enum.Enum]) -> Enum:
    """A portable VARCHAR-backed enum storing the member *values* (readable in SQL)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )
