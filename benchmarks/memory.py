"""Peak memory and wall time of streaming evaluation, CSV → Parquet, at several sizes.

    python -m benchmarks.memory                          # 1M and 3M rows
    python -m benchmarks.memory --rows 1000000 3000000 10000000 --keep /tmp/perfrules-mem
    python -m benchmarks.memory --rows 1000000 --repeat 3

For each size: writes a CSV of generated 区卫健局 departments (`health_data.make_health_table`,
written in pieces with pyarrow.csv, so generating 10M rows does not need 10M rows of memory;
amounts as exact decimals with two places), then runs

    perfrules eval rulesets/health/health.rules --data FILE.csv -o FILE.parquet

in a fresh subprocess and reports its peak RSS (the child's own VmHWM, see run_eval) and wall
time. With --repeat N the run is repeated and the medians are shown (the machine may be shared).
CSV files are kept under --keep (and reused when they already have the right size) or written
to a temporary directory and removed.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEALTH = ROOT / "rulesets" / "health" / "health.rules"
PIECE_ROWS = 200_000


def _text_columns(table):
    """Every column as text: float64 amounts (whole cents) as 'x.yy', ints as digits; nulls stay null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for col in table.columns:
        if pa.types.is_floating(col.type):
            cents = pc.cast(pc.round(pc.multiply(col, 100.0)), pa.int64())
            mag = pc.abs(cents)
            whole = pc.cast(pc.divide(mag, 100), pa.string())
            frac = pc.utf8_lpad(pc.cast(pc.subtract(mag, pc.multiply(pc.divide(mag, 100), 100)), pa.string()), 2, "0")
            text = pc.binary_join_element_wise(whole, frac, ".")
            sign = pc.if_else(pc.less(cents, 0), "-", "")
            cols.append(pc.binary_join_element_wise(sign, text, ""))
        else:
            cols.append(pc.cast(col, pa.string()))
    return pa.table(cols, names=table.column_names)


def write_csv(path: Path, rows: int, seed: int = 0, piece_rows: int = PIECE_ROWS) -> Path:
    """A UTF-8 CSV of `rows` generated departments (header of Chinese input names), written
    piece by piece (piece k from seed + k). No cell needs quoting, so none is quoted."""
    import pyarrow.csv as pcsv

    from .health_data import make_health_table

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    writer = None
    with open(tmp, "wb") as fh:
        for k, off in enumerate(range(0, rows, piece_rows)):
            t = _text_columns(make_health_table(min(piece_rows, rows - off), seed=seed + k))
            if writer is None:
                writer = pcsv.CSVWriter(fh, t.schema, write_options=pcsv.WriteOptions(quoting_style="none"))
            writer.write_table(t)
        if writer is not None:
            writer.close()
    os.replace(tmp, path)
    return path


def run_eval(data: Path, out: Path, extra: list[str] | None = None) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of one `perfrules eval` in a fresh process."""
    # The child's own high-water mark: /proc's VmHWM belongs to the process image exec made.
    # getrusage's ru_maxrss also counts the image it replaced — a fork of this process, whose
    # resident set after generating the CSV was ~550 MB, reported as the child's peak.
    code = ("import resource, sys; from perfrules.cli import main; rc = main(sys.argv[1:]); "
            "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')] "
            "if sys.platform.startswith('linux') else []; "
            "print('maxrss', hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
            "sys.exit(rc)")
    cmd = [sys.executable, "-c", code, "eval", str(HEALTH), "--data", str(data), "-o", str(out), "--lang", "en",
           *(extra or [])]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
    kb = next((int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("maxrss ")), 0)
    if not kb:  # the child died before reporting: the children's high-water mark is the best we have
        kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return kb / 1024, wall, proc.returncode


def _size(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    ap.add_argument("--repeat", type=int, default=1, help="runs per size (medians are reported)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", metavar="DIR", help="keep (and reuse) the generated CSV files here")
    ap.add_argument("--eval-arg", action="append", default=[], metavar="ARG", help="extra argument for perfrules eval")
    args = ap.parse_args(argv)

    import pyarrow as pa

    print(f"python {sys.version.split()[0]}, pyarrow {pa.__version__} ({pa.default_memory_pool().backend_name} pool), "
          f"cpus {os.cpu_count()}")
    print(f"{'rows':>6} {'CSV in':>9} {'Parquet out':>12} {'wall':>9} {'peak RSS':>10}")
    tmpdir = None
    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmpdir = tempfile.TemporaryDirectory(prefix="perfrules-mem-")
        work = Path(tmpdir.name)
    status = 0
    try:
        for n in args.rows:
            data = work / f"health-{n}-{args.seed}.csv"
            if not data.exists():
                write_csv(data, n, args.seed)
            out = work / f"health-{n}.parquet"
            peaks, walls = [], []
            for _ in range(args.repeat):
                peak, wall, rc = run_eval(data, out, args.eval_arg)
                if rc != 0:
                    status = rc
                peaks.append(peak)
                walls.append(wall)
            print(f"{_size(n):>6} {data.stat().st_size / 1e6:7.0f}MB {out.stat().st_size / 1e6:10.0f}MB "
                  f"{statistics.median(walls):8.1f}s {statistics.median(peaks):8.0f}MB"
                  + (f"   (runs: {', '.join(f'{w:.1f}s/{p:.0f}MB' for w, p in zip(walls, peaks))})" if args.repeat > 1 else ""),
                  flush=True)
            if not args.keep:
                data.unlink()
                out.unlink()
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
