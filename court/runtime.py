"""Bring up the process-wide parts (database, Redis, file store, keys, queue) from plain values.

The web app, RQ workers and CLI commands all call :func:`init`; ``court/`` never reads the
environment itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from court import audit, crypto, db, queue, redis_conn, storage
from court.configured import Configured


@dataclass
class Runtime:
    database_url: str
    redis_url: str
    storage_dir: str
    secret_key: str
    public_base_url: str
    instance_path: str
    queue_is_async: bool = True
    retry_intervals: list[int] | None = None
    audit_key: str = ""  # empty: derived from secret_key (development only; production refuses)
    audit_retired_keys: tuple[str, ...] = ()  # earlier audit keys, to verify rows sealed with them
    data_key: str = ""  # "ID:SECRET"; empty: derived from secret_key (development)
    data_keys_previous: str = ""
    storage_url: str = ""  # s3://bucket/prefix; empty: storage_dir
    s3: dict[str, str] = field(default_factory=dict)  # endpoint_url, region, access_key_id, …
    cache_redis_url: str = ""  # empty: the queue's server, next database number


_current: Configured[Runtime] = Configured("court.runtime.init()")


def init(rt: Runtime) -> Runtime:
    crypto.configure(rt.secret_key, rt.data_key, rt.data_keys_previous)
    audit.configure(rt.audit_key or None, rt.secret_key, rt.audit_retired_keys)
    db.init(rt.database_url)
    url = rt.redis_url or redis_conn.embedded_url(rt.instance_path)
    rt.redis_url = url
    redis_conn.init(url)
    redis_conn.init_cache(rt.cache_redis_url or redis_conn.cache_url_for(url))
    storage.configure(storage.from_settings(rt.storage_url, rt.storage_dir, **rt.s3))
    queue.configure(is_async=rt.queue_is_async, retry_intervals=rt.retry_intervals)
    return _current.set(rt)


def current() -> Runtime:
    return _current.get()
