"""Population functions in the columnar backend: a column of arguments looked up in the batch's
statistics (runtime.population.Stats, exact fractions) with certified float comparisons.

rank and percentile_of count the population values below (or at) each row's argument x. The
sorted values are held as floats too (correctly rounded, so |F_j − v_j| ≤ 2^-53·|F_j|); with x's
error bound E a row's float f splits them in three:

* F_j < f − W (W covers both errors): certainly v_j < x;
* F_j > f + W: certainly v_j > x;
* the window in between: values as close to x as the errors allow. When they are all one
  exact value and x certainly equals it, they are x's ties. x certainly equals it when the row
  is itself a member of the population (its own value is then in the window: the usual case,
  statistics computed over the records being scored), or when their distance is below the
  smallest non-zero gap the denominators allow (1 / (den(x) · den(v))).

A row whose window is anything else is not decided here: the caller takes it to the exact tier
(the precise tier marks it residual; the fast tier asks ExactRow, which evaluates the argument
in fractions and bisects the exact values).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from . import colnum as cn

_HALF_ULP = 2.0**-53  # a correctly rounded float's relative error


class PopulationView:
    """A Stats' sorted values as numpy arrays for the lookups (built once per Stats)."""

    __slots__ = ("n", "floats", "dens", "run_end")

    def __init__(self, stats):
        values = stats.values
        self.n = len(values)
        self.floats = np.asarray(stats._floats(), dtype=np.float64)
        dens = [v.denominator for v in values]
        # den(v) as a float (inf beyond 2^53: such a value never certifies a tie)
        self.dens = np.array([float(d) if d < 2**53 else math.inf for d in dens])
        # run_end[j]: one past the last index whose value equals values[j]. Neighbours with
        # different floats differ; with equal floats, their numerators and denominators tell.
        new_run = np.ones(self.n, dtype=bool)  # values[j] starts a run
        same_float = np.flatnonzero(self.floats[1:] == self.floats[:-1]) + 1
        if same_float.size:
            nums = [v.numerator for v in values]
            try:
                num64, den64 = np.array(nums, dtype=np.int64), np.array(dens, dtype=np.int64)
                new_run[same_float] = ((num64[same_float] != num64[same_float - 1])
                                       | (den64[same_float] != den64[same_float - 1]))
            except OverflowError:  # beyond int64: compare them as Python ints
                new_run[same_float] = [nums[j] != nums[j - 1] or dens[j] != dens[j - 1] for j in same_float.tolist()]
        starts = np.flatnonzero(new_run)
        ends = np.append(starts[1:], self.n)
        self.run_end = np.repeat(ends, np.diff(np.append(starts, self.n)))


def view_of(stats) -> PopulationView:
    view = stats.__dict__.get("_columnar_view")
    if view is None:
        view = PopulationView(stats)
        object.__setattr__(stats, "_columnar_view", view)  # Stats is frozen; a cache, not state
    return view


def counts(view: PopulationView, x: cn.Num, precise: bool, members: bool = False):
    """(count_lt, count_le, undecided): per row, how many population values are < x and ≤ x
    (meaningful where decided and x is present), and a bool array of the rows this could not
    decide (or None). `members`: every row whose x is present is itself in the population
    (the statistics were computed over these very records) — then its own value lies in its
    window, and a window of one exact value is x's ties whatever the denominators."""
    f = np.asarray(x.f, dtype=np.float64)
    if view.n == 0:
        z = np.zeros(f.shape, dtype=np.int64)
        return z, z, None
    if precise:
        E = cn._bound(x, True) + cn.U * np.abs(f)
        d = x.d
    else:
        E = cn._bound(x, False) + cn.U * x.maxabs()
        d = cn._smax(x.d)
    W = (E + _HALF_ULP * (np.abs(f) + E)) * cn.SLACK * 2
    lo, hi = _window(view.floats, f, W)
    empty = lo == hi
    if empty.all():
        return lo, lo, None
    floats = view.floats
    first = np.minimum(lo, view.n - 1)
    one_run = view.run_end[first] >= hi
    dist = np.abs(f - floats[first]) + E + _HALF_ULP * np.abs(floats[first])
    with np.errstate(divide="ignore", over="ignore"):
        gap = 1.0 / (d * view.dens[first])
    tie = ~empty & one_run
    if not members:
        tie &= dist * cn.SLACK < gap
    le = np.where(tie, hi, lo)
    undecided = ~empty & ~tie
    return lo, le, (undecided if undecided.any() else None)


