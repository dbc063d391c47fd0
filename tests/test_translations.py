"""Every Chinese message a user can see has an English translation in the catalogue."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_has_english():
    run = subprocess.run([sys.executable, "scripts/i18n.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_english_is_served(client):
    from court.i18n import translate

    assert translate("案件不存在", "en") == "Case not found"
    assert translate("案件不存在", "zh-CN") == "案件不存在"
