"""Run work on untrusted files in a child process with CPU-time, memory and wall-clock limits.

Why: parsers of other people's PDFs (pyHanko, pypdf, PDFium) are large and not written for
hostile input; one crafted file can loop for minutes or allocate gigabytes. Bounds checks in
our own reader catch the known tricks; this is the backstop for everything else. The work
runs in a process forked from a small, single-threaded *fork server* (so forking is cheap
and never copies a web worker's threads or locks), with ``RLIMIT_AS`` set to the child's size
at start plus a budget, ``RLIMIT_CPU`` set, and a wall-clock deadline after which it is
killed. The calling web request or job only ever sees a result or a :class:`DomainError`.

A :class:`DomainError` raised by the work crosses the process boundary intact (same message,
code and parameters); any limit exceeded becomes :class:`TooExpensive`.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from court.errors import DomainError, InvalidDocument

log = logging.getLogger(__name__)
T = TypeVar("T")

#: imported once by the fork server, so a child starts with them loaded (cheap forks)
PRELOAD = ["pypdf", "pypdfium2", "pyhanko.sign.validation", "pyhanko.pdf_utils.reader"]


@dataclass(frozen=True)
class Limits:
    """What one untrusted file may cost. ``memory_mb`` is on top of the child's size at start."""

    cpu_seconds: int = 4
    memory_mb: int = 256
    wall_seconds: float = 8.0


DEFAULT = Limits()
_limits = DEFAULT
_inside = False


def configure(limits: Limits) -> Limits:
    """Set the limits every later :func:`run` uses by default (the app does this at start)."""
    global _limits
    _limits = limits
    return limits


def limits() -> Limits:
    return _limits


class TooExpensive(InvalidDocument):
    """The file needed more time or memory than any honest document does; it is refused."""

    code = "too_complex"


@dataclass
class Outcome:
    """What the child returned, and what it cost (for the benchmark and the logs)."""

    value: Any
    seconds: float
    peak_rss_mb: float


_ctx: Any = None


def preload(*modules: str) -> None:
    """Have the fork server import ``modules`` (those whose functions run in children) once, so
    a child does not spend a second importing them. Takes effect when the server starts."""
    PRELOAD.extend(m for m in modules if m not in PRELOAD)


def _context() -> Any:
    global _ctx
    if _ctx is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([m for m in PRELOAD if _importable(m)])
        _ctx = ctx
    return _ctx


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def _address_space() -> int:
    """The child's current virtual size in bytes (the base the memory budget is added to)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], limits: Limits) -> None:
    """Runs in the forked child: set the limits first, then do the work, then report."""
    global _inside
    _inside = True
    budget = limits.memory_mb * 1024 * 1024
    base = _address_space()
    if base:
        resource.setrlimit(resource.RLIMIT_AS, (base + budget, base + budget))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    try:
        message: tuple[Any, ...] = ("ok", fn(*args))
    except DomainError as exc:
        message = ("domain", f"{type(exc).__module__}:{type(exc).__qualname__}", exc.message, exc.code,
                   exc.status, exc.params)
    except MemoryError:
        message = ("memory",)
    except RecursionError:
        message = ("error", "RecursionError")
    except BaseException as exc:  # the work must never take the child down silently
        message = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
    try:
        conn.send((*message, _peak_rss_mb()))
    except MemoryError:
        conn.send(("memory", 0.0))
    conn.close()


def bounded(fn: Callable[..., T], *args: Any, what: str = "file") -> T:
    """``fn(*args)`` under the limits: in a child, or directly when this already is one."""
    if _inside:
        return fn(*args)
    return run(fn, *args, what=what).value  # type: ignore[no-any-return]


def run(fn: Callable[..., T], *args: Any, limits: Limits | None = None, what: str = "file") -> Outcome:
    """``fn(*args)`` in a limited child. ``fn`` must be a module-level function; its arguments
    and result are pickled. Raises the work's :class:`DomainError`, or :class:`TooExpensive`."""
    limits = limits or _limits
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args, limits), daemon=True)
    started = time.perf_counter()
    proc.start()
    child.close()
    try:
        if not parent.poll(limits.wall_seconds):
            raise _too_expensive("timeout", what, limits)
        try:
            message = parent.recv()
        except EOFError:  # the child died without a word
            proc.join(1)
            raise _died(proc.exitcode, what, limits) from None
    finally:
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join(2)
    seconds = time.perf_counter() - started
    kind, *rest = message
    peak = float(rest[-1]) if rest else 0.0
    if kind == "ok":
        return Outcome(rest[0], seconds, peak)
    if kind == "domain":
        name, text, code, status, params = rest[:5]
        err = _domain_error(name, text, code, status, params)
        err.cost = Outcome(None, seconds, peak)  # type: ignore[attr-defined]  # for the benchmark
        raise err
    if kind == "memory":
        raise _too_expensive("memory", what, limits)
    log.warning("untrusted %s: the parser failed: %s", what, rest[0])
    raise InvalidDocument("文件已损坏，无法读取", code="broken_file", reason=str(rest[0])[:200])


def _domain_error(name: str, text: str, code: str, status: int, params: dict[str, Any]) -> DomainError:
    """The child's DomainError again, of the same class where it can be found (else InvalidDocument)."""
    import importlib

    module, _, qualname = name.partition(":")
    try:
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError):
        cls = InvalidDocument
    if not (isinstance(cls, type) and issubclass(cls, DomainError)):
        cls = InvalidDocument
    err = cls.__new__(cls)
    DomainError.__init__(err, text, code=code, status=status, **params)
    return err  # type: ignore[no-any-return]


def _died(exitcode: int | None, what: str, limits: Limits) -> DomainError:
    """Why a child died: SIGXCPU/SIGKILL are the CPU limit, SIGABRT an allocation that failed in
    C++ code under the memory limit; anything else (a parser crashing) means a broken file."""
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return _too_expensive("cpu", what, limits)
    if exitcode == -signal.SIGABRT:
        return _too_expensive("memory", what, limits)
    log.warning("untrusted %s: the parser died (exit code %s)", what, exitcode)
    return InvalidDocument("文件已损坏，无法读取", code="broken_file", reason=f"exit {exitcode}")


def _too_expensive(reason: str, what: str, limits: Limits) -> TooExpensive:
    log.warning("untrusted %s refused: %s limit (cpu %ss, memory %s MB, wall %ss)", what, reason,
                limits.cpu_seconds, limits.memory_mb, limits.wall_seconds)
    if reason == "memory":
        return TooExpensive("文件处理所需内存超出限制（{limit} MB），已拒绝处理", reason=reason,
                            limit=limits.memory_mb)
    return TooExpensive("文件处理时间超出限制（{limit} 秒），已拒绝处理", reason=reason,
                        limit=limits.cpu_seconds if reason == "cpu" else int(limits.wall_seconds))
