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

import numpy as np

from . import colnum as cn

_HALF_ULP = 2.0**-53  # a correctly rounded float's relative error


class PopulationView:
    """A Stats' sorted values as numpy arrays for the lookups (built once per Stats)."""

    __slots__ = ("n", "floats", "dens", "run_end")

    def __init__(self, stats):
        values = stats.values
        self.n = len(values)
        self.floats = np.array(stats._floats(), dtype=np.float64)
        # den(v) as a float (inf beyond 2^53: such a value never certifies a tie)
        self.dens = np.array([float(v.denominator) if v.denominator < 2**53 else math.inf for v in values])
        # run_end[j]: one past the last index whose value equals values[j]
        run_end = np.empty(self.n, dtype=np.int64)
        end = self.n
        for j in range(self.n - 1, -1, -1):
            if j + 1 < self.n and values[j + 1] != values[j]:
                end = j + 1
            run_end[j] = end
        self.run_end = run_end


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
    floats = view.floats
    lo = np.searchsorted(floats, f - W, side="left")
    hi = np.searchsorted(floats, f + W, side="right")
    empty = lo == hi
    if empty.all():
        return lo, lo, None
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
