"""The application factory: settings, the court runtime, blueprints and CLI commands."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy import text

from config import Config
from court import db, i18n, redis_conn, runtime
from court.services import flow_sweep


def create_app(config: Config | None = None, **overrides: object) -> Flask:
    cfg = config or Config.from_env(**overrides)
    cfg.refuse()  # every invalid or unsafe setting at once, before anything starts (embedded Redis, a folder)
    app = Flask(__name__, instance_path=cfg.court.instance_path, static_folder="static", template_folder="templates")
    app.config.update(cfg.as_flask())
    app.extensions["court_config"] = cfg  # each area's init_app binds its own part (cfg.<room>)
    running = runtime.init(cfg.court)
    if cfg.web.trusted_proxies > 0:
        # the last N hops of X-Forwarded-For/-Proto were written by our own proxies: trust those
        # only, so request.remote_addr is the real client (log-in limits key on it)
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = cfg.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config["REDIS_URL_IN_USE"] = running.redis_url
    _logging(app, cfg.web.log_format)
    flow_sweep.configure(cfg.court.flow_sweep_seconds)
    app.extensions.setdefault("court_worker_hooks", []).append(flow_sweep.ensure_scheduled)
    from court.services import retention as retention_purge  # the daily purge (README: Privacy and retention)

    app.extensions["court_worker_hooks"].append(retention_purge.ensure_scheduled)
    if warning := redis_conn.eviction_warning():
        logging.getLogger("court").warning(warning)

    @app.before_request
    def _locale() -> None:
        i18n.set_locale(request.args.get("lang") or request.cookies.get("lang") or _accept_language())

    @app.teardown_appcontext
    def _end_session(_exc: BaseException | None) -> None:
        db.session.remove()

    import ops

    @app.get("/healthz")
    def health():  # type: ignore[no-untyped-def]
        checks = {"database": _check(lambda: db.session.execute(text("SELECT 1"))),
                  "redis": _check(lambda: redis_conn.client().ping())}
        ok = all(v == "ok" for v in checks.values())
        cluster_ok, details = ops.health_details()  # storage, workers, sweep, oldest unsent notice
        ok = ok and cluster_ok
        return jsonify(status="ok" if ok else "degraded", **checks, **details), 200 if ok else 503

    # Each area wires its own blueprints, CLI commands and start-up checks.
    import cli
    import security
    from bot import init_app as init_bot
    from identity import init_app as init_identity
    from notify import init_app as init_notify
    from signing import init_app as init_signing
    from staff import init_app as init_staff
    from web_sign import init_app as init_web_sign

    for init in (ops.init_app, security.init_app, init_staff, init_identity, init_signing, init_notify, init_bot,
                 init_web_sign, cli.register):
        init(app)
    return app


def _accept_language() -> str | None:
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return best


def _check(fn) -> str:  # type: ignore[no-untyped-def]
    try:
        fn()
        return "ok"
    except Exception as exc:  # the health page reports, it does not fail
        return f"error: {type(exc).__name__}"


def _logging(app: Flask, log_format: str) -> None:
    from court import logs

    if not app.debug and not app.testing:
        logs.configure(log_format)  # text or json, with request ids, masked
        logging.getLogger("alembic").setLevel(logging.WARNING)
