"""The columnar backend: the IR evaluated a whole column at a time with numpy.

It reads the same IR as the reference and the row evaluator, walking the nodes as objects
(no generated source). Numbers are float64 with certified error and denominator bounds
(see colnum); missing values are reason-id arrays, never exceptions. Every decision is
either certain from the float, certainly a tie, or *residual*: residual rows, and rows whose
inputs could not be represented safely, are re-evaluated one by one with the exact reference
evaluator and spliced in. The results therefore equal the reference's for every row.

Scoring forms are first lowered to expressions (ratio → min(value / target, 1) × full, deduct
→ guarded arithmetic, …) so that one interpreter covers them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import numpy as np

from .. import ir
from ..runtime import ops
from ..runtime.missing import Missing
from ..runtime.numbers import round_fraction
from ..runtime.timeprogress import time_progress
from . import colnum as cn
from .colnum import Num
from .common import excluded_weight
from .result import RawResult

ZERO = ir.Const(ir.NUMBER, Fraction(0))
ONE = ir.Const(ir.NUMBER, Fraction(1))


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
        q = ir.Arith(N, "/", value, f.target, "target")
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
        dev = ir.Arith(N, "-", value, f.threshold) if f.direction == "over" else ir.Arith(N, "-", f.threshold, value)
        n: ir.Expr = ir.Arith(N, "/", dev, f.unit, "per")
        if f.counting == "whole":
            n = ir.Call(N, "floor", (n,))
        elif f.counting == "started":
            n = ir.Call(N, "ceil", (n,))
        body = ir.If(N, ir.Cmp(ir.BOOL, "<=", dev, ZERO), full, ir.Arith(N, "-", full, ir.Arith(N, "*", n, f.points)))
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


def _w(mask, x, y):
    if cn.is_scalar(x) and cn.is_scalar(y) and x == y:
        return x
    return np.where(mask, x, y)


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
        return Text(_w(mask, a.c, b.c), a.cats, _w(mask, a.m, b.m))
    cls = type(a)
    return cls(_w(mask, a.v, b.v), _w(mask, a.m, b.m))


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


# ---- evaluation of one chunk
class ChunkRun:
    """The expression interpreter over one chunk of rows (the fast tier).

    Decisions whose float margin is within the error bound are *suspects*; their operands are
    re-evaluated for just those rows by a SubRun (the precise tier), see colnum."""

    precise = False

    def __init__(self, ev: "ColumnarEvaluator", n: int, env: dict, as_of: date | None, reasons: Reasons):
        self.E = ev
        self.n = n
        self.env = env
        self.reasons = reasons
        self.residual = np.zeros(n, dtype=bool)
        self.suspects = 0
        self.exact_rows: dict = {}
        self.exact_env = None  # row → its inputs as exact runtime values (set by the caller)
        self.as_of = as_of
        if as_of is None:
            env["as_of"] = Date(0, reasons.id(Missing("as_of_missing", "")))
        else:
            env["as_of"] = Date(as_of.toordinal(), 0)

    def note(self, resid) -> None:
        """Rows the exact reference evaluator must take (a bool mask over this run's rows)."""
        if resid is not None and not (cn.is_scalar(resid) and not resid):
            self.residual |= resid

    def ev(self, e: ir.Expr):
        return getattr(self, "_" + type(e).__name__)(e)

    def sub(self, idx) -> "SubRun":
        self.suspects += len(idx)
        return SubRun(self, idx)

    # ---- decisions: fast answer, suspects re-decided precisely
    def cmp_num(self, op: str, a: Num, b: Num, left: ir.Expr | None, right: ir.Expr | None):
        if self.precise:
            v, resid = cn.compare(op, a, b)
            self.note(resid)
            return v
        v, sus = cn.compare_fast(op, a, b)
        if sus is None:
            return v
        if isinstance(sus, str):
            v, resid = cn.compare(op, a, b)
            if resid is not None:
                v = self._exact_fix(v, np.flatnonzero(np.broadcast_to(resid, (self.n,))),
                                    lambda x: ops.cmp(op, x.value(left, a), x.value(right, b)) is True)
            return v
        sub = self.sub(sus)
        pa_ = sub.ev(left) if left is not None else a.take(sus)
        pb_ = sub.ev(right) if right is not None else b.take(sus)
        pv, resid = cn.compare(op, pa_, pb_)
        pv = self._exact_fix_sub(sub, pv, resid, lambda x: ops.cmp(op, x.value(left, a), x.value(right, b)) is True)
        return _patch(v, sus, pv, self.n)

    def is_zero(self, b: Num, node: ir.Expr | None):
        if self.precise:
            z, resid = cn.is_zero_precise(b)
            self.note(resid)
            return z
        z, sus = cn.is_zero_fast(b)
        if sus is None:
            return z
        if isinstance(sus, str):
            z, resid = cn.is_zero_precise(b)
            if resid is not None:
                z = self._exact_fix(z, np.flatnonzero(np.broadcast_to(resid, (self.n,))),
                                    lambda x: x.value(node, b) == 0)
            return z
        sub = self.sub(sus)
        pz, resid = cn.is_zero_precise(sub.ev(node) if node is not None else b.take(sus))
        pz = self._exact_fix_sub(sub, pz, resid, lambda x: x.value(node, b) == 0)
        return _patch(z, sus, pz, self.n)

    def round(self, x: Num, node: ir.Expr | None, places: int, mode: str):
        """x rounded to `places` as runtime round_fraction: float64 holding the integer q.
        (Rows where q would not fit a float exactly go to the reference.)"""
        q = self._round(x, node, places, mode)
        huge = np.abs(q) >= cn.BIG
        if np.any(huge):
            self.note(np.broadcast_to(huge, (self.n,)) & np.broadcast_to(_pres(x.m), (self.n,)))
        return q

    def _round(self, x: Num, node: ir.Expr | None, places: int, mode: str):
        if self.precise:
            q, resid = cn.round_q(x, places, mode)
            self.note(resid)
            return q
        if mode == "truncate":
            y, sus = cn.trunc_fast(x, places)
            q = np.trunc(y)
        else:
            q, sus = cn.round_fast(x, places, mode)
        exact = lambda xr: float(_scaled(round_fraction(Fraction(xr.value(node, x)), places, mode), places))  # noqa: E731
        if sus is None:
            return q
        if isinstance(sus, str):
            q, resid = cn.round_q(x, places, mode)
            if resid is not None:
                q = self._exact_fix(q, np.flatnonzero(np.broadcast_to(resid, (self.n,))), exact)
            return q
        sub = self.sub(sus)
        pq, resid = cn.round_q(sub.ev(node) if node is not None else x.take(sus), places, mode)
        pq = self._exact_fix_sub(sub, pq, resid, exact)
        return _patch(q, sus, pq, self.n)

    def floor_ceil(self, x: Num, node: ir.Expr, ceil: bool) -> Num:
        if self.precise:
            out, resid = cn.floor_ceil(x, ceil)
            self.note(resid)
            return out
        y, sus = cn.trunc_fast(x, 0)
        val = np.ceil(y) if ceil else np.floor(y)
        exact = lambda xr: float(math.ceil(xr.value(node, x)) if ceil else math.floor(xr.value(node, x)))  # noqa: E731
        if sus is not None:
            if isinstance(sus, str):
                out, resid = cn.floor_ceil(x, ceil)
                if resid is not None:
                    out.f = self._exact_fix(out.f, np.flatnonzero(np.broadcast_to(resid, (self.n,))), exact)
                return out
            sub = self.sub(sus)
            pout, resid = cn.floor_ceil(sub.ev(node), ceil)
            pv = self._exact_fix_sub(sub, pout.f, resid, exact)
            val = _patch(val, sus, pv, self.n)
        return Num(val, 0.0, 0.0, 1.0, x.m, dp=0)

    # ---- the exact tier: rows the precise tier could not decide
    def _exact_fix_sub(self, sub: "SubRun", pv, resid, decide):
        bad = sub.residual
        if resid is not None:
            bad = bad | np.broadcast_to(resid, (sub.n,))
        if not bad.any():
            return pv
        pv = np.array(np.broadcast_to(pv, (sub.n,)))
        for j in np.flatnonzero(bad):
            pv[j] = self._exact_one(int(sub.rows[j]), decide, pv[j])
        return pv

    def _exact_fix(self, v, rows, decide):
        v = np.array(np.broadcast_to(v, (self.n,)))
        for i in rows:
            v[i] = self._exact_one(int(i), decide, v[i])
        return v

    def _exact_one(self, i: int, decide, fallback):
        """One row's decision with exact fractions; a row it cannot do goes to the reference."""
        if self.residual[i] or self.exact_env is None:
            self.residual[i] = True
            return fallback
        x = self.exact_rows.get(i)
        if x is None:
            x = self.exact_rows[i] = ExactRow(self, i)
        try:
            return decide(x)
        except GiveUp:
            self.residual[i] = True
            return fallback

    def decimal(self, x: Num, node: ir.Expr | None, places: int, mode: str = "half_up"):
        """x rounded to `places` as integers (int64, or Python ints where they do not fit):
        snapped from the float when x is a short decimal, else rounded (certified); digits a
        float cannot hold (|x|·10^places ≥ 2^52) come from the exact tier."""
        n = self.n
        snapped = cn.snap_q(x, places)
        if snapped is not None and snapped[1] is None:
            return snapped[0]
        big = np.broadcast_to(np.abs(x.f) * 10.0**places >= cn.BIG, (n,)) & np.broadcast_to(_pres(x.m), (n,))
        if snapped is not None:
            big &= snapped[1]
        if big.any():
            x = Num(np.where(big, 0.0, x.f), x.e, x.r, x.d, x.m, x.k, x.dp)  # the float path skips them
        q = np.broadcast_to(self.round(x, node, places, mode), (n,)).astype(np.int64)
        if snapped is not None:
            sq, unsure = snapped
            q = np.where(unsure, q, sq) if sq.dtype != object else np.array(
                [int(a) if u else b for a, b, u in zip(q, sq, unsure)], dtype=object)
        if big.any():
            q = q.astype(object)
            for i in np.flatnonzero(big):
                q[i] = self._exact_one(int(i), lambda r: _scaled(round_fraction(Fraction(r.value(node, x)), places, mode), places), 0)
        return q

    # ---- leaves of expressions
    def _Const(self, e: ir.Const):
        v = e.value
        if isinstance(v, bool):
            return Bool(v, 0)
        if isinstance(v, Fraction):
            return self.E.consts[v]
        if isinstance(v, str):
            return Text(0, (v,), 0)
        if isinstance(v, date):
            return Date(v.toordinal(), 0)
        raise Unsupported(f"constant {v!r}")

    def _Slot(self, e: ir.Slot):
        return self.env[e.key]

    def _MissingNode(self, e: MissingNode):
        return missing_of("num", self.reasons.id(e.reason))

    # ---- arithmetic and logic
    def _Arith(self, e: ir.Arith):
        a, b = self.ev(e.left), self.ev(e.right)
        P = self.precise
        if e.op == "+":
            return cn.add(a, b, False, P)
        if e.op == "-":
            return cn.add(a, b, True, P)
        if e.op == "*":
            return cn.mul(a, b, P)
        isz = self.is_zero(b, e.right)
        return cn.div(a, b, isz, self.reasons.id(Missing("div_zero", e.subject)), P)

    def _Neg(self, e: ir.Neg):
        return cn.neg(self.ev(e.operand))

    def _Cmp(self, e: ir.Cmp):
        a, b = self.ev(e.left), self.ev(e.right)
        m = cn.first(a.m, b.m)
        if isinstance(a, Num):
            return Bool(self.cmp_num(e.op, a, b, e.left, e.right), m)
        if isinstance(a, Text):
            a, b = unify_text(a, b)
            eq = np.asarray(a.c == b.c)
            if e.op not in ("==", "!="):
                raise Unsupported(f"text comparison {e.op}")
            return Bool(eq if e.op == "==" else ~eq, m)
        return Bool(cn._cmp_op(e.op, a.v, b.v), m)

    def _Logic(self, e: ir.Logic):
        a, b = self.ev(e.left), self.ev(e.right)
        pa, pb = _pres(a.m), _pres(b.m)
        if e.op == "and":
            decided = (pa & ~np.asarray(a.v)) | (pb & ~np.asarray(b.v))
            value = ~decided
        else:
            decided = (pa & np.asarray(a.v)) | (pb & np.asarray(b.v))
            value = decided
        m = cn.first(a.m, b.m)
        if not cn.zero(m):
            m = np.where(decided, 0, m)
        return Bool(value, m)

    def _Not(self, e: ir.Not):
        a = self.ev(e.operand)
        return Bool(~np.asarray(a.v), a.m)

    def _If(self, e: ir.If):
        c = self.ev(e.cond)
        out = select(np.asarray(c.v), self.ev(e.then), self.ev(e.orelse), self.precise)
        return with_missing(out, c.m)

    def _Guard(self, e: Guard):
        m = 0
        for c in e.checks:
            m = cn.first(m, self.ev(c).m)
        return with_missing(self.ev(e.body), m)

    # ---- calls
    def _Call(self, e: ir.Call):
        fn = e.fn
        P = self.precise
        if fn in ("min", "max"):
            args = [self.ev(a) for a in e.args]
            out = args[0]
            for a in args[1:]:
                out = cn.minmax(out, a, fn == "max", P)
            return out
        if fn == "abs":
            return cn.absolute(self.ev(e.args[0]))
        if fn == "round":
            x = self.ev(e.args[0])
            p = int(e.args[1].value)
            q = self.round(x, e.args[0], p, e.options[0] if e.options else "half_up")
            return cn.from_q(q, p, x.m)
        if fn in ("floor", "ceil"):
            return self.floor_ceil(self.ev(e.args[0]), e.args[0], fn == "ceil")
        if fn == "coalesce":
            args = [self.ev(a) for a in e.args]
            out = args[-1]
            for a in reversed(args[:-1]):
                out = select(_pres(a.m), a, out, P)
            return out
        if fn == "is_missing":
            a = self.ev(e.args[0])
            return Bool(~_pres(a.m), 0)
        if fn == "time_progress":
            return self._per_date(self.ev(e.args[0]), lambda d: time_progress(d, *e.options))
        if fn in ("year", "month"):
            return self._per_date(self.ev(e.args[0]), lambda d: Fraction(d.year if fn == "year" else d.month))
        raise Unsupported(f"function {fn}")

    def _per_date(self, d: Date, fn) -> Num:
        if cn.is_scalar(d.v):
            x = cn.const(fn(date.fromordinal(max(int(d.v), 1))))
            return Num(x.f, x.e, x.r, x.d, d.m, dp=x.dp)
        uniq, inv = np.unique(d.v, return_inverse=True)
        vals = [cn.const(fn(date.fromordinal(max(int(u), 1)))) for u in uniq]
        f = np.array([v.f for v in vals])[inv]
        dps = [v.dp for v in vals]
        return Num(f, 0.0, max(v.r for v in vals), max(v.d for v in vals), d.m,
                   dp=None if None in dps else max(dps))

    # ---- match and the lowered forms
    def _Match(self, e: ir.Match):
        s = self.ev(e.subject)
        n = self.n
        case = np.full(n, -1, dtype=np.int32)
        for i, c in enumerate(e.cases):
            hit = np.zeros(n, dtype=bool)
            for v in c.values:
                hit |= self._equals(s, v, e.subject)
            case = np.where((case < 0) & hit, i, case)
        results = [self.ev(c.result) for c in e.cases]
        if e.default is not None:
            out = self.ev(e.default)
        else:
            out = self._no_case(s, case < 0, kind_of(e.type))
        for i in reversed(range(len(results))):
            out = select(case == i, results[i], out, self.precise)
        return with_missing(out, s.m)

    def _equals(self, s, v, node) -> np.ndarray:
        n = self.n
        if isinstance(s, Num):
            if isinstance(v, bool):
                v = Fraction(int(v))
            if not isinstance(v, Fraction):
                return np.zeros(n, dtype=bool)
            eq = self.cmp_num("==", s, self.E.consts[v], node, None)
            return np.broadcast_to(eq, (n,))
        if isinstance(s, Text):
            if not isinstance(v, str) or v not in s.cats:
                return np.zeros(n, dtype=bool)
            return np.broadcast_to(s.c == s.cats.index(v), (n,))
        if isinstance(s, Bool):
            if isinstance(v, (bool, Fraction)) and v in (0, 1):
                return np.broadcast_to(np.asarray(s.v) == bool(v), (n,))
        return np.zeros(n, dtype=bool)

    def _no_case(self, s, rows, kind: str):
        rows = rows & _pres(s.m)
        return self._dynamic_missing("no_case", s, rows, kind)

    def _dynamic_missing(self, code: str, subject, rows, kind: str):
        """Missing whose reason shows a value (no_case, no_band): one reason per shown text."""
        m = np.zeros(self.n, dtype=np.int32)
        idx = np.flatnonzero(rows)
        if len(idx):
            texts = self.E.show(subject, idx, self.reasons, self)
            for i, t in zip(idx, texts):
                m[i] = self.reasons.id(Missing(code, t))
        return missing_of(kind, m)

    def _BandsNode(self, e: BandsNode):
        n = self.n
        chosen = np.zeros(n, dtype=bool)
        fm = 0
        out = None
        for cond, pts in e.bands:
            c = self.ev(cond)
            hit = ~chosen & _pres(c.m) & np.asarray(c.v)
            p = self.ev(pts)
            out = p if out is None else select(hit, p, out, self.precise)
            chosen |= hit
            if not cn.zero(c.m):
                fm = cn.first(fm, c.m)
        rest = ~chosen
        if e.otherwise is not None:
            other = self.ev(e.otherwise)
        else:
            value = self.ev(e.value) if e.value is not None else missing_of("num", 0)
            other = self._dynamic_missing("no_band", value, rest & ~(np.asarray(fm) != 0), "num")
        other = with_missing(other, fm)
        return other if out is None else select(chosen, out, other, self.precise)

    def _ChecklistNode(self, e: ChecklistNode):
        total = self.E.consts[Fraction(0)]
        m = np.zeros(self.n, dtype=np.int32)
        for cond, pts in e.items:
            c = self.ev(cond)
            fresh = (m == 0) & ~_pres(c.m)
            m = np.where(fresh, c.m, m)
            take = (m == 0) & np.asarray(c.v)
            p = self.ev(pts)
            m = np.where(take & ~_pres(p.m), p.m, m)
            total = cn.select(take & (m == 0), cn.add(total, p, False, self.precise), total, self.precise)
        return Num(total.f, total.e, total.r, total.d, m, dp=total.dp)

    def _EitherNode(self, e: EitherNode):
        a = self.ev(e.first)
        b = self.ev(e.second)
        P = self.precise
        if e.mode == "available":
            return select(_pres(a.m), a, b, P)
        best = cn.minmax(Num(a.f, a.e, a.r, a.d, 0, dp=a.dp), Num(b.f, b.e, b.r, b.d, 0, dp=b.dp), True, P)
        return select(~_pres(a.m), b, select(~_pres(b.m), a, best, P), P)


class SubRun(ChunkRun):
    """The precise tier: re-evaluates expressions for the rows `idx` of a chunk with per-row
    bounds. Slots are recomputed from their definitions (inputs with per-row decimal places);
    scores, the total and grades are exact decimals already and are taken as they are."""

    precise = True

    def __init__(self, parent: ChunkRun, idx: np.ndarray):
        self.E = parent.E
        self.parent = parent
        self.rows = idx
        self.n = len(idx)
        self.reasons = parent.reasons
        self.env = {}
        self.residual = np.zeros(self.n, dtype=bool)

    def note(self, resid) -> None:
        """Rows this tier cannot decide: the enclosing decision takes them to the exact tier."""
        if resid is None or (cn.is_scalar(resid) and not resid):
            return
        self.residual |= np.broadcast_to(resid, (self.n,))

    def sub(self, idx):  # pragma: no cover - the precise tier decides everything itself
        raise AssertionError("nested precise evaluation")

    def _Slot(self, e: ir.Slot):
        v = self.env.get(e.key)
        if v is None:
            v = self.env[e.key] = self._slot(e.key)
        return v

    def _slot(self, key: str):
        defn = self.E.definitions.get(key)
        if defn is not None:
            return self.ev(defn)
        v = self.parent.env[key]
        return take(v, self.rows)


def take(v, idx):
    """The rows idx of a column value."""
    if isinstance(v, Num):
        return v.take(idx)

    def t(x):
        return x if cn.is_scalar(x) else x[idx]

    if isinstance(v, Text):
        return Text(t(v.c), v.cats, t(v.m))
    return type(v)(t(v.v), t(v.m))


class GiveUp(Exception):
    """The exact tier cannot compute this value for the row (the reference takes the row)."""


class ExactRow:
    """One row evaluated with exact fractions by the reference interpreter, lazily: inputs are
    converted exactly from the raw cells, lets and values computed from their definitions;
    scores, the total and grades (already exact decimals) are read from the fast tier."""

    def __init__(self, run: ChunkRun, i: int):
        from .reference import _Run

        self.run, self.i = run, i
        ev = run.E
        self.ref = _Run(ev.p, {}, run.as_of, None)
        self.ref.env = _LazyEnv(self)
        self.inputs = None

    def value(self, node, num: Num | None = None):
        ev = self.run.E
        if node is None:
            return self.slot_value(num)
        ind = ev.form_of.get(id(node))
        if ind is not None:
            self.ref.env[f"val:{ind.id}"]  # noqa: B018 - computes the value slot
            return self.ref.form(ind.score, ind)
        if type(node) not in _KNOWN:
            raise GiveUp(type(node).__name__)
        return self.ref.ev(node)

    def slot_value(self, num: Num | None):
        """The exact value of a fast-tier number that is a short decimal (scores, the total)."""
        if num is None or num.dp is None:
            raise GiveUp("no exact form")
        m = int(np.broadcast_to(num.m, (self.run.n,))[self.i])
        if m:
            return self.run.reasons.items[m]
        f = float(np.broadcast_to(num.f, (self.run.n,))[self.i])
        return Fraction(round(f * 10**num.dp), 10**num.dp)

    def lookup(self, key: str):
        ev = self.run.E
        if key.startswith("in:"):
            if self.inputs is None:
                self.inputs = self.run.exact_env(self.i)
            return self.inputs[key]
        defn = ev.definitions.get(key)
        if defn is not None:
            return self.value(defn)
        v = self.run.env[key]
        if isinstance(v, Num):
            return self.slot_value(v)
        n, i = self.run.n, self.i
        m = int(np.broadcast_to(v.m, (n,))[i])
        if m:
            return self.run.reasons.items[m]
        if isinstance(v, Text):
            return v.cats[int(np.broadcast_to(v.c, (n,))[i])]
        if isinstance(v, Bool):
            return bool(np.broadcast_to(v.v, (n,))[i])
        return date.fromordinal(int(np.broadcast_to(v.v, (n,))[i]))


class _LazyEnv(dict):
    def __init__(self, row: ExactRow):
        super().__init__()
        self.row = row
        self["as_of"] = row.run.as_of if row.run.as_of is not None else Missing("as_of_missing", "")

    def __missing__(self, key):
        v = self[key] = self.row.lookup(key)
        return v


def _scaled(q: Fraction, places: int) -> int:
    return q.numerator * 10**places // q.denominator


def _patch(v, idx, pv, n):
    out = np.array(np.broadcast_to(v, (n,)))
    out[idx] = np.broadcast_to(pv, (len(idx),))
    return out


def _pres(m):
    if cn.is_scalar(m):
        return np.bool_(m == 0)
    return m == 0


def _bad(e):
    raise Unsupported(f"text comparison {e.op}")


def walk_all(program: ir.Program):
    """Every expression the program evaluates (to check the backend supports them)."""
    for step in program.steps:
        if isinstance(step, ir.LetStep):
            yield from ir.walk(step.expr)
    for ind in program.indicators:
        if ind.value is not None:
            yield from ir.walk(ind.value)
        if ind.score is not None:
            for x in ir.form_exprs(ind.score):
                yield from ir.walk(x)
    for a in program.alerts:
        yield from ir.walk(a.cond)
        for part in a.message:
            if part.expr is not None:
                yield from ir.walk(part.expr)
    for o in program.outputs:
        yield from ir.walk(o.expr)


_KNOWN = (ir.Const, ir.Slot, ir.Arith, ir.Neg, ir.Cmp, ir.Logic, ir.Not, ir.If, ir.Call, ir.Match)
_FUNCTIONS = ("min", "max", "abs", "round", "floor", "ceil", "coalesce", "is_missing", "time_progress", "year", "month")


def check_supported(program: ir.Program) -> None:
    for x in walk_all(program):
        if type(x) not in _KNOWN:
            raise Unsupported(f"expression {type(x).__name__}")
        if isinstance(x, ir.Call) and x.fn not in _FUNCTIONS:
            raise Unsupported(f"function {x.fn}")
        if x.type.kind == "unknown":
            raise Unsupported("an expression of unknown type")
        if isinstance(x, ir.Call) and x.fn == "round":
            p = x.args[1]
            if not isinstance(p, ir.Const) or not isinstance(p.value, Fraction) or p.value < 0:
                raise Unsupported("round() with non-constant places")
    for spec in program.inputs:
        kind_of(spec.type)


@dataclass
class ChunkResult:
    """What the columnar backend returns for a chunk of n rows.

    Rows listed in `exact` were evaluated by the reference evaluator (their RawResult is there);
    every other array entry of those rows is meaningless. Rows in `skip` were not evaluated at all
    (the caller knows why: a conversion error)."""

    n: int
    reasons: list  # reason id → Missing (index 0: None)
    values: dict = field(default_factory=dict)  # leaf id → Num | Text | Bool | Date
    scores: dict = field(default_factory=dict)  # indicator id → Num (the score)
    missing: dict = field(default_factory=dict)  # leaf id → bool array: raw points missing (flag, or excluded)
    clamped: dict = field(default_factory=dict)  # leaf id → (low, high) bool arrays (meaningful where present)
    flag_reason: dict = field(default_factory=dict)  # leaf id → reason ids (missing/excluded)
    raw: dict = field(default_factory=dict)  # leaf id → Num of the raw points (for clamp messages)
    score_q: dict = field(default_factory=dict)  # indicator id → int64 score × 10^places
    value_q: dict = field(default_factory=dict)  # leaf id → int64 (or Python ints) value × 10^10
    output_q: dict = field(default_factory=dict)
    clamp_q: dict = field(default_factory=dict)  # leaf id → raw points × 10^4 (clamped rows)
    alert_q: list = field(default_factory=list)
    total_q: np.ndarray | None = None
    excluded: dict = field(default_factory=dict)  # indicator id → bool array
    total: Num | None = None
    grades: list = field(default_factory=list)  # per program.grades: int16 codes (-1: none)
    alerts: list = field(default_factory=list)  # per program.alert: fired bool array
    alert_parts: list = field(default_factory=list)  # per alert: [text | value per part]
    outputs: dict = field(default_factory=dict)  # output name → value
    error_leaf: np.ndarray | None = None  # first leaf (id) whose missing policy is error, -1 none
    error_reason: np.ndarray | None = None
    exact: dict = field(default_factory=dict)  # row → RawResult from the reference evaluator
    skip: np.ndarray | None = None


class ColumnarEvaluator:
    """Compiles a program for column-at-a-time evaluation. Raises Unsupported when it cannot."""

    def __init__(self, program: ir.Program):
        check_supported(program)
        self.p = program
        self.s = program.settings
        self.raw_expr = {}
        for ind in program.indicators:
            if ind.is_leaf:
                if ind.score is not None:
                    self.raw_expr[ind.id] = lower_form(ind.score, ind)
                else:
                    self.raw_expr[ind.id] = MissingNode(ir.NUMBER, Missing("no_value", ind.name))
        self.form_of = {id(node): program.indicators[i] for i, node in self.raw_expr.items()
                        if program.indicators[i].score is not None}
        self.reasons = Reasons()
        for spec in program.inputs:
            self.reasons.id(Missing("input_missing", spec.name))
        self.consts = _ConstCache()
        # how the precise tier recomputes a slot for a few rows
        self.definitions = {st.key: st.expr for st in program.steps if isinstance(st, ir.LetStep)}
        for ind in program.indicators:
            if ind.is_leaf:
                self.definitions[f"val:{ind.id}"] = (ind.value if ind.value is not None
                                                     else MissingNode(ir.NUMBER, Missing("no_value", ind.name)))
        self._normal_root = {i.id: self._root_kind(i) == "normal" for i in program.indicators}

    def _root_kind(self, ind: ir.Indicator) -> str:
        while ind.parent is not None:
            ind = self.p.indicators[ind.parent]
        return ind.kind

    def input_reason(self, name: str) -> int:
        return self.reasons.index[Missing("input_missing", name)]

    # ---- one chunk
    def run(self, n: int, inputs: dict, as_of: date | None, skip: np.ndarray | None, exact_rows,
            exact_env) -> ChunkResult:
        """Evaluate a chunk. `inputs` maps 'in:NAME' → column value; `skip` marks rows not to
        evaluate; `exact_rows` must go to the reference; `exact_env(row)` gives one row's inputs
        as exact runtime values (convert_record's env), for the exact tier and the reference."""
        from .reference import evaluate

        reasons = Reasons(self.reasons)
        run = ChunkRun(self, n, dict(inputs), as_of, reasons)
        run.exact_env = exact_env
        if skip is not None:
            run.residual |= skip  # rows not evaluated here: no tier looks at them
        res = ChunkResult(n, reasons.items)
        res.skip = skip
        with np.errstate(all="ignore"):
            for step in self.p.steps:
                if isinstance(step, ir.LetStep):
                    run.env[step.key] = run.ev(step.expr)
                elif isinstance(step, ir.LeafStep):
                    self._leaf(run, res, self.p.indicators[step.ind])
                elif isinstance(step, ir.GroupStep):
                    self._group(run, res, self.p.indicators[step.ind])
                elif isinstance(step, ir.TotalStep):
                    self._total(run, res)
                elif isinstance(step, ir.GradeStep):
                    self._grade(run, res, step.index)
            for alert in self.p.alerts:
                c = run.ev(alert.cond)
                res.alerts.append(np.broadcast_to(_pres(c.m) & np.asarray(c.v), (n,)))
                res.alert_parts.append([p.text if p.expr is None else run.ev(p.expr) for p in alert.message])
            for out in self.p.outputs:
                res.outputs[out.name] = run.ev(out.expr)
            self._finish_formats(run, res)
        todo = run.residual
        if skip is not None:
            todo &= ~skip
        rows = set(np.flatnonzero(todo).tolist()) | set(exact_rows)
        for i in sorted(rows):
            res.exact[i] = evaluate(self.p, exact_env(i), as_of)
        res.reasons = reasons.items
        return res

    # ---- steps
    def _leaf(self, run: ChunkRun, res: ChunkResult, ind: ir.Indicator) -> None:
        s = self.s
        n = run.n
        if ind.value is not None:
            val = run.ev(ind.value)
            res.values[ind.id] = val
        else:
            val = missing_of("num", run.reasons.id(Missing("no_value", ind.name)))
        run.env[f"val:{ind.id}"] = val
        node = self.raw_expr[ind.id]
        raw = run.ev(node)
        miss = np.broadcast_to(raw.m != 0, (n,)) if not cn.is_scalar(raw.m) else np.full(n, raw.m != 0)
        w = ind.weight
        wc = self.consts[w]
        zero = self.consts[Fraction(0)]
        if not s.total_only:
            q = np.broadcast_to(run.round(raw, node, s.places, s.rounding), (n,))
            scaled = w * 10**s.places
            hi = scaled.numerator // scaled.denominator
            low, high = q < 0, q > hi
            qs = np.clip(q, 0, hi)
            if miss.any():
                qs[miss] = 0
            score = cn.from_q(qs, s.places)
            if scaled.denominator != 1:
                score = cn.select(high & ~miss, wc, score)
            else:
                res.score_q[ind.id] = qs  # float64 holding integers; converted when written
        else:
            low = np.broadcast_to(run.cmp_num("<", raw, zero, node, None), (n,))
            high = np.broadcast_to(run.cmp_num(">", raw, wc, node, None), (n,))
            score = cn.select(low, zero, cn.select(high, wc, Num(raw.f, raw.e, raw.r, raw.d, 0, dp=raw.dp)))
            score = cn.select(miss, zero, Num(score.f, score.e, score.r, score.d, 0, dp=score.dp))
        run.env[f"score:{ind.id}"] = score
        res.scores[ind.id] = score
        res.missing[ind.id] = miss
        res.clamped[ind.id] = (low, high)
        res.flag_reason[ind.id] = raw.m
        res.raw[ind.id] = raw
        res.excluded[ind.id] = miss if ind.missing == "exclude" else None
        if ind.missing == "error":
            if res.error_leaf is None:
                res.error_leaf = np.full(n, -1, dtype=np.int32)
                res.error_reason = np.zeros(n, dtype=np.int32)
            new = miss & (res.error_leaf < 0)
            res.error_leaf = np.where(new, ind.id, res.error_leaf)
            res.error_reason = np.where(new, np.broadcast_to(raw.m, (n,)), res.error_reason)

    def _group(self, run: ChunkRun, res: ChunkResult, ind: ir.Indicator) -> None:
        kids = ind.children
        score = run.env[f"score:{kids[0]}"]
        for c in kids[1:]:
            score = cn.add(score, run.env[f"score:{c}"])
        if ind.kind != "normal":
            score = cn.minmax(cn.minmax(score, self.consts[Fraction(0)], True), self.consts[ind.weight], False)
        run.env[f"score:{ind.id}"] = score
        res.scores[ind.id] = score
        ex = res.excluded[kids[0]]
        for c in kids[1:]:
            if ex is None:
                break
            x = res.excluded[c]
            ex = None if x is None else (ex & x)
        res.excluded[ind.id] = ex

    def _total(self, run: ChunkRun, res: ChunkResult) -> None:
        p, s, n = self.p, self.s, run.n
        zero = self.consts[Fraction(0)]
        base, extra = zero, zero
        for i in p.top:
            ind = p.indicators[i]
            sc = run.env[f"score:{i}"]
            if ind.kind == "normal":
                base = cn.add(base, sc)
            elif ind.kind == "bonus":
                extra = cn.add(extra, sc)
            else:
                extra = cn.add(extra, sc, minus=True)
        excl = zero
        for ind in p.indicators:
            if ind.is_leaf and self._normal_root[ind.id] and ind.missing == "exclude" and res.excluded[ind.id].any():
                excl = cn.add(excl, cn.select(res.excluded[ind.id], self.consts[ind.weight], zero))
        T = self.consts[s.total]
        all_out = np.zeros(n, dtype=bool)
        if not (cn.is_scalar(excl.f) and excl.f == 0) and np.any(excl.f):
            all_out = np.broadcast_to(run.cmp_num(">=", excl, T, None, None), (n,))
            some = np.broadcast_to(run.cmp_num(">", excl, zero, None, None), (n,)) & ~all_out
            left = cn.select(all_out, T, cn.add(T, excl, minus=True))
            scaled = cn.div(cn.mul(base, T), left, False, 0)
            base = cn.select(some, scaled, base)
        q = run.round(cn.add(base, extra), None, s.places, s.rounding)
        rid = run.reasons.id(Missing("excluded", "全部指标 / every indicator"))
        m = np.where(all_out, rid, 0) if all_out.any() else 0
        q = np.where(all_out, 0.0, np.broadcast_to(q, (n,)))
        total = cn.from_q(q, s.places, m)
        run.env["total"] = total
        res.total = total
        res.total_q = q.astype(np.int64)

    def _grade(self, run: ChunkRun, res: ChunkResult, index: int) -> None:
        g = self.p.grades[index]
        n = run.n
        score = run.env[g.target]
        valid = np.broadcast_to(_pres(score.m), (n,)).copy()
        if g.target != "total" and res.excluded[int(g.target.split(":")[1])] is not None:
            valid &= ~res.excluded[int(g.target.split(":")[1])]
        code = np.full(n, -1, dtype=np.int16)
        for i, b in enumerate(g.bands):
            open_ = valid & (code < 0)
            if not open_.any():
                break
            if b.op == "otherwise":
                hit = open_
            else:
                hit = open_ & run.cmp_num(b.op, score, self.consts[b.bound], None, None)
            code = np.where(hit, i, code)
        res.grades.append(code)
        names = tuple(b.name for b in g.bands)
        uniq = tuple(dict.fromkeys(names))
        lut = np.array([uniq.index(nm) for nm in names], dtype=np.int32)
        rid = run.reasons.id(Missing("no_band", "grade"))
        key = "grade" if g.target == "total" else f"grade:{g.target}"
        run.env[key] = Text(lut[np.maximum(code, 0)], uniq, np.where(code < 0, rid, 0).astype(np.int32))

    def _finish_formats(self, run: ChunkRun, res: ChunkResult) -> None:
        """Certify every number that will be shown as text, so residual rows are known now."""
        from .colformat import certify

        certify(self, run, res)

    def show(self, value, idx: np.ndarray, reasons: Reasons, run: ChunkRun) -> list[str]:
        """runtime `show(v)` for the rows idx: the text a no_band / no_case reason quotes."""
        from .colformat import show_values

        return show_values(self, value, idx, reasons, run)


class _ConstCache(dict):
    def __missing__(self, key: Fraction) -> Num:
        v = self[key] = cn.const(key)
        return v


def reference_rows(program: ir.Program, env: dict, as_of) -> RawResult:
    from .reference import evaluate

    return evaluate(program, env, as_of)


__all__ = ["ColumnarEvaluator", "ChunkResult", "Unsupported", "Num", "Bool", "Text", "Date", "Reasons",
           "excluded_weight", "ops"]
