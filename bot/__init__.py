"""WeChat transport: webhook, message conversion, menu, OAuth, local simulator. The API client, the
account's settings and WeChat's rules are in :mod:`wechat`, below this room and ``notify/``.

Public API for other folders:
- :func:`bot.oauth.authorize_url`, :func:`bot.oauth.document_url`,
  :func:`bot.oauth.openid_from_code` — web OAuth for ``web_sign/``;
- ``bot.jobs.face_result``, named by its path in a face check's ``reply_to`` (``identity/``
  reports the check); the WeChat confirmation of a receipt answers
  :class:`court.events.ReceiptSigned` (subscribed here).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the WeChat account's and the conversation's settings, mount ``/wechat`` (and the
    simulator outside production), add the ``flask bot`` commands."""
    from bot.cli import bot_cli
    from bot.webhook import bp
    from court import room_settings
    from handlers import settings as conversation_settings
    from wechat import settings as bot_settings

    settings = bot_settings.bind(room_settings.of(app, "wechat"))
    conversation_settings.bind(room_settings.of(app, "conversation"))
    app.register_blueprint(bp)
    if settings.provider == "simulator" and not settings.is_production:
        from bot.simulator.api import bp as simulator_bp

        app.register_blueprint(simulator_bp)
    app.cli.add_command(bot_cli)
    from bot import jobs

    jobs.subscribe()  # receipts confirmed in WeChat
