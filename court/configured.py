"""A process-wide value set once at start-up (by ``create_app``, a worker or a CLI command) and
read everywhere after; reading it before it is set is a clear error naming what to call.

Process-wide holders are needed because RQ workers and CLI commands run the same code outside
any request. Every room's settings live in one of these (``court.room_settings.RoomHolder``); the
``global`` statements left in ``court/`` hold live resources (the engine, the sandbox) or hooks
that an upper room installs, not settings.
"""
from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Configured(Generic[T]):
    def __init__(self, setter: str) -> None:
        self.setter = setter  # e.g. "court.storage.configure()": named in the error
        self._value: T | None = None

    def set(self, value: T) -> T:
        self._value = value
        return value

    @property
    def is_set(self) -> bool:
        return self._value is not None

    def get(self) -> T:
        if self._value is None:
            raise RuntimeError(f"{self.setter} has not been called")
        return self._value
