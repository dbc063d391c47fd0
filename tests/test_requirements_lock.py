"""The production lock file pins what requirements.txt pins, with hashes for every package."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pins(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line.strip())
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return out


def test_the_lock_matches_requirements_and_every_package_has_a_hash() -> None:
    wanted = _pins((ROOT / "requirements.txt").read_text())
    lock_text = (ROOT / "requirements.lock").read_text()
    locked = _pins(lock_text)
    stale = {name: (v, locked.get(name)) for name, v in wanted.items() if locked.get(name) != v}
    assert not stale, f"requirements.lock is stale (requirements.txt, lock): {stale}; re-run pip-compile (README)"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock_text.split("\n\n", 1)[-1])
    unhashed = [b.split("==")[0] for b in blocks if "==" in b and "--hash=sha256:" not in b]
    assert not unhashed, f"packages without a hash: {unhashed}"
