"""Population functions: statistics of one expression over the batch of records being scored.

`rank(x)`, `rank(x, asc)`, `max_of(x)`, `min_of(x)`, `mean_of(x)` and `percentile_of(x)` compare a
record with the other records of its batch ("按第1名的比例得分", rank tables). They are evaluated
in two phases (see ir.Population): phase 1 computes the argument x for every record; `Stats`
summarises that column; phase 2 scores each record, looking its own x up in the summary.

Definitions, for a batch whose population P is the multiset of the values of x over the records
that could be scored (records with unreadable fields — error rows — are left out) and whose x is
not missing:

* `rank(x)` = 1 + |{v ∈ P : v > x}| — 1 is the highest; ties share the best rank and the next
  rank is skipped (competition ranking: 1, 2, 2, 4). `rank(x, asc)` = 1 + |{v ∈ P : v < x}|,
  1 is the lowest.
* `percentile_of(x)` = |{v ∈ P : v ≤ x}| / |P| — the share of the batch at or below x, in
  (0, 1]: the highest value has 1, ties share the same (higher) share. A percent.
* `max_of(x)`, `min_of(x)`: the largest and smallest value of P; `mean_of(x)` = ΣP / |P|, exact.
  These are the same for every record of the batch (whatever the record's own x).
* A record whose x is missing is not in P; its rank and percentile are missing (with x's reason).
  When P is empty, max_of/min_of/mean_of are missing ("no record of the batch has a value").
* A batch of one: rank 1, percentile 1, max_of = min_of = mean_of = the record's own x.

Everything is exact (fractions). `Stats` is small, immutable and picklable: a sorted tuple of the
values (needed for exact ranks) plus their sum. Build it with `Stats.from_values`, and combine the
statistics of chunks with `merge` — the result equals `from_values` over all the values.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from .missing import Missing

M = Missing



def _exact(v) -> Fraction:
    if isinstance(v, Fraction):
        return v
    if isinstance(v, bool):
        raise TypeError("a population value must be a number")
    if isinstance(v, (int, Decimal)):
        return Fraction(v)
    if isinstance(v, float):
        return Fraction(Decimal(repr(v)))  # the decimal the float was written as
    raise TypeError(f"a population value must be a number, not {type(v).__name__}")


def _float(v: Fraction) -> float:
    """float(v), correctly rounded, hence monotonic (v < w ⇒ float(v) ≤ float(w)); ±inf beyond
    float's range."""
    try:
        return v.numerator / v.denominator  # int true division: correctly rounded, and faster than float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _sorted(values: list, floats=None):
    """The fractions sorted exactly, and their floats (given, or computed) as a float64 array:
    sorted by float (a float comparison costs a fraction of a Fraction one), then each run of
    equal floats that holds more than one distinct value (rare: they differ beyond float's
    precision) sorted as fractions. Equal values end up as one shared object."""
    import numpy as np

    if floats is None:
        floats = [_float(v) for v in values]
    f = np.asarray(floats, dtype=np.float64)
    order = np.argsort(f, kind="stable")
    out = [values[i] for i in order.tolist()]
    f = f[order]
    same = np.flatnonzero(f[1:] == f[:-1])  # neighbours a float cannot tell apart
    unsorted = []
    for i in same.tolist():
        a, b = out[i], out[i + 1]
        if a is b:
            continue
        if a.numerator == b.numerator and a.denominator == b.denominator:
            out[i + 1] = a  # one object per value: chunks' equal values share it
        elif b < a:
            unsorted.append(i)
    for i in unsorted:  # rare: values that differ beyond float's precision
        lo, hi = i, i + 1
        while lo > 0 and f[lo - 1] == f[i]:
            lo -= 1
        while hi + 1 < len(out) and f[hi + 1] == f[i]:
            hi += 1
        out[lo:hi + 1] = sorted(out[lo:hi + 1])
    return out, f


def _sum(values: list[Fraction]) -> Fraction:
    """Their exact sum, adding numerators over each denominator first (few denominators: ratios
    of counts, decimals) — one Fraction addition per distinct denominator, not per value."""
    by_den: dict[int, int] = {}
    for v in values:
        by_den[v.denominator] = by_den.get(v.denominator, 0) + v.numerator
    return sum((Fraction(num, den) for den, num in by_den.items()), Fraction(0))


