"""One way to configure: every variable README documents is read, a wrong value stops start-up
with one line naming it, and a value is stated (and changed) in one place."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import config
from config import Config, StartupRefused

ROOT = Path(__file__).resolve().parents[1]


def _readme_table() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Configuration"):]
    section = section[:section.index("\n## ", 5)]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_readme_documents_exactly_the_variables_config_reads():
    documented = _readme_table()
    assert sorted(documented - config.ENV_NAMES) == []  # documented but read by nobody (does nothing)
    assert sorted(config.ENV_NAMES - documented) == []  # read but undocumented


def test_a_variable_shared_by_rooms_has_one_default():
    seen: dict[str, object] = {}
    for cls in config.ROOMS.values():
        for name, field in cls.model_fields.items():
            env = field.alias or name
            default = field.get_default(call_default_factory=True)
            assert seen.setdefault(env, default) == default, env


@pytest.mark.parametrize(("name", "value"), [("FACE_PASS_SCORE", "abc"), ("SEAL_KEY_TYPE", "dsa"),
                                             ("SMTP_PORT", "99999"), ("WECHAT_AES_KEY", "short"),
                                             ("JOB_RETRY_INTERVALS", "10,soon"),
                                             ("RETENTION_DAYS", "party_sesion=30"),
                                             ("RETENTION_DAYS", "case_consent=30")])
def test_an_invalid_value_stops_start_up_with_one_line_naming_it(config, name, value):
    from app import create_app

    setattr(config, name, value)
    with pytest.raises(StartupRefused) as err:
        create_app(config)
    lines = str(err.value).splitlines()[1:]
    assert len(lines) == 1 and lines[0].strip().startswith(f"{name}: "), lines
    if name == "WECHAT_AES_KEY":
        assert value not in lines[0] and "(hidden)" in lines[0]  # secrets are not echoed
    else:
        assert repr(value) in lines[0]  # what was given, so the operator finds the typo


def test_every_invalid_value_is_listed_at_once_from_the_environment(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path / "instance"), "FLASK_APP": "app",
           "FACE_PASS_SCORE": "abc", "SEAL_KEY_TYPE": "dsa", "TRUSTED_PROXIES": "-1"}
    run = subprocess.run([sys.executable, "-m", "flask", "court", "init"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    for name in ("FACE_PASS_SCORE: ", "SEAL_KEY_TYPE: ", "TRUSTED_PROXIES: "):
        assert name in run.stderr
    assert not (tmp_path / "instance" / "court.db").exists()


def test_values_from_the_environment_reach_each_room(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SEAL_KEY_TYPE", "EC")
    monkeypatch.setenv("WECHAT_CONVERSATION_TTL", "60")
    monkeypatch.setenv("NOTIFY_BACKOFF_SECONDS", "5, 10")
    monkeypatch.setenv("SESSION_MINUTES", "15")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://court.example.cn/")
    cfg = Config.from_env()
    assert cfg.signing.seal_key_type == "ec" and cfg.conversation.ttl == 60
    assert cfg.notify.NOTIFY_BACKOFF_SECONDS == (5, 10) and cfg.web.session_minutes == 15
    # the court's address, once, in every room that builds links
    assert cfg.court.public_base_url == cfg.signing.public_base_url == "https://court.example.cn"
    assert cfg.wechat.public_base_url == "https://court.example.cn"
    assert cfg.court.database_url == f"sqlite:///{tmp_path / 'court.db'}"


def test_session_minutes_sets_how_long_a_browser_session_lasts(config):
    from app import create_app

    config.SESSION_MINUTES = 12
    app = create_app(config)
    assert app.permanent_session_lifetime.total_seconds() == 12 * 60


def test_changing_a_setting_while_running_takes_effect_without_a_reset(app):
    from identity import settings
    from identity.face import registry

    before = registry.get(settings.current())
    assert registry.get(settings.current()) is before  # built once per settings
    settings.configure(face_pass_score=95)
    assert settings.current().face_pass_score == 95
    assert registry.get(settings.current()) is not before
    with pytest.raises(ValueError, match="FACE_PASS_SCORE"):
        settings.configure(FACE_PASS_SCORE="high")  # the same validation as at start-up
