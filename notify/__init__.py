"""Outbound messages: SMS gateways, WeChat messages, e-mail; signed links; the outbox jobs.

``init_app`` (one line in ``create_app``) binds the notify settings (checked at start-up with
every other room's, by ``config.py``) and registers the ``/s/<token>`` landing, the
delivery-report callbacks, ``/dev/phone`` (development gateways only), the worker-start hook that
keeps the outbox sweep scheduled, ``flask court push``, and the subscriptions to the domain
events this room answers (``notify/jobs.py``).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from court import room_settings
    from notify import cli, notice_page, settings, sweep, views
    from notify.providers import registry

    cfg = settings.bind(room_settings.of(app, "notify"))
    app.register_blueprint(views.links_bp)
    app.register_blueprint(notice_page.bp)  # the whole text behind a WeChat card with no document
    app.register_blueprint(views.callbacks_bp)
    if registry.development_channels(cfg):
        app.register_blueprint(views.dev_bp)
    app.extensions.setdefault("court_worker_hooks", []).append(sweep.ensure_scheduled)
    from notify import jobs

    jobs.subscribe()  # outbox rows, ready steps, finished flows, resends, delivery reports
    app.extensions.setdefault("court_cli_commands", []).extend(cli.COMMANDS)