@dataclass(frozen=True)
class Stats:
    """The population of one argument over a batch: its values sorted ascending, and their sum."""

    values: tuple[Fraction, ...] = ()
    total: Fraction = Fraction(0)

    @classmethod
    def from_values(cls, values: Iterable) -> "Stats":
        """Statistics of the values; missing values (and None) are left out."""
        kept = [_exact(v) for v in values if v is not None and type(v) is not M]
        return _stats(kept, None, _sum(kept))

    def merge(self, other: "Stats") -> "Stats":
        """The statistics of both batches together (chunks of one batch)."""
        return merge_all([[self], [other]])[0]

    def _floats(self):
        """The values as floats (a sorted float64 array) for the bisections: kept from sorting,
        or built on first use after unpickling."""
        floats = self.__dict__.get("_float_values")
        if floats is None:
            import numpy as np

            floats = np.array([_float(v) for v in self.values], dtype=np.float64)
            object.__setattr__(self, "_float_values", floats)
        return floats

    def _count_below(self, x: Fraction, or_equal: bool) -> int:
        """|{v : v < x}| (or ≤ x): bisection on the floats, then on the fractions only among the
        values whose float equals x's (ties and near-ties)."""
        floats, fx = self._floats(), _float(x)
        lo, hi = int(floats.searchsorted(fx, "left")), int(floats.searchsorted(fx, "right"))
        if lo == hi:
            return lo
        return (bisect_right if or_equal else bisect_left)(self.values, x, lo, hi)

    def __getstate__(self):
        return {"values": self.values, "total": self.total}  # not the float cache

    @property
    def count(self) -> int:
        return len(self.values)

    # ---- the functions; `x` is the record's own argument value, `what` names it for messages
    def rank(self, x, desc: bool = True, what: str = ""):
        if type(x) is M:
            return x
        if not self.values:
            return M("population_empty", what)
        x = _exact(x)
        if desc:
            return Fraction(1 + len(self.values) - self._count_below(x, True))
        return Fraction(1 + self._count_below(x, False))

    def percentile(self, x, what: str = ""):
        if type(x) is M:
            return x
        if not self.values:
            return M("population_empty", what)
        return Fraction(self._count_below(_exact(x), True), len(self.values))

    def max(self, what: str = ""):
        return self.values[-1] if self.values else M("population_empty", what)

    def min(self, what: str = ""):
        return self.values[0] if self.values else M("population_empty", what)

    def mean(self, what: str = ""):
        return self.total / len(self.values) if self.values else M("population_empty", what)


def call(fn: str, stats: Stats | None, x=None, desc: bool = True, what: str = ""):
    """One population function for one record. `stats` None: not computed yet (phase 1)."""
    if stats is None:
        return M("population_pending", what)
    if fn == "rank":
        return stats.rank(x, desc, what)
    if fn == "percentile_of":
        return stats.percentile(x, what)
    if fn == "max_of":
        return stats.max(what)
    if fn == "min_of":
        return stats.min(what)
    if fn == "mean_of":
        return stats.mean(what)
    raise ValueError(f"unknown population function {fn!r}")


def collect(rows: Iterable[Sequence], n: int) -> list[Stats]:
    """Statistics for n populations from the phase-1 tuples of every record of a batch."""
    columns: list[list] = [[] for _ in range(n)]
    for row in rows:
        for i, v in enumerate(row):
            columns[i].append(v)
    return [Stats.from_values(c) for c in columns]


def batch_of_one(row: Sequence) -> list[Stats]:
    """The statistics when a record is scored on its own (evaluate_one, test blocks)."""
    return [Stats.from_values([v]) for v in row]


def check_given(pop, count: int) -> None:
    """A caller's `pop=` (evaluate_batches, evaluate_one): the list population_stats returns,
    one Stats per population argument of these rules. Anything else failed deep inside the
    evaluators (IndexError: list index out of range, AttributeError on a str)."""
    if pop is None:
        return
    if not isinstance(pop, (list, tuple)) or not all(isinstance(s, Stats) for s in pop):
        raise TypeError(f"pop= takes the list that population_stats returns (one Stats per population argument), "
                        f"got {type(pop).__name__}")
    if len(pop) != count:
        raise ValueError(f"pop= holds {len(pop)} statistics but these rules have {count} population arguments: "
                         "pass the population_stats of this ruleset")


def merge_all(chunks: Iterable[Sequence[Stats]]) -> list[Stats] | None:
    """Merge per-chunk statistic lists (each a list with one Stats per population) in one sort
    per population (merging two by two re-sorts the growing head each time: quadratic in the
    number of chunks). Each chunk's statistics are dropped as soon as they are taken in."""
    from array import array

    merged = None
    for chunk in chunks:
        if merged is None:
            merged = [([], array("d"), []) for _ in chunk]
        for (values, floats, totals), part in zip(merged, chunk):
            values.extend(part.values)
            floats.extend(part._floats())
            totals.append(part.total)
    if merged is None:
        return None
    return [_stats(values, floats, sum(totals, Fraction(0))) for values, floats, totals in merged]


def _stats(values: list, floats, total: Fraction) -> Stats:
    """Stats of the values (in any order; their floats when known, in the same order)."""
    import numpy as np

    if floats is not None and not isinstance(floats, np.ndarray):
        floats = np.frombuffer(floats, dtype=np.float64) if len(floats) else None
    kept, f = _sorted(values, floats)
    stats = Stats(tuple(kept), total)
    object.__setattr__(stats, "_float_values", f)
    return stats
