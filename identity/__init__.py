"""Who someone is: real-name registration, SMS one-time codes, face verification, consent.

Public API (used by ``bot/``, ``handlers/`` and ``web_sign/``):

* :func:`identity.registration.register`
* :func:`identity.otp.send_code`, :func:`identity.otp.verify_code`
* :func:`identity.face.request_check` (job ``identity.jobs.face_check``),
  :func:`identity.face.check_now`, :func:`identity.face.fresh`, :func:`identity.face.require_fresh`
  (a fresh identity check by any route, face, clerk or identity authority, in one session or conversation)
* :func:`identity.face.notice.current`, :func:`identity.face.notice.record_decision` (the face notice
  and the separate consent every face check needs)
* :func:`identity.authority.verify` (an external identity authority, ``IDENTITY_AUTHORITY``)
* :func:`identity.consent.give`, :func:`identity.consent.withdraw`, :func:`identity.consent.has_consent`,
  :func:`identity.consent.consent_text`
"""
from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Bind the identity settings (checked at start-up with every room's, by ``config.py``) and
    register the ``flask identity`` commands."""
    from court import room_settings
    from identity import settings
    from identity.cli import identity_cli

    app.extensions["identity_settings"] = settings.bind(room_settings.of(app, "identity"))
    from identity import jobs  # noqa: F401  (declares the room's jobs in the catalogue)
    app.cli.add_command(identity_cli)
