"""ENV=production refuses a set-up that only works on one machine, one clear line per problem."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import StartupRefused

ROOT = Path(__file__).resolve().parents[2]
GOOD_DATA_KEY = "k1:" + "d" * 48


@pytest.fixture
def cluster_config(production_config):
    """A production configuration every deployment check accepts."""
    cfg = production_config
    cfg.DEPLOYMENT_CHECKS = True
    cfg.DATABASE_URL = "postgresql+psycopg://court@127.0.0.1:1/court"
    cfg.REDIS_URL = "redis://127.0.0.1:1/0"
    cfg.SECRET_KEY = "s" * 48
    cfg.DATA_KEY = GOOD_DATA_KEY
    cfg.STORAGE_URL = "s3://court-files/prod"
    return cfg


def test_a_complete_production_profile_passes(cluster_config):
    cluster_config.refuse()  # raises on any refusal


@pytest.mark.parametrize(("setting", "value", "line"), [
    ("DATABASE_URL", "sqlite:////tmp/court.db", "DATABASE_URL: set a PostgreSQL URL"),
    ("REDIS_URL", "", "REDIS_URL: set a shared Redis server"),
    ("SECRET_KEY_GENERATED", True, "SECRET_KEY: set the same random value"),
    ("SECRET_KEY", "short", "SECRET_KEY: set the same random value"),
    ("DATA_KEY", "", "DATA_KEY: set ID:SECRET"),
    ("DATA_KEY", "no-key-id-" + "x" * 40, "DATA_KEY: set ID:SECRET"),
    ("DATA_KEY", "k1:tooshort", "DATA_KEY: set ID:SECRET"),
    ("STORAGE_URL", "", "STORAGE_URL: set s3://bucket/prefix"),
])
def test_each_unsafe_setting_is_refused_alone(cluster_config, setting, value, line):
    from app import create_app

    setattr(cluster_config, setting, value)
    with pytest.raises(StartupRefused) as err:
        create_app(cluster_config)
    problems = str(err.value).splitlines()[1:]
    assert len(problems) == 1, problems
    assert problems[0].strip().startswith(line)


def test_development_is_not_refused(config):
    config.DEPLOYMENT_CHECKS = True
    config.refuse()  # ENV=testing: embedded defaults are fine


def test_production_with_nothing_set_names_every_setting_and_starts_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "STORAGE_URL", "SECRET_KEY", "DATA_KEY")}
    env.update(ENV="production", INSTANCE_PATH=str(tmp_path / "instance"), FLASK_APP="app")
    run = subprocess.run([sys.executable, "-m", "flask", "court", "init"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    for name in ("DATABASE_URL:", "REDIS_URL:", "SECRET_KEY:", "DATA_KEY:", "STORAGE_URL:"):
        assert name in run.stderr
    assert not (tmp_path / "instance" / "redis").exists()  # no embedded Redis was started
    assert not (tmp_path / "instance" / "court.db").exists()
