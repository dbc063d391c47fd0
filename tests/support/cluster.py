"""Start a small cluster on loopback: web servers (gunicorn) and RQ workers, each with its own
instance folder and working directory, sharing only PostgreSQL, Redis and the S3 bucket."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Any, *, timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() <= deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(every)


@dataclass
class Cluster:
    base: Path
    env: dict[str, str]
    webs: list[str] = field(default_factory=list)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _n: int = 0

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        home = self.base / name
        (home / "instance").mkdir(parents=True, exist_ok=True)
        env = dict(self.env, INSTANCE_PATH=str(home / "instance"), PYTHONPATH=str(ROOT))
        log = (self.base / f"{name}.log").open("w")
        proc = subprocess.Popen(args, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def flask(self, *args: str, name: str = "release") -> subprocess.CompletedProcess:
        home = self.base / name
        (home / "instance").mkdir(parents=True, exist_ok=True)
        env = dict(self.env, INSTANCE_PATH=str(home / "instance"), PYTHONPATH=str(ROOT))
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "court", *args], cwd=home, env=env,
                              capture_output=True, text=True, timeout=300)

    def start_web(self, port: int | None = None) -> str:
        port = port or free_port()
        name = f"web{len(self.webs) + 1}"
        self._spawn(name, [sys.executable, "-m", "gunicorn", "--no-control-socket", "--pythonpath", str(ROOT), "-w",
                           "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "app:create_app()"])
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{url}/healthz"), timeout=60, what=f"{name} to answer")
        self.webs.append(url)
        return url

    def start_worker(self) -> subprocess.Popen:
        self._n += 1
        return self._spawn(f"worker{self._n}", [sys.executable, "-m", "flask", "--app", "app", "court", "worker"])

    def workers(self) -> dict[str, subprocess.Popen]:
        return {k: p for k, p in self.procs.items() if k.startswith("worker") and p.poll() is None}

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            try:
                self.stop(name)
            except ProcessLookupError:
                pass


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def group_alive(pgid: int) -> bool:
    """Is any process of this process group still running (an orphaned child, say)?"""
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
