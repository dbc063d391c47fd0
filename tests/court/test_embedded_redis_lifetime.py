"""The embedded Redis ends with the last process that used it (a test run, a CLI command)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from court import redis_conn

ROOT = Path(__file__).resolve().parents[2]


def _pid(instance: Path) -> int:
    return int((instance / "redis" / "redis.pid").read_text().strip())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose; the watchdog's server is not our child, so none expected
    return True


def _wait_dead(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


def _use_in_child(instance: Path) -> None:
    code = "import sys; from court import redis_conn; import redis; " \
           "redis.Redis.from_url(redis_conn.embedded_url(sys.argv[1])).set('k', 'v')"
    subprocess.run([sys.executable, "-c", code, str(instance)], cwd=ROOT, check=True, timeout=60)


def test_server_stops_after_the_only_user_exits(tmp_path: Path) -> None:
    _use_in_child(tmp_path)
    pid = _pid(tmp_path)
    assert _wait_dead(pid), "the embedded Redis outlived the only process that used it"


def test_server_lives_while_a_user_remains_and_keeps_its_data(tmp_path: Path) -> None:
    url = redis_conn.embedded_url(str(tmp_path))  # this process is a user now
    _use_in_child(tmp_path)  # a second user comes and goes
    pid = _pid(tmp_path)
    time.sleep(3)  # several watchdog rounds
    assert _alive(pid)
    import redis

    assert redis.Redis.from_url(url).get("k") == b"v"
    # this process "exits": drop its hold, as the kernel does at exit
    redis_conn._users.pop(str(tmp_path / "redis")).close()
    assert _wait_dead(pid)
    # the next user starts it again and finds the data (append-only file)
    url = redis_conn.embedded_url(str(tmp_path))
    try:
        assert redis.Redis.from_url(url).get("k") == b"v"
    finally:
        redis_conn.stop_embedded(str(tmp_path))
        redis_conn._users.pop(str(tmp_path / "redis")).close()
