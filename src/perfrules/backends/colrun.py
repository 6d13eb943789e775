"""The expression interpreter of the columnar backend, in its three tiers.

ChunkRun evaluates expressions over a chunk with chunk-wide error bounds (the fast tier);
decisions too close to call are re-decided for just those rows by a SubRun with per-row bounds
(the precise tier); rows it cannot decide get that one decision in exact fractions from the
reference interpreter (ExactRow, the exact tier); a row none can do goes whole to the reference.
See colnum for the bounds.
"""
from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING
from fractions import Fraction

import numpy as np

from .. import ir
from ..runtime import ops
from ..runtime.missing import Missing
from ..runtime.numbers import round_fraction
from ..runtime.timeprogress import time_progress
from ..runtime import population
from . import colnum as cn
from . import colpop
from .colnum import Num
from .colvalues import (_KNOWN, BandsNode, Bool, ChecklistNode, Date, EitherNode, Guard, MissingNode, Reasons, Text,
                        Unsupported, _pres, kind_of, missing_of, select, take, unify_text, with_missing)

if TYPE_CHECKING:
    from .columnar import ColumnarEvaluator


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
        self._key_columns: dict = {}  # input names (None: all) → the arrays input_keys reads
        self.as_of = as_of
        self.pop = None  # the batch's population statistics (runtime.population.Stats), if any
        self.pop_members = False  # they were computed over these records (see colpop.counts)
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
                                    lambda x: ops.cmp(op, x.value(left, a), x.value(right, b)) is True, (left, right))
            return v
        sub = self.sub(sus)
        pa_ = sub.ev(left) if left is not None else a.take(sus)
        pb_ = sub.ev(right) if right is not None else b.take(sus)
        pv, resid = cn.compare(op, pa_, pb_)
        pv = self._exact_fix_sub(sub, pv, resid, lambda x: ops.cmp(op, x.value(left, a), x.value(right, b)) is True,
                                 (left, right))
        return _patch(v, sus, pv, self.n, fresh=True)  # compare_fast's own array

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
                                    lambda x: x.value(node, b) == 0, (node,))
            return z
        sub = self.sub(sus)
        pz, resid = cn.is_zero_precise(sub.ev(node) if node is not None else b.take(sus))
        pz = self._exact_fix_sub(sub, pz, resid, lambda x: x.value(node, b) == 0, (node,))
        return _patch(z, sus, pz, self.n)

    def round(self, x: Num, node: ir.Expr | None, places: int, mode: str):
        """x rounded to `places` as runtime round_fraction: float64 holding the integer q.
        (Rows where q would not fit a float exactly go to the reference.)"""
        q = self._round(x, node, places, mode)
        if not self.precise and (x.maxabs(10.0**places) + 1.0) * 10.0**places < cn.BIG:
            return q  # no row's q can reach 2**52
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
                q = self._exact_fix(q, np.flatnonzero(np.broadcast_to(resid, (self.n,))), exact, (node,))
            return q
        sub = self.sub(sus)
        pq, resid = cn.round_q(sub.ev(node) if node is not None else x.take(sus), places, mode)
        pq = self._exact_fix_sub(sub, pq, resid, exact, (node,))
        return _patch(q, sus, pq, self.n, fresh=True)  # round_fast's own array

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
                    out.f = self._exact_fix(out.f, np.flatnonzero(np.broadcast_to(resid, (self.n,))), exact, (node,))
                return out
            sub = self.sub(sus)
            pout, resid = cn.floor_ceil(sub.ev(node), ceil)
            pv = self._exact_fix_sub(sub, pout.f, resid, exact, (node,))
            val = _patch(val, sus, pv, self.n, fresh=True)
        return Num(val, 0.0, 0.0, 1.0, x.m, dp=0)

    # ---- the exact tier: rows the precise tier could not decide
    def _exact_fix_sub(self, sub: "SubRun", pv, resid, decide, nodes=(None,)):
        bad = sub.residual
        if resid is not None:
            bad = bad | np.broadcast_to(resid, (sub.n,))
        if not bad.any():
            return pv
        pv = np.array(np.broadcast_to(pv, (sub.n,)))
        at = np.flatnonzero(bad)
        memo: dict = {}
        for j, key in zip(at, self.input_keys(sub.rows[at], self.E.inputs_read(nodes))):
            pv[j] = self._exact_memo(int(sub.rows[j]), key, decide, pv[j], memo)
        return pv

    def _exact_fix(self, v, rows, decide, nodes=(None,)):
        """The exact tier's answers for `rows` of v; `nodes`: what `decide` evaluates (rows equal
        in the inputs these read share one answer)."""
        v = np.array(np.broadcast_to(v, (self.n,)))
        memo: dict = {}
        for i, key in zip(rows, self.input_keys(rows, self.E.inputs_read(nodes))):
            v[i] = self._exact_memo(int(i), key, decide, v[i], memo)
        return v

    def _exact_memo(self, i: int, key: bytes, decide, fallback, memo: dict):
        """_exact_one for one decision, shared by rows with the same key (the inputs the
        decision reads): everything a row computes is a function of its inputs (the chunk's date
        and statistics are common), so records that share a tie pay for the exact tier once
        (~0.5 ms a row otherwise), however they differ elsewhere."""
        hit = memo.get(key)
        if hit is not None:
            if hit[1]:
                self.residual[i] = True
            return hit[0]
        was = bool(self.residual[i])
        value = self._exact_one(i, decide, fallback)
        if not was:
            memo[key] = (value, bool(self.residual[i]))
        return value

    def input_keys(self, rows, names: tuple | None = None) -> list[bytes]:
        """The converted inputs of `rows` (those named, or all) as hashable keys: per input its
        float (inputs a float cannot carry exactly go to the reference whole) or text/bool/date
        code, and its missing reason. Equal keys are equal exact inputs."""
        cols = self._key_columns.get(names)
        if cols is None:
            cols = self._key_columns[names] = [
                a for v in (self.env[k] for k in (names if names is not None else self.env) if k.startswith("in:"))
                for a in (v.f if isinstance(v, Num) else v.c if isinstance(v, Text) else v.v, v.m)
                if not cn.is_scalar(a)]
        rows = np.asarray(rows, dtype=np.int64)
        if not cols:
            return [b""] * len(rows)
        table = np.stack([np.asarray(a[rows], dtype=np.float64) for a in cols], axis=1)
        return [r.tobytes() for r in table]

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

    # ---- population functions (see colpop)
    def _PopCall(self, e: ir.PopCall):
        label = self.E.p.populations[e.population].label
        stats = self.pop[e.population] if self.pop is not None else None
        if stats is None:
            return missing_of("num", self.reasons.id(Missing("population_pending", label)))
        if e.fn not in ("rank", "percentile_of"):  # max_of, min_of, mean_of: one value for the batch
            v = population.call(e.fn, stats, None, e.desc, label)
            return missing_of("num", self.reasons.id(v)) if isinstance(v, Missing) else self.E.consts[v]
        x = self.ev(e.operand)
        n = self.n
        if not stats.values:  # no record has a value: missing, after x's own reason
            return Num(0.0, 0.0, 0.0, 1.0, cn.first(x.m, self.reasons.id(Missing("population_empty", label))), dp=0)
        view = colpop.view_of(stats)
        lt, le, undecided = colpop.counts(view, x, self.precise, self.pop_members)
        if e.fn == "rank":
            f = (1 + (view.n - le if e.desc else lt)).astype(np.float64)
        else:
            f = le / view.n
        if undecided is not None:
            undecided = np.broadcast_to(undecided & np.broadcast_to(_pres(x.m), undecided.shape), (n,))
            if self.precise:
                self.note(undecided)  # the enclosing decision goes to the exact tier
            elif undecided.any():
                def exact(xr):
                    v = population.call(e.fn, stats, xr.value(e.operand, x), e.desc, label)
                    if isinstance(v, Missing):
                        raise GiveUp("population value missing")
                    return float(v)
                f = self._exact_fix(f, np.flatnonzero(undecided), exact, (e.operand,))
        if e.fn == "rank":
            return Num(f, 0.0, 0.0, 1.0, x.m, dp=0)
        return Num(f, 0.0, cn.U, float(view.n), x.m)

    def _per_date(self, d: Date, fn) -> Num:
        if cn.is_scalar(d.v):
            x = cn.const(fn(date.fromordinal(max(int(d.v), 1))))
            return Num(x.f, x.e, x.r, x.d, d.m, dp=x.dp)
        uniq, inv = np.unique(d.v, return_inverse=True)
        vals = [cn.const(fn(date.fromordinal(max(int(u), 1)))) for u in uniq]
        f = np.array([v.f for v in vals])[inv]
        dps = [v.dp for v in vals]
        # (a chunk of no rows has no dates: max() of nothing was a ValueError)
        return Num(f, 0.0, max((v.r for v in vals), default=0.0), max((v.d for v in vals), default=1.0), d.m,
                   dp=None if None in dps else max(dps, default=0))

    # ---- match and the lowered forms
    def _Match(self, e: ir.Match):
        s = self.ev(e.subject)
        fast = self._match_table(e, s)
        if fast is not None:
            return fast
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

    def _match_table(self, e: ir.Match, s):
        """match over a choice column with constant results (match 等次 { 优秀 -> 5, … }): the
        case of each category, then each row's points, in two lookups — not a comparison and
        a choice between two columns per case. None where that does not apply."""
        if not (isinstance(s, Text) and not self.precise and not cn.is_scalar(s.c) and kind_of(e.type) == "num"
                and all(_const_number(c.result) for c in e.cases)
                and (e.default is None or _const_number(e.default))):
            return None
        case_of = np.full(len(s.cats), -1, dtype=np.int32)  # the first case naming the category
        for i, c in enumerate(e.cases):
            for v in c.values:
                if isinstance(v, str) and v in s.cats and case_of[s.cats.index(v)] < 0:
                    case_of[s.cats.index(v)] = i
        case = case_of[s.c]
        nums = [self.E.consts[c.result.value] for c in e.cases]
        nums.append(self.E.consts[e.default.value] if e.default is not None else missing_of("num", 0))
        m = self._no_case(s, case < 0, "num").m if e.default is None else 0
        return with_missing(_lookup(nums, case, m), s.m)  # case −1: the last entry (default or none)

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
        fast = self._bands_table(e)
        if fast is not None:
            return fast
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

    def _bands_table(self, e: BandsNode):
        """bands { >= 90% -> 1; >= 80% -> 0.8; …; otherwise -> 0 }: every band a comparison of
        the value with a constant, every point a constant. Each row's first band comes from the
        comparisons (decided exactly, as always) marked into one small array, its points from
        one lookup — not a choice between two columns per band. None where that does not apply."""
        if self.precise or not (e.value is not None and _const_number_or_none(e.otherwise) and all(
                isinstance(c, ir.Cmp) and c.left == e.value and _const_number(c.right) and _const_number(p)
                for c, p in e.bands)) or len(e.bands) > 100:
            return None
        n, k = self.n, len(e.bands)
        value = self.ev(e.value)
        if not isinstance(value, Num):
            return None
        band = np.full(n, k, dtype=np.int8)  # k: no band
        for i in reversed(range(k)):  # the first band that holds wins
            np.putmask(band, np.broadcast_to(np.asarray(self.ev(e.bands[i][0]).v), (n,)), i)
        nums = [self.E.consts[p.value] for _, p in e.bands]
        nums.append(self.E.consts[e.otherwise.value] if e.otherwise is not None else missing_of("num", 0))
        m = value.m  # every comparison is missing where the value is, with its reason
        if e.otherwise is None:
            rest = (band == k) & np.broadcast_to(_pres(m), (n,))
            m = cn.first(m, self._dynamic_missing("no_band", value, rest, "num").m)
        return _lookup(nums, band, m)

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
        self.pop, self.pop_members = parent.pop, parent.pop_members
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
        self.ref = _Run(ev.p, {}, run.as_of, run.pop)
        self.ref.env = _LazyEnv(self)
        self.inputs = None

    def close(self) -> None:
        """Drop the links back to the run (its reference interpreter's env points here)."""
        self.run = self.ref = None

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


def _patch(v, idx, pv, n, fresh: bool = False):
    """v with the rows idx replaced by pv; `fresh`: v is the caller's own new array, patched in
    place (a copy of a whole column otherwise)."""
    if fresh and type(v) is np.ndarray and v.shape == (n,) and v.flags.writeable:
        v[idx] = np.broadcast_to(pv, (len(idx),))
        return v
    out = np.array(np.broadcast_to(v, (n,)))
    out[idx] = np.broadcast_to(pv, (len(idx),))
    return out


def _lookup(nums: list, index: np.ndarray, m) -> Num:
    """Each row's constant nums[index], as one column: the bounds of the loosest constant."""
    dps = [x.dp for x in nums]
    return Num(np.array([x.f for x in nums])[index], 0.0, max(x.r for x in nums), max(x.d for x in nums), m,
               dp=None if None in dps else max(dps), mx=max(abs(x.f) for x in nums))


def _const_number(e) -> bool:
    return isinstance(e, ir.Const) and isinstance(e.value, Fraction)


def _const_number_or_none(e) -> bool:
    return e is None or _const_number(e)
