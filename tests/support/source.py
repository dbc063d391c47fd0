"""Reading our own source as a syntax tree, for the tests that check the code's shape.

CPython 3.11 can raise ``SystemError: AST constructor recursion depth mismatch`` when the
garbage collector runs a finalizer while ``ast.parse`` converts its tree (cpython#106905): in the
PostgreSQL pass a request thread's pooled connection, ended by the fixture that empties the
tables, is collected later and its finalizer runs Python code in the middle of the conversion.
Collecting first and pausing the collector for the parse keeps finalizers out of it.
"""
from __future__ import annotations

import ast
import gc
from pathlib import Path


def parse(path: Path) -> ast.Module:
    """The module at ``path`` as a syntax tree, parsed with no finalizer able to run inside."""
    assert path.suffix == ".py" and path.is_file(), f"not a Python module: {path}"
    source = path.read_text(encoding="utf-8")
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, filename=str(path))
    finally:
        if enabled:
            gc.enable()
