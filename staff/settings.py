"""The staff console's own settings (the rest it reads from ``court.settings``)."""
from __future__ import annotations

from pydantic import Field

from court.room_settings import RoomHolder, RoomSettings


class StaffSettings(RoomSettings):
    # people whose face information was processed: the filing duty under the 2025 Face Recognition
    # Measures; the console warns from FACE_FILING_WARN_FRACTION of the threshold
    face_filing_threshold: int = Field(100_000, alias="FACE_FILING_THRESHOLD", gt=0)
    face_filing_warn_fraction: float = Field(0.8, alias="FACE_FILING_WARN_FRACTION", gt=0, le=1)


_holder: RoomHolder[StaffSettings] = RoomHolder("staff.init_app()", StaffSettings)
bind, current, configure = _holder.bind, _holder.current, _holder.configure
