"""The conversation's transitions are visible: every handler returns the step it moves to, every
step it can return is a key of the step table, and only the conversation writes the step."""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from handlers import conversation
from tests.support import source

HANDLERS = Path(conversation.__file__).parent
MODULES = sorted(p.stem for p in HANDLERS.glob("*.py") if p.stem != "__init__")
STAY = "ctx.state.step"  # staying where the conversation is: a key already


def _returns_next(fn: ast.FunctionDef) -> bool:
    return fn.returns is not None and "Next" in ast.unparse(fn.returns)


def _own_returns(fn: ast.FunctionDef) -> list[ast.Return]:
    """The return statements of ``fn`` itself, not of functions nested in it."""
    found: list[ast.Return] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Return):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _problems(expr: ast.expr | None, module: object, where: str, allows_none: bool) -> list[str]:
    if expr is None or (isinstance(expr, ast.Constant) and expr.value is None):
        return [] if allows_none else [f"{where}: returns nothing"]
    if isinstance(expr, ast.Tuple):  # (next step, something else)
        return _problems(expr.elts[0], module, where, allows_none)
    if isinstance(expr, ast.IfExp):
        return _problems(expr.body, module, where, allows_none) + _problems(expr.orelse, module, where, allows_none)
    if isinstance(expr, ast.BoolOp):
        return [p for value in expr.values for p in _problems(value, module, where, allows_none)]
    source = ast.unparse(expr)
    if source == STAY:
        return []
    if isinstance(expr, ast.Call):
        callee = eval(ast.unparse(expr.func), vars(module))  # noqa: S307 (our own source)
        annotation = inspect.signature(callee).return_annotation
        if "Next" not in str(annotation):
            return [f"{where}: returns {source}, which does not return a step"]
        return []
    value = eval(source, vars(module))  # noqa: S307
    if value not in conversation.STEPS:
        return [f"{where}: returns {source} = {value!r}, not a step of the table"]
    return []


@pytest.mark.parametrize("name", MODULES)
def test_every_step_a_handler_returns_is_a_key_of_the_step_table(name):
    module = importlib.import_module(f"handlers.{name}")
    tree = source.parse(HANDLERS / f"{name}.py")
    problems: list[str] = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and _returns_next(fn):
            allows_none = "None" in ast.unparse(fn.returns)
            for ret in _own_returns(fn):
                problems += _problems(ret.value, module, f"handlers/{name}.py:{ret.lineno} {fn.name}", allows_none)
    assert not problems, "\n".join(problems)


def test_every_step_and_command_handler_returns_the_next_step():
    for table in (conversation.STEPS, conversation.COMMANDS):
        for key, handler in table.items():
            assert "Next" in str(inspect.signature(handler).return_annotation), f"{key}: {handler.__qualname__}"


def test_only_the_conversation_moves_the_step():
    writers = []
    for name in MODULES:
        tree = source.parse(HANDLERS / f"{name}.py")
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
            if any(isinstance(t, ast.Attribute) and t.attr == "step" for t in targets):
                writers.append(f"{name}.py:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "go":
                writers.append(f"{name}.py:{node.lineno} (.go)")
    # state.py sets it when loading and on expiry; conversation.py when a handler has returned
    assert {w.split(":")[0] for w in writers} <= {"state.py", "conversation.py"}, writers


def test_a_handler_returning_an_unknown_step_is_refused(app, s):
    from handlers import state, types
    from handlers.common import Context
    from handlers.types import Inbound
    from tests.handlers.fake_channel import FakeChannel

    ctx = Context(s=s, inbound=Inbound(channel="wechat", user="u", kind=types.TEXT, text="x"), channel=FakeChannel(),
                  state=state.State("wechat", "u"))
    with pytest.raises(RuntimeError, match="not a step"):
        conversation._run(ctx, lambda _ctx: "reg.nmae")
    assert ctx.state.step == state.IDLE
