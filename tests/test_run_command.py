"""The README's run command: `flask court init` then `flask court run` brings the system up on the
embedded defaults (SQLite + embedded Redis) and the printed health URL answers."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_init_and_run_bring_the_system_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "STORAGE_DIR", "SECRET_KEY")}
    env.update(INSTANCE_PATH=str(tmp_path / "instance"), FLASK_APP="app")
    flask = [sys.executable, "-m", "flask"]
    init = subprocess.run(flask + ["court", "init"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert "ck_" in init.stdout  # the admin key, printed once
    demo = subprocess.run(flask + ["court", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "关联码" in demo.stdout
    port = _free_port()
    proc = subprocess.Popen(flask + ["court", "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        health = f"http://127.0.0.1:{port}/healthz"
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(health, timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert body is not None and '"status":"ok"' in body.replace(" ", "")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
    assert health in out
    assert proc.returncode == 0
