"""Time the generator and the three baselines; print records/second.

Run from the repository root:
    /tmp/venv/bin/python -m benchmarks.bench_baselines            # 1M rows, plain at 100k
    /tmp/venv/bin/python -m benchmarks.bench_baselines --rows 200000 --plain-rows 20000

Each figure is the median wall time of ``--repeat`` runs (default 3), measured with
``time.perf_counter``. The numpy and Polars timings include reading the pyarrow
table; the plain-Python timing starts from a ready ``list[dict]`` (the cost of
``table.to_pylist()`` is printed separately).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import polars as pl
import pyarrow as pa

from benchmarks.baselines import score_numpy, score_plain, score_polars
from benchmarks.health_data import make_health_table


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows for generator, numpy, Polars")
    ap.add_argument("--plain-rows", type=int, default=100_000, help="rows for plain Python")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pyarrow {pa.__version__}, "
        f"polars {pl.__version__}, cpus {os.cpu_count()}, polars threads {pl.thread_pool_size()}"
    )
    n, n_plain, r = args.rows, args.plain_rows, args.repeat

    med, runs = median_time(lambda: make_health_table(n, seed=args.seed), r)
    print(f"generate  {n:>9,} rows: {med:7.3f} s  ({n / med:>12,.0f} rows/s)  runs {fmt(runs)}")
    table = make_health_table(n, seed=args.seed)

    small = table.slice(0, n_plain)
    med, runs = median_time(lambda: small.to_pylist(), r)
    print(f"to_pylist {n_plain:>9,} rows: {med:7.3f} s  ({n_plain / med:>12,.0f} rows/s)  runs {fmt(runs)}")
    rows = small.to_pylist()

    results = {}
    for name, count, fn in (
        ("plain", n_plain, lambda: score_plain(rows)),
        ("numpy", n, lambda: score_numpy(table)),
        ("polars", n, lambda: score_polars(table)),
    ):
        fn()  # warm-up (imports, Polars thread pool)
        med, runs = median_time(fn, r)
        results[name] = count / med
        print(f"{name:<9} {count:>9,} rows: {med:7.3f} s  ({count / med:>12,.0f} rows/s)  runs {fmt(runs)}")

    # sanity: the three agree on the rows they share
    p = np.array([t for t, _ in score_plain(rows)])
    t_np, _ = score_numpy(small)
    t_pl = score_polars(small)["total"].to_numpy()
    print(f"max |Δtotal| plain/numpy {np.abs(p - t_np).max():.2e}, plain/polars {np.abs(p - t_pl).max():.2e}")


def fmt(runs: list[float]) -> str:
    return "[" + ", ".join(f"{x:.3f}" for x in runs) + "]"


if __name__ == "__main__":
    main()
