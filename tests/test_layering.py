"""Imports point down DESIGN.md's table of rooms: a test, so the layering is a rule the build checks.

Each room (top-level package) may import only the rooms listed for it. Imports inside functions
count too: they are still dependencies, only deferred. README's Layout names the same rooms with
the same allowances, so a new room or a new allowance is written in both or the build fails.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support import source

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("bot", "web_sign", "staff", "handlers", "notify", "identity", "signing", "wechat", "court")
TOP = {"app", "config", "cli", "security", "ops"}  # the wiring above every room: may import anything
TOOLS = {"tests", "bench", "scripts", "migrations"}  # outside the rooms: may import anything
ALLOWED: dict[str, set[str]] = {
    "bot": {"handlers", "court", "identity", "wechat"},
    "web_sign": {"court", "identity", "signing"},
    "staff": {"court", "signing", "notify"},
    "handlers": {"court", "identity"},
    "notify": {"court", "wechat"},
    "identity": {"court"},
    "signing": {"court"},
    "wechat": {"court"},
    "court": set(),
}
# No exceptions: what both bot/ and notify/ need of WeChat (the client and its one access token,
# the account's settings, the template and window rules) lives in wechat/, below both.


def _imports(path: Path) -> set[str]:
    tree = source.parse(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _room_edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            for target in _imports(path) & (set(ROOMS) | TOP):
                if target != room:
                    edges.setdefault((room, target), []).append(str(path.relative_to(ROOT)))
    return edges


def test_every_import_points_down_the_table() -> None:
    bad = {edge: files for edge, files in _room_edges().items()
           if edge[1] not in ALLOWED[edge[0]]}
    assert not bad, "imports DESIGN.md does not allow:\n" + "\n".join(
        f"  {a} -> {b}: {', '.join(files)}" for (a, b), files in sorted(bad.items()))


def _readme_layout() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Layout\n", 1)[1].split("\n### ", 1)[0]


def test_every_package_is_a_room_or_a_tool_and_every_top_module_is_wiring() -> None:
    packages = {d.name for d in ROOT.iterdir()
                if d.is_dir() and not d.name.startswith(".") and any(d.glob("*.py"))}
    assert packages - TOOLS == set(ROOMS)
    assert {f.stem for f in ROOT.glob("*.py")} == TOP


def test_readme_layout_names_every_room_with_the_same_allowances() -> None:
    layout = _readme_layout()
    rows = dict(re.findall(r"^\| `(\w+)/` \| (.+?) \|$", layout.split("| room | may import |", 1)[1], re.M))
    written = {room: set(re.findall(r"`(\w+)/`", allowed)) for room, allowed in rows.items()}
    assert written == ALLOWED, "README's import table and ALLOWED disagree"
    named = set(re.findall(r"`(\w+)(?:/|\.py)`", layout.split("| room | may import |", 1)[0]))
    assert set(ROOMS) | TOP | TOOLS <= named, "rooms, wiring and tools README's Layout does not name"
