"""Imports point down DESIGN.md's table of rooms: a test, so the layering is a rule the build checks.

Each room (top-level package) may import only the rooms listed for it. Imports inside functions
count too: they are still dependencies, only deferred.
"""
from __future__ import annotations

import ast
from pathlib import Path

from tests.support import source

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("bot", "web_sign", "staff", "handlers", "notify", "identity", "signing", "wechat", "court")
TOP = {"app", "config", "cli", "security"}  # the wiring above every room: may import anything
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
