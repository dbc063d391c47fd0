"""The release step: several hosts running `flask court init` / `migrate` at once end with one
schema, one court and one admin, and exactly one of them prints the admin's key."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from court.models import Court, Staff

ROOT = Path(__file__).resolve().parents[2]
HOSTS = 3


def _env(tmp_path: Path, host: int, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("STORAGE_DIR", "SECRET_KEY", "STORAGE_URL")}
    env.update(INSTANCE_PATH=str(tmp_path / f"host{host}"), FLASK_APP="app", DATABASE_URL=database_url,
               REDIS_URL=redis_url, SECRET_KEY="shared-secret-" + "x" * 40)
    return env


def _run_at_once(tmp_path: Path, args: list[str], database_url: str, redis_url: str) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "court", *args], cwd=ROOT,
                              env=_env(tmp_path, n, database_url, redis_url), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in range(HOSTS)]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def _check_one_of_everything(database_url: str, runs: list[subprocess.CompletedProcess]) -> None:
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    assert sum("ck_" in run.stdout for run in runs) == 1  # one admin key, printed once
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Court)) == 1
        assert conn.scalar(select(func.count()).select_from(Staff).where(Staff.username == "admin")) == 1
    engine.dispose()


@pytest.mark.slow
def test_init_on_several_hosts_at_once_on_sqlite(tmp_path, redis_url):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _check_one_of_everything(url, _run_at_once(tmp_path, ["init"], url, redis_url))
    again = _run_at_once(tmp_path, ["migrate"], url, redis_url)
    assert all(r.returncode == 0 and "database migrated" in r.stdout for r in again)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_init_on_several_hosts_at_once_on_postgresql(tmp_path, redis_url):
    from sqlalchemy.engine import make_url

    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{base.database}_release_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        _check_one_of_everything(url, _run_at_once(tmp_path, ["init"], url, redis_url))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
