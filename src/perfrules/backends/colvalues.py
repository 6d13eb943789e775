"""Column values of the columnar backend, and the scoring forms lowered to expressions.

Numbers are colnum.Num; this module holds the other kinds (Bool, Text as dictionary codes, Date
as ordinals), the helpers that select between values row by row, the reason table that turns
missing reasons into small integer ids, and `lower_form`, which rewrites each scoring form as an
expression with the reference evaluator's order of missing checks.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .. import ir
from ..runtime.missing import Missing
from . import colnum as cn
from .colnum import Num

ZERO = ir.Const(ir.NUMBER, Fraction(0))
ONE = ir.Const(ir.NUMBER, Fraction(1))
_KNOWN = (ir.Const, ir.Slot, ir.Arith, ir.Neg, ir.Cmp, ir.Logic, ir.Not, ir.If, ir.Call, ir.Match, ir.PopCall)
_FUNCTIONS = ("min", "max", "abs", "round", "floor", "ceil", "coalesce", "is_missing", "time_progress", "year", "month")


# ---- internal expression nodes produced by lowering the scoring forms
@dataclass(frozen=True)
class Guard(ir.Expr):
    """The first missing of `checks`, else `body` (the missing order of linear and deduct)."""

    checks: tuple
    body: ir.Expr


@dataclass(frozen=True)
class BandsNode(ir.Expr):
    value: ir.Expr | None
    bands: tuple  # ((cond, points), …)
    otherwise: ir.Expr | None


@dataclass(frozen=True)
class ChecklistNode(ir.Expr):
    items: tuple  # ((cond, points), …)


@dataclass(frozen=True)
class EitherNode(ir.Expr):
    first: ir.Expr
    second: ir.Expr
    mode: str


@dataclass(frozen=True)
class MissingNode(ir.Expr):
    reason: Missing


class Unsupported(Exception):
    """The program uses something this backend does not implement; the caller uses the row path."""


def _positive(e: ir.Expr) -> bool:
    return isinstance(e, ir.Const) and isinstance(e.value, Fraction) and e.value > 0


def _deviation(f: ir.DeductScore, value: ir.Expr) -> ir.Expr:
    N = ir.NUMBER
    return ir.Arith(N, "-", value, f.threshold) if f.direction == "over" else ir.Arith(N, "-", f.threshold, value)


def _count(f: ir.DeductScore, dev: ir.Expr) -> ir.Expr:
    """How many units dev is: n = dev / unit, counted as the form says."""
    n: ir.Expr = ir.Arith(ir.NUMBER, "/", dev, f.unit, f.subject)
    if f.counting == "whole":
        return ir.Call(ir.NUMBER, "floor", (n,))
    if f.counting == "started":
        return ir.Call(ir.NUMBER, "ceil", (n,))
    return n


def scaled_raw(f: ir.ScoreForm, ind: ir.Indicator, places: int) -> ir.Expr | None:
    """The raw points times 10^places, for rounding to whole numbers, where that takes fewer
    passes over the column than lower_form's expression and then rounding's own scaling (the
    same number and the same missing rows, so the same score); None for other forms.

    ratio(target: T), constant T > 0, weight W > 0: min(value · (W·10^p / T), W·10^p) — two
    passes instead of four (divide, min, multiply, scale). deduct P per U (constants, U > 0),
    counted continuously: W·10^p − max(dev, 0) · (P·10^p / U)."""
    N = ir.NUMBER
    s = 10**places
    full = ind.weight * s
    value = ir.Slot(ind.value.type if ind.value is not None else N, f"val:{ind.id}")
    if isinstance(f, ir.RatioScore) and not f.reverse and _positive(f.target) and ind.weight > 0:
        times = ir.Arith(N, "*", value, ir.Const(N, full / f.target.value), "")
        return ir.Call(N, "min", (times, ir.Const(N, full)))
    if (isinstance(f, ir.DeductScore) and f.counting == "continuous" and _positive(f.unit)
            and isinstance(f.points, ir.Const) and isinstance(f.points.value, Fraction)):
        over = ir.Call(N, "max", (_deviation(f, value), ZERO))
        body = ir.Arith(N, "-", ir.Const(N, full), ir.Arith(N, "*", over, ir.Const(N, f.points.value * s / f.unit.value), ""))
        # value − threshold meets value's missing reason first, as the Guard does; with the
        # Guard (for threshold − value) a row decided exactly goes whole to the reference
        return body if f.direction == "over" else Guard(N, (value, f.points, f.unit, f.threshold), body)
    return None


def lower_form(f: ir.ScoreForm, ind: ir.Indicator) -> ir.Expr:
    """A scoring form as an expression of the raw points, with the reference's missing order."""
    vt = ind.value.type if ind.value is not None else ir.NUMBER
    value = ir.Slot(vt, f"val:{ind.id}")
    full = ir.Const(ir.NUMBER, ind.weight)
    N = ir.NUMBER
    if isinstance(f, ir.ExprScore):
        return f.expr
    if isinstance(f, ir.RatioScore):
        if f.reverse:
            return ir.If(N, ir.Cmp(ir.BOOL, "<=", value, f.target), full,
                         ir.Arith(N, "*", ir.Arith(N, "/", f.target, value, "value"), full))
        q = ir.Arith(N, "/", value, f.target, f.subject)
        return ir.Arith(N, "*", ir.Call(N, "min", (q, ONE)), full)
    if isinstance(f, ir.BandsScore):
        return BandsNode(N, value, tuple((b.cond, b.points) for b in f.bands), f.otherwise)
    if isinstance(f, ir.LinearScore):
        xs, ps = f.xs, f.points
        body: ir.Expr = ps[-1]
        for i in reversed(range(len(xs) - 1)):
            x0, x1, p0, p1 = xs[i], xs[i + 1], ps[i], ps[i + 1]
            inside = ir.Logic(ir.BOOL, "and", ir.Cmp(ir.BOOL, "<=", x0, value), ir.Cmp(ir.BOOL, "<=", value, x1))
            slope = ir.Arith(N, "/", ir.Arith(N, "*", ir.Arith(N, "-", value, x0), ir.Arith(N, "-", p1, p0)),
                             ir.Arith(N, "-", x1, x0), "")
            body = ir.If(N, inside, ir.Arith(N, "+", p0, slope), body)
        body = ir.If(N, ir.Cmp(ir.BOOL, ">=", value, xs[-1]), ps[-1], body)
        body = ir.If(N, ir.Cmp(ir.BOOL, "<=", value, xs[0]), ps[0], body)
        return Guard(N, (value, *xs, *ps), body)
    if isinstance(f, ir.DeductScore):
        dev = _deviation(f, value)
        if _positive(f.unit):
            # n counted from max(dev, 0): 0 where dev ≤ 0, so full there — the same number as
            # the general form below, without its comparison and its choice of two columns
            body = ir.Arith(N, "-", full, ir.Arith(N, "*", _count(f, ir.Call(N, "max", (dev, ZERO))), f.points))
        else:  # (a unit that may be 0 must not be divided by where dev ≤ 0)
            body = ir.If(N, ir.Cmp(ir.BOOL, "<=", dev, ZERO), full,
                         ir.Arith(N, "-", full, ir.Arith(N, "*", _count(f, dev), f.points)))
        return Guard(N, (value, f.points, f.unit, f.threshold), body)
    if isinstance(f, ir.ChecklistScore):
        return ChecklistNode(N, tuple((b.cond, b.points) for b in f.items))
    if isinstance(f, ir.EitherScore):
        return EitherNode(N, lower_form(f.first, ind), lower_form(f.second, ind), f.mode)
    raise Unsupported(f"score form {type(f).__name__}")


