"""RQ jobs of the identity room (queue ``default``)."""
from __future__ import annotations

from court import queue
from identity.face import checks


@queue.job("default", id="face-check-{1}")
def face_check(person_id: int, check_id: str) -> None:
    """Run one queued face check, record it, tell the caller's reply job. Idempotent."""
    checks.run_queued_check(person_id, check_id)
