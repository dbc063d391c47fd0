"""The catalogue of jobs and the domain events: every job is declared once and resolves where RQ
will look for it; only ``court/queue.py`` hands RQ a dotted path; ``court/`` names no other room;
every event is answered by some room in a created app."""
from __future__ import annotations

import ast
import gc
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from rq.utils import import_attribute

from court import events, queue

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("bot", "notify", "wechat", "staff", "web_sign", "handlers", "identity", "signing")
SOURCE_DIRS = (*ROOMS, "court", "bench", "scripts")
SOURCE_FILES = ("app.py", "config.py", "cli.py", "ops.py", "security.py")
RQ_CALLS = {"enqueue", "enqueue_in", "enqueue_at", "enqueue_call", "enqueue_many", "create", "schedule", "cron"}


def _files(dirs: tuple[str, ...], files: tuple[str, ...] = ()) -> list[Path]:
    found = [ROOT / f for f in files if (ROOT / f).exists()]
    for d in dirs:
        found += sorted(p for p in (ROOT / d).rglob("*.py") if ".venv" not in p.parts)
    return found


def _parse(path: Path) -> ast.Module:
    gc.disable()  # CPython 3.11: a finalizer inside ast.parse can raise a recursion-depth mismatch
    try:
        return ast.parse(path.read_text(encoding="utf-8"), str(path))
    finally:
        gc.enable()


def _strings(tree: ast.Module) -> list[ast.Constant]:
    """String constants that are not docstrings (documentation may name anything)."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def _declared_in_source() -> set[str]:
    """Paths of every function decorated with ``@queue.job(...)`` in the production rooms."""
    paths = set()
    for path in _files(SOURCE_DIRS):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in _parse(path).body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "job"
                for d in node.decorator_list
            ):
                paths.add(f"{module}.{node.name}")
    return paths


def test_every_declared_job_is_in_a_created_apps_catalogue_and_resolves_to_itself(app):
    catalogue = queue.catalogue()
    declared = _declared_in_source()
    assert declared, "no @queue.job declarations found: the scan is broken"
    # a job missing here would be unknown to a worker's catalogue (a reply job could not be found)
    assert declared <= set(catalogue), sorted(declared - set(catalogue))
    for path, job in catalogue.items():
        assert import_attribute(path) is job, path  # what RQ imports is the declaration itself
        assert job.queue_name in queue.QUEUES
        assert job.timeout > 0 and job.result_ttl > 0


def test_no_two_jobs_share_a_name_or_an_id_scheme(app):
    prefixes: dict[str, str] = {}
    for path, job in queue.catalogue().items():
        if job.id_scheme is None:
            continue
        prefix = job.id_scheme.split("{", 1)[0]
        assert prefix and prefix not in prefixes, f"{path} and {prefixes.get(prefix)} share job ids {prefix!r}"
        prefixes[prefix] = path
    from notify import jobs

    def dispatch(notification_id: int) -> None:
        """Another function claiming notify.jobs.dispatch (a copy-paste in another file)."""

    dispatch.__module__, dispatch.__qualname__ = "notify.jobs", "dispatch"
    with pytest.raises(ValueError):
        queue.job("notify")(dispatch)
    assert queue.by_path("notify.jobs.dispatch") is jobs.dispatch


def test_a_job_id_needs_the_key_its_scheme_names(app):
    from signing import jobs

    assert jobs.seal_step.job_id(7, key="2") == "seal-step-7-2"
    assert jobs.issue_credential.job_id(7) == "credential-7"
    with pytest.raises(TypeError):
        jobs.seal_step.job_id(7)  # two seals of one step would share no id, and so never dedupe


def test_only_court_queue_hands_rq_a_dotted_path():
    """RQ is given a job only as a declaration's path, inside court/queue.py: a string anywhere
    else is a job that was never declared (no queue, timeout, retries or id scheme of its own)."""
    bad = []
    for path in _files(SOURCE_DIRS + ("tests",), SOURCE_FILES):
        if path == ROOT / "court" / "queue.py":
            continue
        for node in ast.walk(_parse(path)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RQ_CALLS):
                continue
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("f", "func")), None)
            if isinstance(first, (ast.Constant, ast.JoinedStr)) and not isinstance(getattr(first, "value", ""), int):
                if isinstance(first, ast.JoinedStr) or "." in str(first.value):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, "a string job path handed to RQ:\n  " + "\n  ".join(bad)


def test_no_production_code_spells_a_jobs_path(app):
    """A job is enqueued through its declaration, never by naming its path in a string."""
    paths = set(queue.catalogue())
    bad = [f"{p.relative_to(ROOT)}:{n.lineno} {n.value}" for p in _files(SOURCE_DIRS, SOURCE_FILES)
           if p != ROOT / "court" / "queue.py" for n in _strings(_parse(p)) if n.value in paths]
    assert not bad, "\n".join(bad)


def test_court_names_no_other_rooms_module():
    """court/ is the bottom room: it emits events and never names a channel's module or job."""
    room = re.compile(r"\b(?:" + "|".join(ROOMS) + r")(?:[./]\w+)+")

    def names_a_module(text: str) -> str | None:
        for m in room.finditer(text):
            parts = re.split(r"[./]", m.group(0))
            for i in range(len(parts), 1, -1):
                base = ROOT.joinpath(*parts[:i])
                if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
                    return m.group(0)
        return None

    assert names_a_module("send it with notify.jobs.dispatch") == "notify.jobs.dispatch"  # the check works
    assert names_a_module("staff.id") is None  # a table's column, not the staff room
    bad = [f"{p.relative_to(ROOT)}:{n.lineno} {names_a_module(n.value)}" for p in _files(("court",))
           for n in _strings(_parse(p)) if names_a_module(n.value)]
    assert not bad, "\n".join(bad)


def test_every_event_has_a_subscriber_in_a_created_app(app):
    kinds = events.all_events()
    assert events.ReceiptSigned in kinds and events.SealRequested in kinds
    silent = [k.__name__ for k in kinds if not events.subscribers(k) and not k.WEBHOOK_ONLY]
    assert not silent, f"events nobody answers (subscribe in a room's init_app, or mark WEBHOOK_ONLY): {silent}"


def test_creating_the_app_twice_does_not_double_a_subscription(app, config):
    from app import create_app

    before = {k: len(events.subscribers(k)) for k in events.all_events()}
    create_app(config)
    assert {k: len(events.subscribers(k)) for k in events.all_events()} == before


def test_a_job_declared_without_its_queue_is_refused_at_import():
    def some_job(case_id: int) -> None:
        """A job written the old way, ``@queue.job`` with nothing else."""

    with pytest.raises(TypeError):
        queue.job(some_job)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Probe(events.Event):
    n: int


def test_a_failing_handler_neither_undoes_the_commit_nor_silences_the_others(app, s):
    from court.models import Court

    heard: list[int] = []

    def broken(ev: _Probe) -> None:
        raise RuntimeError("a room's handler is broken")

    events.subscribe(_Probe, broken)
    events.subscribe(_Probe, lambda ev: heard.append(ev.n))
    s.add(Court(name="第一法院", code="T01"))
    events.emit(_Probe(41), s)
    assert heard == []  # nothing before the commit
    s.commit()
    assert heard == [41]
    assert s.query(Court).filter_by(code="T01").count() == 1
    events.emit(_Probe(42), s)
    s.rollback()
    assert heard == [41]  # nothing after a rollback
