"""Sets of real numbers as unions of intervals, for band coverage and overlap analysis."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

INF = None  # an open end at ±infinity


@dataclass(frozen=True)
class Interval:
    lo: Fraction | None  # None: -infinity
    lo_closed: bool
    hi: Fraction | None  # None: +infinity
    hi_closed: bool

    def is_empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        if self.lo > self.hi:
            return True
        return self.lo == self.hi and not (self.lo_closed and self.hi_closed)


def from_cmp(op: str, x: Fraction) -> list[Interval]:
    if op == ">=":
        return [Interval(x, True, None, False)]
    if op == ">":
        return [Interval(x, False, None, False)]
    if op == "<=":
        return [Interval(None, False, x, True)]
    if op == "<":
        return [Interval(None, False, x, False)]
    if op == "==":
        return [Interval(x, True, x, True)]
    return [Interval(None, False, x, False), Interval(x, False, None, False)]  # !=


ALL = [Interval(None, False, None, False)]


def _lo_key(iv: Interval):
    return (iv.lo is not None, iv.lo if iv.lo is not None else 0, not iv.lo_closed)


def normalize(ivs: list[Interval]) -> list[Interval]:
    """Sorted, disjoint, merged."""
    ivs = sorted((i for i in ivs if not i.is_empty()), key=_lo_key)
    out: list[Interval] = []
    for iv in ivs:
        if out and _touches(out[-1], iv):
            last = out[-1]
            hi, hc = _max_hi(last, iv)
            out[-1] = Interval(last.lo, last.lo_closed, hi, hc)
        else:
            out.append(iv)
    return out


def _touches(a: Interval, b: Interval) -> bool:
    """Whether b (starting at or after a) overlaps or abuts a with no gap."""
    if a.hi is None or b.lo is None:
        return True
    if b.lo < a.hi:
        return True
    if b.lo == a.hi:
        return a.hi_closed or b.lo_closed
    return False


def _max_hi(a: Interval, b: Interval):
    if a.hi is None or b.hi is None:
        return None, False
    if a.hi > b.hi:
        return a.hi, a.hi_closed
    if b.hi > a.hi:
        return b.hi, b.hi_closed
    return a.hi, a.hi_closed or b.hi_closed


def complement(ivs: list[Interval]) -> list[Interval]:
    ivs = normalize(ivs)
    out: list[Interval] = []
    cur_lo, cur_closed = None, False
    for iv in ivs:
        if iv.lo is not None:
            out.append(Interval(cur_lo, cur_closed, iv.lo, not iv.lo_closed))
        if iv.hi is None:
            return normalize(out)
        cur_lo, cur_closed = iv.hi, not iv.hi_closed
    out.append(Interval(cur_lo, cur_closed, None, False))
    return normalize(out)


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for x in a:
        for y in b:
            lo, lc = _max_lo(x, y)
            hi, hc = _min_hi(x, y)
            out.append(Interval(lo, lc, hi, hc))
    return normalize(out)


def _max_lo(a, b):
    if a.lo is None:
        return b.lo, b.lo_closed
    if b.lo is None:
        return a.lo, a.lo_closed
    if a.lo > b.lo:
        return a.lo, a.lo_closed
    if b.lo > a.lo:
        return b.lo, b.lo_closed
    return a.lo, a.lo_closed and b.lo_closed


def _min_hi(a, b):
    if a.hi is None:
        return b.hi, b.hi_closed
    if b.hi is None:
        return a.hi, a.hi_closed
    if a.hi < b.hi:
        return a.hi, a.hi_closed
    if b.hi < a.hi:
        return b.hi, b.hi_closed
    return a.hi, a.hi_closed and b.hi_closed


def difference(a: list[Interval], b: list[Interval]) -> list[Interval]:
    return intersect(a, complement(b))


def is_empty(ivs: list[Interval]) -> bool:
    return not normalize(ivs)


def sample(ivs: list[Interval]) -> Fraction | None:
    """A point inside the set, preferring a round one, for 'for example …' in diagnostics; from
    a part bounded on both sides when there is one (the gap left between two bands, = 60% between
    [0, 60%) and (60%, 100%], says more than the values below the lowest band)."""
    parts = normalize(ivs)
    for iv in sorted(parts, key=lambda iv: iv.lo is None or iv.hi is None):
        if iv.lo is None and iv.hi is None:
            return Fraction(0)
        if iv.lo is None:
            return iv.hi if iv.hi_closed else iv.hi - 1
        if iv.hi is None:
            return iv.lo if iv.lo_closed else iv.lo + 1
        if iv.lo_closed:
            return iv.lo
        if iv.hi_closed:
            return iv.hi
        return (iv.lo + iv.hi) / 2
    return None


def first_integer(ivs: list[Interval]) -> Fraction | None:
    """A whole number inside the set (the lowest of a bounded-below part), or None."""
    for iv in normalize(ivs):
        if iv.lo is None:
            if iv.hi is None:
                return Fraction(0)
            n = Fraction(math.floor(iv.hi))
            return n - 1 if n == iv.hi and not iv.hi_closed else n
        n = Fraction(math.ceil(iv.lo))
        if n == iv.lo and not iv.lo_closed:
            n += 1
        if iv.hi is None or n < iv.hi or (n == iv.hi and iv.hi_closed):
            return n
    return None


def describe(ivs: list[Interval], show) -> str:
    parts = []
    for iv in normalize(ivs):
        if iv.lo is not None and iv.hi is not None and iv.lo == iv.hi:
            parts.append(f"= {show(iv.lo)}")
            continue
        lo = "(-∞" if iv.lo is None else ("[" if iv.lo_closed else "(") + show(iv.lo)
        hi = "+∞)" if iv.hi is None else show(iv.hi) + ("]" if iv.hi_closed else ")")
        parts.append(f"{lo}, {hi}")
    return " ∪ ".join(parts) if parts else "∅"


_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class CondSets:
    """What a band condition says about the band's subject (the leaf's value):
    `must` — values for which it certainly holds; `may` — values for which it can hold (outside,
    it is certainly false); `without_value` — whether it can hold when the value is missing (a
    condition on something else can); `exact` — must == may and nothing else is read."""

    must: list
    may: list
    without_value: bool
    exact: bool


UNKNOWN_COND = CondSets([], ALL, True, False)


def cond_sets(expr, is_subject, const) -> CondSets:
    """Analyse an IR condition. `is_subject(e)` tells the subject (the leaf's value slot);
    `const(e)` gives a constant's value or None. Comparisons of the subject with constants,
    and `and`/`or`/`not` of them, are exact; anything else is unknown (may hold anywhere)."""
    from .. import ir

    if isinstance(expr, ir.Cmp):
        op, left, right = expr.op, expr.left, expr.right
        if is_subject(right) and not is_subject(left):
            op, left, right = _FLIP.get(op, op), right, left
        if is_subject(left):
            v = const(right)
            if isinstance(v, Fraction) and not isinstance(v, bool):
                s = normalize(from_cmp(op, v))
                return CondSets(s, s, False, True)
            # compared with something not constant: false when the value is missing, else unknown
            return CondSets([], ALL, False, False)
        return UNKNOWN_COND
    if isinstance(expr, ir.Logic) and expr.op in ("and", "or"):
        a = cond_sets(expr.left, is_subject, const)
        b = cond_sets(expr.right, is_subject, const)
        if expr.op == "and":
            return CondSets(intersect(a.must, b.must), intersect(a.may, b.may),
                            a.without_value and b.without_value, a.exact and b.exact)
        return CondSets(normalize(a.must + b.must), normalize(a.may + b.may),
                        a.without_value or b.without_value, a.exact and b.exact)
    if isinstance(expr, ir.Not):
        a = cond_sets(expr.operand, is_subject, const)
        # outside `may` the operand is certainly false, inside `must` certainly true
        return CondSets(complement(a.may), complement(a.must), not a.exact or a.without_value, a.exact)
    if isinstance(expr, ir.Const) and isinstance(expr.value, bool):
        return CondSets(ALL, ALL, True, False) if expr.value else CondSets([], [], False, True)
    return UNKNOWN_COND
