"""perfrules next to the hand-written baselines, in one run, on the same generated data.

    python -m benchmarks.side_by_side                       # 1M rows batch, 20k rows one by one
    python -m benchmarks.side_by_side --rows 200000 --row-rows 5000 --repeat 5

Times (median of --repeat runs, wall clock, data generation excluded). The runs are
interleaved round by round — perfrules, numpy, Polars, …, then again — so that each engine
meets the same machine (a noisy minute on a shared host) and the heap the others leave behind,
rather than the first engine a quiet start and the last a heap full of freed result columns:

* perfrules batch: Ruleset.evaluate_table, in-memory Arrow → Arrow results (every indicator's
  score and value, flags, alerts, total, grade, exact decimals);
* perfrules batch total: the same with columns="total" (status, total, grade, outputs, alerts:
  what the baselines give, exact);
* perfrules row: Ruleset.evaluate_one in a loop over dicts (Python values, as the plain
  baseline gets them), each giving a full EvaluationResult (the fast exact row evaluator scores
  it; its per-indicator models are built when first read);
* the numpy, Polars and plain-Python baselines of benchmarks/baselines.py (totals and grades).

Prints records/second and the ratios the targets are stated in, then checks that the batch and
row results equal the exact reference evaluator on a sample of rows and how the float baselines'
totals compare.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

HEALTH = Path(__file__).resolve().parents[1] / "rulesets" / "health" / "health.rules"


def main(argv=None) -> None:
    import numpy as np
    import polars as pl
    import pyarrow as pa

    import perfrules
    from perfrules import flat

    from .baselines import score_numpy, score_plain, score_polars
    from .bench_baselines import median_time
    from .health_data import make_health_table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows for the batch engines")
    ap.add_argument("--row-rows", type=int, default=20_000, help="rows for the one-record-at-a-time paths")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", type=int, default=2000, help="rows checked against the reference evaluator")
    args = ap.parse_args(argv)

    print(f"python {platform.python_version()}, numpy {np.__version__}, pyarrow {pa.__version__}, "
          f"polars {pl.__version__} ({pl.thread_pool_size()} threads), perfrules {perfrules.__version__}, cpus {os.cpu_count()}")
    t0 = time.perf_counter()
    rules = perfrules.load(HEALTH)
    compile_s = time.perf_counter() - t0
    table = make_health_table(args.rows, seed=args.seed)
    small = table.slice(0, args.row_rows)
    dicts = small.to_pylist()
    rules.evaluate_table(table.slice(0, 1000))  # build the evaluators outside the timings
    rules.evaluate_one(dicts[0])

    results = {}
    batch_out = {}

    def batch():  # (the first --check rows kept for the exactness check, not 1M rows of results)
        batch_out["t"] = rules.evaluate_table(table).slice(0, args.check).combine_chunks()

    runs = [
        ("perfrules batch", args.rows, batch),
        ("perfrules batch total", args.rows, lambda: rules.evaluate_table(table, columns="total")),
        ("numpy baseline", args.rows, lambda: score_numpy(table)),
        ("polars baseline", args.rows, lambda: score_polars(table)),
        ("perfrules row", args.row_rows, lambda: [rules.evaluate_one(d) for d in dicts]),
        ("plain baseline", args.row_rows, lambda: score_plain(dicts)),
    ]
    print(f"compile 区卫健局: {compile_s * 1000:.0f} ms (first load in the process)")
    for _, _, fn in runs:
        fn()  # warm: first-call costs (imports, thread pools) outside the timings
    times = {name: [] for name, _, _ in runs}
    for _ in range(args.repeat):
        for name, _, fn in runs:
            times[name].append(median_time(fn, 1)[0])
    for name, n, _ in runs:
        s = statistics.median(times[name])
        results[name] = n / s
        print(f"{name:<22} {n:>9,} rows {s:8.3f} s  {n / s:>12,.0f} records/s   "
              f"(runs: {' '.join(f'{t:.3f}' for t in times[name])})")
    r = results
    print()
    for name, what in (("perfrules batch", "every column"), ("perfrules batch total", "total columns")):
        print(f"batch ({what}) vs numpy : {r['numpy baseline'] / r[name]:.2f}× the time (target ≤ 1)")
        print(f"batch ({what}) vs Polars: {r['polars baseline'] / r[name]:.2f}× the time (target ≤ 1.5)")
    print(f"row vs plain   : {r['plain baseline'] / r['perfrules row']:.2f}× the time per record (target ≤ 2)")

    # exactness: the batch results against the exact reference, and the float baselines' totals
    out = batch_out["t"]
    k = min(args.check, args.rows)
    got = flat.as_text(out.slice(0, k).combine_chunks().to_batches()[0]).to_pylist()
    bad = bad_row = 0
    kr = min(k, args.row_rows)

    def text(d):
        return {c: (None if v is None else str(v)) for c, v in d.items()}

    for i, rec in enumerate(table.slice(0, k).to_pylist()):
        want = text(flat.flatten(rules, rules.evaluate_one(rec, backend="reference", row=i + 1), "zh"))
        if want != text(got[i]):
            bad += 1
        if i < kr and want != text(flat.flatten(rules, rules.evaluate_one(dicts[i], row=i + 1), "zh")):
            bad_row += 1
    print(f"batch = reference on the first {k:,} rows: {'yes' if bad == 0 else f'NO ({bad} rows differ)'}")
    print(f"row = reference on the first {kr:,} records: {'yes' if bad_row == 0 else f'NO ({bad_row} records differ)'} "
          f"(row evaluator: {'fast exact, integer pairs' if rules.fast_evaluator is not None else 'Fraction'})")
    from perfrules.batch import TABLE_CHUNK_ROWS, Batcher, resolve

    for cols in ("all", "total"):  # where the time goes, per record, on one thread
        b = Batcher(rules, resolve(rules, table.column_names), columns=cols, chunk_rows=TABLE_CHUNK_ROWS[cols])
        b.evaluate(table)
        st = b.stats
        us = 1e6 / max(st.records, 1)
        print(f"columns={cols!r}, one thread: CPU per record converting the inputs {st.cpu_convert * us:.2f} µs, "
              f"evaluating {st.cpu_evaluate * us:.2f} µs, building the results {st.cpu_build * us:.2f} µs; "
              f"rows evaluated whole by the reference: {st.exact_rows:,} of {st.records:,} "
              f"({100 * st.exact_fraction:.4f} %; {st.unsafe_rows:,} for inputs beyond 15 digits); rows with a "
              f"decision in exact fractions: {st.exact_tier_rows:,} ({100 * st.exact_tier_rows / max(st.records, 1):.4f} %); "
              f"decisions re-decided with per-row bounds: {st.suspects:,}")
    # the baselines score a blank input 0 where the rule file has a default, so compare the
    # float baselines with the exact results on the rows without blanks
    clean = np.ones(args.rows, dtype=bool)
    for col in table.columns:
        clean &= ~col.is_null().to_numpy(zero_copy_only=False)
    whole = rules.evaluate_table(table, columns="total")  # every row's total and grade
    totals = np.array([float(x) if x is not None else np.nan for x in whole.column("总分").to_pylist()])
    nt, ng = score_numpy(table)
    grades = np.array(whole.column("等级").to_pylist(), dtype=object)
    print(f"rows without blanks: {int(clean.sum()):,}; numpy baseline totals off by ≥ 0.005 there: "
          f"{int(np.sum(np.abs(totals - nt)[clean] >= 0.005))}, grades differing: {int(np.sum((grades != ng)[clean]))}")


if __name__ == "__main__":
    main()
