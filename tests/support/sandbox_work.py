"""Work for tests/court/test_sandbox.py (module-level functions, so a child can import them)."""
from __future__ import annotations

from court.errors import Conflict


def allocate(mb: int) -> int:
    assert mb >= 0, "a size in MB"
    return len(bytearray(mb * 1024 * 1024))


def spin() -> None:
    while True:
        pass


def sleep() -> None:
    import time

    time.sleep(60)


def refuse() -> None:
    raise Conflict("已有同名文书：{title}", code="duplicate", title="传票")


def crash() -> None:
    import os

    os.abort()


def nested() -> int:
    from court import sandbox

    return sandbox.bounded(allocate, 1)
