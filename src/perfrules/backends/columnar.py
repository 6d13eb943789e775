"""The columnar backend: the IR evaluated a whole column at a time with numpy.

It reads the same IR as the reference and the row evaluator, walking the nodes as objects
(no generated source). Numbers are float64 with certified error and denominator bounds
(colnum); missing values are reason-id arrays, never exceptions. Every decision is certain from
the float, certainly a tie, or re-decided more precisely for just the rows that need it (colrun);
rows whose inputs could not be represented safely go to the exact reference evaluator. The
results therefore equal the reference's for every row.

Scoring forms are lowered to expressions first (colvalues.lower_form), so one interpreter covers
them. ColumnarEvaluator runs the program's steps over a chunk and returns a ChunkResult, which
perfrules.flat turns into Arrow columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from fractions import Fraction

import numpy as np

from .. import ir
from ..runtime.missing import Missing
from . import colnum as cn
from . import colpop
from .colnum import Num
from .colrun import ChunkRun
from .colvalues import (_FUNCTIONS, _KNOWN, Bool, Date, MissingNode, Reasons, Text, Unsupported, _pres, kind_of,
                        lower_form, missing_of, scaled_raw)


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
    grades: dict = field(default_factory=dict)  # program.grades index → int16 codes (-1: none)
    alerts: list = field(default_factory=list)  # per program.alert: fired bool array
    alert_parts: list = field(default_factory=list)  # per alert: [text | value per part]
    outputs: dict = field(default_factory=dict)  # output name → value
    error_leaf: np.ndarray | None = None  # first leaf (id) whose missing policy is error, -1 none
    error_reason: np.ndarray | None = None
    exact: dict = field(default_factory=dict)  # row → RawResult from the reference evaluator
    skip: np.ndarray | None = None
    suspects: int = 0  # row decisions the precise tier re-decided
    exact_tier_rows: int = 0  # rows with a decision made in exact fractions


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
        # raw points × 10^places, rounded to whole numbers, for leaves whose raw points no
        # figure shows (columns="total") — fewer passes than rounding raw to `places`
        self.scaled_raw = {}
        if not self.s.total_only:
            for ind in program.indicators:
                if ind.is_leaf and ind.score is not None and (ind.weight * 10**self.s.places).denominator == 1:
                    node = scaled_raw(ind.score, ind, self.s.places)
                    if node is not None:
                        self.scaled_raw[ind.id] = node
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
        self._deps: dict = {}  # ids of decision nodes → (the nodes, the inputs they read)

    def inputs_read(self, nodes) -> tuple | None:
        """The input slots ('in:NAME') an exact decision on these nodes reads, through lets and
        value definitions; None when it may read anything (a node of None — the fast tier's own
        figure — or a slot of the fast tier: scores, the total, grades). The exact tier shares
        a decision between rows equal in just these inputs."""
        key = tuple(id(x) for x in nodes)
        hit = self._deps.get(key)
        if hit is None:
            hit = self._deps[key] = (nodes, _inputs_read(self, nodes))
        return hit[1]

    def _root_kind(self, ind: ir.Indicator) -> str:
        while ind.parent is not None:
            ind = self.p.indicators[ind.parent]
        return ind.kind

    def input_reason(self, name: str) -> int:
        return self.reasons.index[Missing("input_missing", name)]

    # ---- one chunk
    def run(self, n: int, inputs: dict, as_of: date | None, skip: np.ndarray | None, exact_rows,
            exact_env, columns: str = "all", pop=None, pop_members: bool = False) -> ChunkResult:
        """Evaluate a chunk. `inputs` maps 'in:NAME' → column value; `skip` marks rows not to
        evaluate; `exact_rows` must go to the reference; `exact_env(row)` gives one row's inputs
        as exact runtime values (convert_record's env), for the exact tier and the reference;
        `columns` (flat.COLUMN_SETS) says which figures will be shown, hence certified; `pop`:
        the batch's population statistics; `pop_members`: computed over these very records
        (every row with a value is in them; see colpop)."""
        from .reference import evaluate

        reasons = Reasons(self.reasons)
        run = ChunkRun(self, n, dict(inputs), as_of, reasons)
        run.exact_env = exact_env
        run.columns = columns
        run.pop, run.pop_members = pop, pop_members
        if skip is not None:
            run.residual |= skip  # rows not evaluated here: no tier looks at them
        if len(exact_rows):
            run.residual[np.asarray(exact_rows, dtype=np.int64)] = True  # nor at the reference's rows
        res = ChunkResult(n, reasons.items)
        res.skip = skip
        with np.errstate(all="ignore"):
            self._steps(run, res, self.p.steps)
            for alert in self.p.alerts:
                c = run.ev(alert.cond)
                res.alerts.append(np.broadcast_to(_pres(c.m) & np.asarray(c.v), (n,)))
                res.alert_parts.append([p.text if p.expr is None else run.ev(p.expr) for p in alert.message])
            for out in self.p.outputs:
                res.outputs[out.name] = run.ev(out.expr)
            self._finish_formats(run, res, columns)
        todo = run.residual
        if skip is not None:
            todo &= ~skip
        rows = set(np.flatnonzero(todo).tolist()) | set(exact_rows)
        for i in sorted(rows):
            res.exact[i] = evaluate(self.p, exact_env(i), as_of, pop)
        res.reasons = reasons.items
        res.suspects = run.suspects
        res.exact_tier_rows = len(run.exact_rows)
        for x in run.exact_rows.values():
            x.close()  # break ExactRow ↔ run cycles: the chunk's arrays are freed now, not at the next gc
        run.exact_rows.clear()
        return res

    def population_values(self, n: int, inputs: dict, as_of: date | None, skip: np.ndarray | None,
                          exact_rows) -> tuple[list, np.ndarray]:
        """Phase 1 of population functions over a chunk: per population, the exact values
        (Fractions) of the rows that have one, and a bool mask of the rows this could not
        compute exactly (the caller computes those with the row evaluator). Values come from
        the floats where they are certainly short decimals, or ratios of short decimals (the
        usual arguments: 执行率 = 实际支出 / 预算数); anything else is left to the caller."""
        run = ChunkRun(self, n, dict(inputs), as_of, Reasons(self.reasons))
        run.columns = "all"  # no exact tier here (exact_env unset): rows it would take are unsure
        if skip is not None:
            run.residual |= skip
        if len(exact_rows):
            run.residual[np.asarray(exact_rows, dtype=np.int64)] = True
        res = ChunkResult(n, run.reasons.items)
        columns = []
        with np.errstate(all="ignore"):
            self._steps(run, res, self.p.phase1)
            for population in self.p.populations:
                x = run.ev(population.expr)
                columns.append(colpop.exact_values(run, population.expr, x))
        todo = run.residual.copy()
        if skip is not None:
            todo &= ~skip
        for values, unsure in columns:
            todo |= unsure
        return [values for values, _ in columns], todo

    # ---- steps
    def _steps(self, run: ChunkRun, res: ChunkResult, steps) -> None:
        for step in steps:
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
        scaled_node = self.scaled_raw.get(ind.id) if run.columns == "total" else None
        raw = run.ev(node if scaled_node is None else scaled_node)  # (scaled: × 10^places)
        miss = np.broadcast_to(raw.m != 0, (n,)) if not cn.is_scalar(raw.m) else np.full(n, raw.m != 0)
        w = ind.weight
        wc = self.consts[w]
        zero = self.consts[Fraction(0)]
        if not s.total_only:
            if scaled_node is None:
                q = run.round(raw, node, s.places, s.rounding)
            else:
                q = run.round(raw, scaled_node, 0, s.rounding)
            fresh = type(q) is np.ndarray and q.shape == (n,)  # round's own array: clipped in place
            q = np.broadcast_to(q, (n,)) if not fresh else q
            scaled = w * 10**s.places
            hi = scaled.numerator // scaled.denominator
            if run.columns == "total" and scaled.denominator == 1:
                low = high = _NOWHERE  # clamp flags are not shown
            else:
                low, high = q < 0, q > hi
            qs = np.clip(q, 0, hi, out=q if fresh else None)
            if miss.any():
                np.copyto(qs, 0.0, where=miss)
            score = cn.Scaled(qs, s.places, float(hi))
            if scaled.denominator != 1:  # a weight off the rounding grid (0.125 at 2 places)
                score = cn.select(high & ~miss, wc, score)
                if high.any():  # flagged only where the raw points pass it, not the rounding
                    high = high & np.broadcast_to(run.cmp_num(">", raw, wc, node, None), (n,))
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
        res.raw[ind.id] = raw if scaled_node is None else None  # (scaled: read by nothing)
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
        score = cn.sum_scores([(run.env[f"score:{c}"], False) for c in kids])
        if ind.kind != "normal":
            score = cn.minmax(cn.minmax(score, self.consts[Fraction(0)], True), self.consts[ind.weight], False)
        elif type(score) is cn.Scaled and score.places == self.s.places:
            res.score_q[ind.id] = score.q  # the sum of its leaves' rounded scores: shown as it is
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
        base = [(run.env[f"score:{i}"], False) for i in p.top if p.indicators[i].kind == "normal"]
        extra = [(run.env[f"score:{i}"], p.indicators[i].kind != "bonus") for i in p.top
                 if p.indicators[i].kind != "normal"]
        base = cn.sum_scores(base) if base else zero
        extra = cn.sum_scores(extra) if extra else None
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
        whole = base if extra is None else cn.add_scores(base, extra)
        if type(whole) is cn.Scaled and whole.places == s.places:
            q = whole.q  # rounded scores added up: on the grid already
        else:
            q = run.round(whole, None, s.places, s.rounding)
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
        res.grades[index] = code  # steps grade groups before the total: keyed, not in order
        names = tuple(b.name for b in g.bands)
        uniq = tuple(dict.fromkeys(names))
        lut = np.array([uniq.index(nm) for nm in names], dtype=np.int32)
        rid = run.reasons.id(Missing("no_band", "grade"))
        key = "grade" if g.target == "total" else f"grade:{g.target}"
        run.env[key] = Text(lut[np.maximum(code, 0)], uniq, np.where(code < 0, rid, 0).astype(np.int32))

    def _finish_formats(self, run: ChunkRun, res: ChunkResult, columns: str = "all") -> None:
        """Certify every number that will be shown as text, so residual rows are known now."""
        from .colformat import certify

        certify(self, run, res, columns)

    def show(self, value, idx: np.ndarray, reasons: Reasons, run: ChunkRun) -> list[str]:
        """runtime `show(v)` for the rows idx: the text a no_band / no_case reason quotes."""
        from .colformat import show_values

        return show_values(self, value, idx, reasons, run)


_NOWHERE = np.False_  # a row mask that is false everywhere


class _ReadsAnything(Exception):
    pass


def _inputs_read(ev: "ColumnarEvaluator", nodes) -> tuple | None:
    names: set = set()
    seen: set = set()
    been: dict = {}  # id → object (kept, so that ids stay unique): nodes may share parts or cycle

    def visit(x) -> None:
        if id(x) in been:
            return
        if isinstance(x, (tuple, list)) or is_dataclass(x):
            been[id(x)] = x
        if isinstance(x, ir.Slot):
            if x.key.startswith("in:"):
                names.add(x.key)
            elif x.key != "as_of" and x.key not in seen:  # the date is the chunk's own
                seen.add(x.key)
                if x.key not in ev.definitions:
                    raise _ReadsAnything(x.key)
                visit(ev.definitions[x.key])
            return
        ind = ev.form_of.get(id(x))
        if ind is not None:  # a leaf's scoring form: the reference scores it from its value
            visit(ir.Slot(ir.NUMBER, f"val:{ind.id}"))
            for e in ir.form_exprs(ind.score):
                visit(e)
        if isinstance(x, (tuple, list)):
            for y in x:
                visit(y)
        elif is_dataclass(x) and not isinstance(x, type):
            for f in fields(x):
                visit(getattr(x, f.name))

    try:
        for node in nodes:
            if node is None:
                return None
            visit(node)
    except _ReadsAnything:
        return None
    return tuple(sorted(names))


class _ConstCache(dict):
    def __missing__(self, key: Fraction) -> Num:
        v = self[key] = cn.const(key)
        return v


__all__ = ["ColumnarEvaluator", "ChunkResult", "Unsupported", "Num", "Bool", "Text", "Date", "Reasons"]
