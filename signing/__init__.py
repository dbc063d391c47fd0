"""PDFs: seal image, stamping, party signatures, receipts, anti-counterfeit codes, verification.

Public entry points (see the modules for details):

- jobs: ``signing.jobs.seal_step(step_id)``, ``signing.jobs.sign_step(step_id, signature_key,
  person_id, staff_id)``, ``signing.jobs.issue_credential(service_record_id)``
- ``signing.party.request_sign(s, step, png, person_id=…)`` / ``signing.party.sign_step(…)``
- ``signing.credential.build(service_record_id)``
- ``signing.verify(pdf_bytes, session=None)`` → :class:`signing.verification.VerifyReport`
- ``signing.codes.lookup(s, code)`` → what the public verify page shows
- ``signing.service.stamp_bytes(pdf)`` → stamp outside a case (CLI)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from signing.settings import SigningSettings
    from signing.verification import VerifyReport


def verify(pdf: bytes, **kwargs: Any) -> VerifyReport:
    """Validate every signature in ``pdf``; see :func:`signing.verification.verify`."""
    from signing.verification import verify as _verify

    return _verify(pdf, **kwargs)


def init_app(app: Flask) -> None:
    """Configure the signing service from the app's settings; add CLI commands and the init hook."""
    import click

    from court import room_settings
    from signing import bundle_cli, pki
    from signing.cli import register
    from signing.settings import bind

    settings: SigningSettings = bind(room_settings.of(app, "signing"))
    _bound_untrusted_work(settings)

    def _init_keys() -> None:
        if settings.seal_p12_path:
            creds = pki.seal_credentials(settings)
            click.echo(f"法院印章证书 / seal certificate: {creds.cert.subject.rfc4514_string()}")
            return
        created = pki.ensure_dev_pki(settings)
        where = settings.pki_dir
        click.echo(("已生成开发用 CA 与法院印章证书 / development CA and seal created: " if created
                    else "开发用印章证书已存在 / development seal present: ") + str(where))

    hooks = app.extensions.setdefault("court_init_hooks", [])
    hooks.append(_init_keys)
    register(app)
    bundle_cli.register(app)
    _init_audit_anchoring(app, settings)
    from signing import jobs

    jobs.subscribe()  # seals, refusal notes, credentials, archives


def _init_audit_anchoring(app: Flask, settings: SigningSettings) -> None:
    """Anchors are checked with the timestamp authority's roots (court/ cannot import signing/),
    and the worker keeps the periodic anchoring job scheduled."""
    from datetime import timedelta

    from court import audit_chain
    from signing import audit_anchor
    from signing.audit_cli import audit_cli

    minutes = settings.audit_anchor_minutes
    # with a TSA, a row should be anchored within a few intervals (a day at least, for outages)
    grace = max(timedelta(minutes=3 * minutes), timedelta(days=1)) if settings.tsa_url else None
    audit_chain.set_token_checker(audit_anchor.check_token, grace)
    app.extensions.setdefault("court_worker_hooks", []).append(audit_anchor.ensure_scheduled)
    app.extensions.setdefault("court_cli_commands", []).append(audit_cli)


def _bound_untrusted_work(settings: SigningSettings) -> None:
    """Set the limits for untrusted PDFs and make the upload check run the seal engine's checks."""
    from court import pdfcheck, sandbox

    sandbox.preload("signing.verification", "signing.pdfsign")
    sandbox.configure(sandbox.Limits(settings.untrusted_cpu_seconds, settings.untrusted_memory_mb,
                                     settings.untrusted_wall_seconds))
    pdfcheck.use_engine(_engine_check)


def _engine_check(data: bytes, max_bytes: int) -> int:
    """The upload check: exactly what the seal engine refuses, in a child process with limits."""
    from court import sandbox
    from signing import pdfsign
    from signing.settings import current

    return int(sandbox.run(pdfsign.inspect, data, max_bytes, current().max_pages, what="upload").value)

