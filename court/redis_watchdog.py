"""Ends the embedded Redis server when the last process using it has gone.

Every process that uses the embedded server holds a *shared* ``flock`` on ``redis/users.lock``
for as long as it lives (:func:`court.redis_conn.embedded_url`); the kernel drops the lock when a
process exits, however it exits (SIGKILL included), and forked children (gunicorn workers) share
their parent's. This small process, started beside the server, checks every second whether it
can take the lock *exclusively*; when it can, nobody uses the server any more, so it asks the
server to shut down (the append-only file keeps the data for the next start) and exits.

It holds ``start.lock`` while deciding, the lock a starter holds while it joins or starts the
server, so a process that has just joined can never see the server vanish under it.

Run as ``python -m court.redis_watchdog INSTANCE_REDIS_FOLDER``.
"""
from __future__ import annotations

import fcntl
import sys
import time
from pathlib import Path

import redis

POLL_SECONDS = 1.0
IDLE_CHECKS = 2  # consecutive idle checks before shutting down (rides out a command → command gap)


def _idle(folder: Path) -> bool:
    """True when no process holds a shared lock on users.lock (we could lock it exclusively)."""
    with open(folder / "users.lock", "a") as users:
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(users, fcntl.LOCK_UN)
        return True


def _shutdown(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).shutdown()
    except redis.ConnectionError:
        pass  # SHUTDOWN closes the connection: that is the expected answer
    except redis.RedisError:
        pass


def watch(folder: Path) -> int:
    url = f"unix://{folder / 'redis.sock'}"
    idle = 0
    while True:
        time.sleep(POLL_SECONDS)
        with open(folder / "start.lock", "a") as start:
            fcntl.flock(start, fcntl.LOCK_EX)
            if not (folder / "redis.sock").exists():
                return 0  # stopped by someone else (stop_embedded)
            idle = idle + 1 if _idle(folder) else 0
            if idle >= IDLE_CHECKS:
                _shutdown(url)
                return 0


if __name__ == "__main__":
    sys.exit(watch(Path(sys.argv[1])))
