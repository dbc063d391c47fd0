"""court.sandbox: untrusted work costs at most its limits, and its refusals arrive intact."""
from __future__ import annotations

import time

import pytest

from court import sandbox
from court.errors import Conflict, InvalidDocument
from tests.support import sandbox_work as work

SMALL = sandbox.Limits(cpu_seconds=1, memory_mb=64, wall_seconds=5)


def test_results_come_back_with_their_cost():
    out = sandbox.run(work.allocate, 16, limits=SMALL)
    assert out.value == 16 * 1024 * 1024 and out.peak_rss_mb > 16 and out.seconds < 5


def test_memory_beyond_the_budget_is_refused():
    with pytest.raises(sandbox.TooExpensive) as err:
        sandbox.run(work.allocate, 200, limits=SMALL)
    assert err.value.code == "too_complex" and "64 MB" in err.value.localized()


def test_cpu_beyond_the_budget_is_refused():
    with pytest.raises(sandbox.TooExpensive) as err:
        sandbox.run(work.spin, limits=sandbox.Limits(cpu_seconds=1, memory_mb=64, wall_seconds=60))
    assert err.value.params["reason"] == "cpu"


def test_wall_clock_deadline_kills_a_sleeper():
    started = time.perf_counter()
    with pytest.raises(sandbox.TooExpensive) as err:
        sandbox.run(work.sleep, limits=sandbox.Limits(cpu_seconds=5, memory_mb=64, wall_seconds=0.5))
    assert err.value.params["reason"] == "timeout" and time.perf_counter() - started < 3


def test_domain_errors_cross_intact():
    with pytest.raises(Conflict) as err:
        sandbox.run(work.refuse, limits=SMALL)
    assert err.value.code == "duplicate" and err.value.localized() == "已有同名文书：传票"


def test_a_crashing_parser_is_a_broken_file():
    with pytest.raises(InvalidDocument) as err:
        sandbox.run(work.crash, limits=SMALL)
    assert err.value.code in ("broken_file", "too_complex")


def test_work_inside_a_child_runs_there():
    assert sandbox.run(work.nested, limits=SMALL).value == 1024 * 1024
