"""The whole stack in a real browser: gunicorn and an RQ worker as subprocesses on the test's
database and Redis, Debian's Chromium driven by Playwright in a phone-sized viewport.

Screenshots of every step go to ``tests/_artifacts/e2e/<test>/`` (git-ignored). Set
``E2E_HEADED=1`` to watch. Chromium is Debian's ``/usr/bin/chromium`` (``CHROMIUM`` to
override); tests skip, saying why, when it or Playwright is missing.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config import Config
from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "_artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "Chrome/126.0 Mobile Safari/537.36 MicroMessenger/8.0.50"), "locale": "zh-CN"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}

pytestmark = pytest.mark.e2e


def branches_missing(*modules: str) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


def requires(*modules: str) -> pytest.MarkDecorator:
    missing = branches_missing(*modules)
    return pytest.mark.skipif(bool(missing), reason=f"waits for merged branches providing {', '.join(missing)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def config(tmp_path: Path, redis_url: str, port: int, _pg_migrated: None) -> Config:
    """Like the suite's config, with the live server's address as the public base URL (SMS links
    and QR codes point there) and real retries off."""
    instance = tmp_path / "instance"
    instance.mkdir()
    return Config(
        ENV="testing", TESTING=True, INSTANCE_PATH=str(instance), SECRET_KEY="e2e-secret-key-" + "x" * 24,
        DATABASE_URL=TEST_DATABASE_URL or f"sqlite:///{instance / 'court.db'}", REDIS_URL=redis_url, STORAGE_DIR=str(instance / "files"),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", MAX_UPLOAD_BYTES=5 * 1024 * 1024, JOB_RETRY_INTERVALS=[],
    )


@dataclass
class Stack:
    url: str
    procs: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def log_tail(self, n: int = 60) -> str:
        out = []
        for path in self.logs:
            lines = path.read_text(errors="replace").splitlines()[-n:]
            out.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(out)


@pytest.fixture
def stack(app, config: Config, port: int, tmp_path: Path, request) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """gunicorn (web) and ``flask court worker`` (jobs, with the scheduler) on the test's data."""
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("gunicorn is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "FLASK_"))}
    env.update(ENV="testing", INSTANCE_PATH=config.INSTANCE_PATH, SECRET_KEY=config.SECRET_KEY,
               DATABASE_URL=config.DATABASE_URL, REDIS_URL=config.REDIS_URL, STORAGE_DIR=config.STORAGE_DIR,
               PUBLIC_BASE_URL=config.PUBLIC_BASE_URL, MAX_UPLOAD_BYTES=str(config.MAX_UPLOAD_BYTES),
               PYTHONUNBUFFERED="1")
    st = Stack(url=config.PUBLIC_BASE_URL)
    commands = {
        "web": [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "1", "--threads", "8",
                "-b", f"127.0.0.1:{port}", "--timeout", "120", "app:create_app()"],
        "worker": [sys.executable, "-m", "flask", "--app", "app", "court", "worker"],
    }
    for name, cmd in commands.items():
        log = tmp_path / f"{name}.log"
        st.logs.append(log)
        st.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                         start_new_session=True))
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{st.url}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or any(p.poll() is not None for p in st.procs):
            _stop(st)
            pytest.fail("the web server did not start:\n" + st.log_tail())
        time.sleep(0.3)
    yield st
    _stop(st)
    keep = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    keep.mkdir(parents=True, exist_ok=True)
    for log in st.logs:  # the server's and the worker's logs beside the screenshots
        shutil.copy(log, keep / log.name)


def _stop(st: Stack) -> None:
    for p in st.procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in st.procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module-scoped on purpose: Playwright's sync API keeps an asyncio loop running on the main
    thread while it is open, and pyHanko (signing.verify) calls asyncio.run, which would fail in
    any test that ran while a browser was still up."""
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed (pip install -r requirements.txt)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium; see system-packages.txt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=not os.environ.get("E2E_HEADED"),
                               args=CHROMIUM_ARGS)
        yield b
        b.close()


class Shots:
    """Numbered full-page screenshots of each step, named for what the step shows."""

    def __init__(self, name: str):
        self.dir = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page, label: str) -> Path:  # type: ignore[no-untyped-def]
        self.n += 1
        path = self.dir / f"{self.n:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request) -> Shots:  # type: ignore[no-untyped-def]
    return Shots(request.node.name)


@pytest.fixture
def phone(browser, stack):  # type: ignore[no-untyped-def]
    """A new phone (own cookies) each time it is called."""
    contexts = []

    def _new(**extra):  # type: ignore[no-untyped-def]
        ctx = browser.new_context(base_url=stack.url, accept_downloads=True, **{**PHONE, **extra})
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield _new
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def desktop(browser, stack):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(base_url=stack.url, accept_downloads=True, **DESKTOP)
    ctx.set_default_timeout(30_000)
    yield ctx.new_page()
    ctx.close()