# ---- non-numeric column values
class Bool:
    __slots__ = ("v", "m")

    def __init__(self, v, m=0):
        self.v, self.m = v, m


class Text:
    """Dictionary-encoded text: codes into `cats` (a tuple of str)."""

    __slots__ = ("c", "cats", "m")

    def __init__(self, c, cats: tuple, m=0):
        self.c, self.cats, self.m = c, cats, m


class Date:
    """Dates as proleptic ordinals (date.toordinal())."""

    __slots__ = ("v", "m")

    def __init__(self, v, m=0):
        self.v, self.m = v, m


def kind_of(t: ir.Type) -> str:
    if t.numeric:
        return "num"
    if t.kind in ("text", "choice"):
        return "text"
    if t.kind in ("bool", "date"):
        return t.kind
    raise Unsupported(f"values of type {t}")


def missing_of(kind: str, rid: int):
    if kind == "num":
        return Num(0.0, 0.0, 0.0, 1.0, rid, dp=0)
    if kind == "text":
        return Text(0, ("",), rid)
    if kind == "bool":
        return Bool(False, rid)
    return Date(0, rid)


def unify_text(a: Text, b: Text):
    """Both texts over one category tuple."""
    if a.cats == b.cats:
        return a, b
    cats = tuple(dict.fromkeys(a.cats + b.cats))
    index = {c: i for i, c in enumerate(cats)}
    return (Text(_remap(a, index), cats, a.m), Text(_remap(b, index), cats, b.m))


def _remap(t: Text, index: dict):
    lut = np.array([index[c] for c in t.cats], dtype=np.int32)
    return lut[t.c] if not cn.is_scalar(t.c) else int(lut[t.c])


def select(mask, a, b, precise: bool = False):
    """Row-wise a where mask else b, for any kind of value."""
    if isinstance(a, Num):
        return cn.select(mask, a, b, precise)
    if cn.is_scalar(mask):
        return a if mask else b
    if isinstance(a, Text):
        a, b = unify_text(a, b)
        return Text(cn.pick(mask, a.c, b.c), a.cats, cn.pick(mask, a.m, b.m))
    cls = type(a)
    return cls(cn.pick(mask, a.v, b.v), cn.pick(mask, a.m, b.m))


def with_missing(x, m):
    """x with missing reasons m taking precedence (m first, then x's own)."""
    if cn.zero(m):
        return x
    mm = cn.first(m, x.m)
    if isinstance(x, Num):
        return Num(x.f, x.e, x.r, x.d, mm, dp=x.dp)
    if isinstance(x, Text):
        return Text(x.c, x.cats, mm)
    return type(x)(x.v, mm)


class Reasons:
    """Missing reasons ↔ small integer ids (0 means present)."""

    def __init__(self, base: "Reasons | None" = None):
        self.items: list = list(base.items) if base else [None]
        self.index: dict = dict(base.index) if base else {}

    def id(self, reason: Missing) -> int:
        i = self.index.get(reason)
        if i is None:
            i = self.index[reason] = len(self.items)
            self.items.append(reason)
        return i


def take(v, idx):
    """The rows idx of a column value."""
    if isinstance(v, Num):
        return v.take(idx)

    def t(x):
        return x if cn.is_scalar(x) else x[idx]

    if isinstance(v, Text):
        return Text(t(v.c), v.cats, t(v.m))
    return type(v)(t(v.v), t(v.m))


def _pres(m):
    if cn.is_scalar(m):
        return np.bool_(m == 0)
    return m == 0


