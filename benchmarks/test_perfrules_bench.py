"""pytest-benchmark suite: compile, evaluate_one, and batch evaluation at 10k / 100k / 1M rows,
beside the hand-written numpy and Polars baselines on the same data.

    python -m pytest benchmarks/test_perfrules_bench.py --benchmark-enable        # all sizes, timed
    PERFRULES_BENCH=1 python -m pytest benchmarks/test_perfrules_bench.py         # the same

Without either, each benchmark runs once as a plain test and the 100k/1M sizes are skipped, so
the ordinary test run stays fast.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import perfrules

from .conftest import bench_enabled
from .health_data import REFERENCE_TOTAL, make_health_table, reference_row

HEALTH = Path(__file__).resolve().parents[1] / "rulesets" / "health" / "health.rules"
SIZES = [10_000, 100_000, 1_000_000]
_tables: dict = {}


def table(n: int):
    if n not in _tables:
        _tables.clear()
        _tables[n] = make_health_table(n, seed=0)
    return _tables[n]


def _size(request, n: int) -> None:
    if n > SIZES[0] and not bench_enabled(request.config):
        pytest.skip("large sizes run with --benchmark-enable or PERFRULES_BENCH=1")


@pytest.fixture(scope="module")
def health():
    return perfrules.load(HEALTH)


def test_compile_health(benchmark):
    rules = benchmark(perfrules.load, HEALTH)
    assert len(rules.program.indicators) == 59


def test_evaluate_one(benchmark, health):
    row = reference_row()
    assert health.fast_evaluator is not None  # the fast exact row evaluator, not the Fraction one
    result = benchmark(health.evaluate_one, row)
    assert str(result.total) == REFERENCE_TOTAL
    assert result == health.evaluate_one(row, backend="reference")


def test_evaluate_one_loop(benchmark, health):
    """The side_by_side row figure: evaluate_one over dicts of Python values (floats, ints, None)."""
    dicts = table(SIZES[0]).slice(0, 2000).to_pylist()
    out = benchmark.pedantic(lambda: [health.evaluate_one(d) for d in dicts], rounds=3, iterations=1)
    assert len(out) == len(dicts)
    assert [r.total for r in out[:50]] == [health.evaluate_one(d, backend="reference").total for d in dicts[:50]]


@pytest.mark.parametrize("n", SIZES)
def test_batch_columnar(benchmark, health, request, n):
    _size(request, n)
    t = table(n)
    health.evaluate_table(t.slice(0, 1000))  # compile the columnar evaluator outside the timing
    out = benchmark.pedantic(health.evaluate_table, (t,), rounds=3 if n >= 1_000_000 else 5, iterations=1)
    assert out.num_rows == n


@pytest.mark.parametrize("n", SIZES)
def test_baseline_numpy(benchmark, request, n):
    _size(request, n)
    from .baselines import score_numpy

    totals, _ = benchmark.pedantic(score_numpy, (table(n),), rounds=3, iterations=1)
    assert len(totals) == n


@pytest.mark.parametrize("n", SIZES)
def test_baseline_polars(benchmark, request, n):
    _size(request, n)
    from .baselines import score_polars

    out = benchmark.pedantic(score_polars, (table(n),), rounds=3, iterations=1)
    assert out.height == n
