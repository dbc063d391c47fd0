"""The application factory: settings, the court runtime, blueprints and CLI commands."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy import text

from config import Config, refuse_unsafe_production
from court import db, i18n, redis_conn, runtime
from court.services import flow_sweep


def create_app(config: Config | None = None, **overrides: object) -> Flask:
    cfg = config or Config.from_env(**overrides)
    app = Flask(__name__, instance_path=cfg.INSTANCE_PATH, static_folder="static", template_folder="templates")
    app.config.update(cfg.as_flask())
    app.extensions["court_config"] = cfg
    refuse_unsafe_production(cfg)  # before anything starts (an embedded Redis, a local folder)
    runtime.init(
        runtime.Runtime(
            database_url=cfg.DATABASE_URL,
            redis_url=cfg.REDIS_URL,
            storage_dir=cfg.STORAGE_DIR,
            secret_key=cfg.SECRET_KEY,
            public_base_url=cfg.PUBLIC_BASE_URL,
            instance_path=cfg.INSTANCE_PATH,
            queue_is_async=cfg.QUEUE_IS_ASYNC,
            retry_intervals=cfg.JOB_RETRY_INTERVALS,
            audit_key=cfg.AUDIT_KEY,
            audit_retired_keys=cfg.audit_retired_keys,
            data_key=cfg.DATA_KEY,
            data_keys_previous=cfg.DATA_KEYS_PREVIOUS,
            storage_url=cfg.STORAGE_URL,
            s3={"endpoint_url": cfg.S3_ENDPOINT_URL, "region": cfg.S3_REGION, "access_key_id": cfg.S3_ACCESS_KEY_ID,
                "secret_access_key": cfg.S3_SECRET_ACCESS_KEY, "addressing_style": cfg.S3_ADDRESSING_STYLE},
            cache_redis_url=cfg.CACHE_REDIS_URL,
        )
    )
    if cfg.TRUSTED_PROXIES > 0:
        # the last N hops of X-Forwarded-For/-Proto were written by our own proxies: trust those
        # only, so request.remote_addr is the real client (log-in limits key on it)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=cfg.TRUSTED_PROXIES, x_proto=cfg.TRUSTED_PROXIES)  # type: ignore[method-assign]
    app.config["REDIS_URL_IN_USE"] = runtime.current().redis_url
    _logging(app)
    flow_sweep.configure(cfg.FLOW_SWEEP_SECONDS)
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
    # the app-wide production checks, after each area has checked its own providers
    problems = cfg.production_problems()
    if problems:
        raise RuntimeError("; ".join(problems))
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


def _logging(app: Flask) -> None:
    from court import logs

    if not app.debug and not app.testing:
        logs.configure(app.config.get("LOG_FORMAT", "text"))  # text or json, with request ids, masked
        logging.getLogger("alembic").setLevel(logging.WARNING)
