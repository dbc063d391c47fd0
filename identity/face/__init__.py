"""Face verification: one interface (:class:`FaceProvider`), a Baidu and a development
implementation chosen by ``FACE_PROVIDER`` (:mod:`identity.face.registry`), queued checks for
the channels, and the freshness rule that signing and joining a case rely on."""
from identity.face.base import MESSAGES, FaceProvider, FaceResult
from identity.face.checks import (
    attempts_left,
    check_now,
    check_upload,
    fresh,
    request_check,
    require_fresh,
    run_queued_check,
)

__all__ = [
    "MESSAGES", "FaceProvider", "FaceResult", "attempts_left", "check_now", "check_upload", "fresh",
    "request_check", "require_fresh", "run_queued_check",
]
