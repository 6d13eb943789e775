"""Benchmarks stay cheap in ordinary test runs: pytest-benchmark timing is off (each benchmark
runs once, as a test) and the large sizes are skipped, unless `--benchmark-enable` is given or
PERFRULES_BENCH=1 is set."""
from __future__ import annotations

import os


def bench_enabled(config) -> bool:
    return bool(os.environ.get("PERFRULES_BENCH")) or bool(config.getoption("benchmark_enable", default=False))


def pytest_configure(config):
    if not bench_enabled(config) and hasattr(config.option, "benchmark_disable"):
        config.option.benchmark_disable = True