def _window(sorted_floats: np.ndarray, f, W):
    """(lo, hi): the positions of f − W (left) and f + W (right) in the sorted floats. Many
    rows are looked up in sorted order: random lookups in a large population miss the cache at
    every step (1M values: ~0.5 µs a lookup), ordered ones mostly hit it."""
    if f.ndim == 0 or f.size < 4096 or sorted_floats.size < 65536:
        return (np.searchsorted(sorted_floats, f - W, side="left"),
                np.searchsorted(sorted_floats, f + W, side="right"))
    order = np.argsort(f)
    fo = f[order]
    Wo = W if np.ndim(W) == 0 else np.asarray(W)[order]
    lo, hi = np.empty(f.shape, dtype=np.int64), np.empty(f.shape, dtype=np.int64)
    lo[order] = np.searchsorted(sorted_floats, fo - Wo, side="left")
    hi[order] = np.searchsorted(sorted_floats, fo + Wo, side="right")
    return lo, hi


# ---- phase 1: the population's exact values, read off the floats where that is certain
def exact_values(run, node, x: cn.Num):
    """(values, unsure) for one population argument over a chunk: `values` maps row → its
    exact value (a Fraction) for the rows that have one and are certain; `unsure` marks rows
    with a value this cannot give exactly (the caller computes them in fractions). Rows
    missing x, or not evaluated here (run.residual), are in neither."""
    n = run.n
    present = np.broadcast_to(_present(x.m), (n,)) & ~run.residual
    rows = np.flatnonzero(present)
    unsure = np.zeros(n, dtype=bool)
    if rows.size == 0:
        return {}, unsure
    parts = _decimal(x, n) or _ratio(run, node, n)
    if parts is None:
        unsure[rows] = True
        return {}, unsure
    num, den, bad = parts
    unsure[rows[bad[rows]]] = True
    good = rows[~bad[rows]]
    values, interned = {}, {}
    for i, a, b in zip(good.tolist(), np.asarray(num)[good].tolist(), np.asarray(den)[good].tolist()):
        v = interned.get((a, b))  # populations repeat values (100%, 0): one Fraction each
        if v is None:
            v = interned[(a, b)] = Fraction(a, b)
        values[i] = v
    return values, unsure


def _present(m):
    return True if cn.is_scalar(m) and m == 0 else (np.asarray(m) == 0)


def _decimal(x: cn.Num, n: int):
    """(numerators, denominators, unsure) when x is known to be a short decimal."""
    if x.dp is None:
        return None
    snapped = cn.snap_q(x, x.dp)
    if snapped is None:
        return None
    q, unsure = snapped
    q = np.broadcast_to(q, (n,))
    bad = np.zeros(n, dtype=bool) if unsure is None else np.broadcast_to(unsure, (n,))
    return q, np.broadcast_to(np.array(10**x.dp, dtype=object), (n,)), bad


def _ratio(run, node, n: int):
    """For x = a / b with a and b short decimals: (a's digits·10^kb, b's digits·10^ka, unsure)."""
    from .. import ir

    while isinstance(node, ir.Slot) and node.key in run.E.definitions:
        node = run.E.definitions[node.key]
    if not (isinstance(node, ir.Arith) and node.op == "/"):
        return None
    a, b = _decimal(run.ev(node.left), n), _decimal(run.ev(node.right), n)
    if a is None or b is None:
        return None
    (qa, da, bad_a), (qb, db, bad_b) = a, b
    bad = bad_a | bad_b | (qb == 0)
    return np.asarray(qa, dtype=object) * db, np.asarray(qb, dtype=object) * da, bad
