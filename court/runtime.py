"""Bring up the process-wide parts (database, Redis, file store, keys, queue) from the court's settings.

The web app, RQ workers and CLI commands all call :func:`init` (through ``create_app``);
``court/`` never reads the environment itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from court import audit, crypto, db, queue, redis_conn, retention, settings, storage
from court.configured import Configured
from court.settings import CourtSettings


@dataclass(frozen=True)
class Runtime:
    """What is running: the settings, and the Redis server in use (the embedded one if none was set)."""

    settings: CourtSettings
    redis_url: str


_current: Configured[Runtime] = Configured("court.runtime.init()")


def init(cfg: CourtSettings) -> Runtime:
    settings.bind(cfg)
    crypto.configure(cfg.secret_key, cfg.data_key, cfg.data_keys_previous)
    retention.configure(cfg.retention_overrides)
    audit.configure(cfg.audit_key or None, cfg.secret_key, cfg.audit_retired_keys)
    db.init(cfg.database_url)
    url = cfg.redis_url or redis_conn.embedded_url(cfg.instance_path)
    redis_conn.init(url)
    redis_conn.init_cache(cfg.cache_redis_url or redis_conn.cache_url_for(url))
    storage.configure(storage.from_settings(cfg.storage_url, cfg.storage_dir, **cfg.s3))
    queue.configure(is_async=cfg.queue_is_async, retry_intervals=list(cfg.job_retry_intervals))
    return _current.set(Runtime(cfg, url))


def current() -> Runtime:
    return _current.get()
