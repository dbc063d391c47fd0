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


class IdentityConfigError(RuntimeError):
    """The configured face provider cannot run; the app refuses to start."""


def init_app(app: Any) -> None:
    """Take the settings from the app's Config, refuse an unsafe or broken face provider,
    and register the ``flask identity`` commands."""
    from identity import settings
    from identity.authority import registry as authority_registry
    from identity.cli import identity_cli
    from identity.face import registry

    cfg = settings.IdentitySettings.from_config(app.extensions["court_config"])
    found = registry.problems(cfg) + authority_registry.problems(cfg)
    if found:
        raise IdentityConfigError(
            "人脸识别配置有误，应用拒绝启动 / face verification is misconfigured, refusing to start:\n  - "
            + "\n  - ".join(found)
        )
    settings.configure(cfg)
    app.extensions["identity_settings"] = cfg
    from identity import jobs  # noqa: F401  (declares the room's jobs in the catalogue)
    app.cli.add_command(identity_cli)
