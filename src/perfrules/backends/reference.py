"""The reference evaluator: a plain interpreter of the IR over exact fractions.

It is the oracle: slow, simple, and exact. Every other backend is tested against it.
"""
from __future__ import annotations

from fractions import Fraction

from .. import ir
from ..runtime import ops, population, scoring
from ..runtime.missing import Missing
from .common import clamp_flag, excluded_weight, flag_missing, show
from .result import RawResult

M = Missing


def evaluate(program: ir.Program, env: dict, as_of=None, pop=None) -> RawResult:
    """Evaluate one record whose inputs are already converted ('in:NAME' keys in env).

    `pop` holds one runtime.population.Stats per program.populations entry, computed over the
    batch; without it a record that uses population functions is scored as a batch of one."""
    if pop is None and program.populations:
        pop = population.batch_of_one(phase1(program, env, as_of))
    return _Run(program, env, as_of, pop).run()


def phase1(program: ir.Program, env: dict, as_of=None) -> tuple:
    """The record's value of every population argument (program.populations, in order)."""
    if not program.populations:
        return ()
    run = _Run(program, env, as_of, None)
    run.run_steps(program.phase1)
    return tuple(run.ev(p.expr) for p in program.populations)


class _Run:
    def __init__(self, program: ir.Program, env: dict, as_of, pop=None):
        self.p = program
        self.env = dict(env)
        self.env["as_of"] = as_of if as_of is not None else M("as_of_missing", "")
        self.res = RawResult()
        self.s = program.settings
        self.pop = pop

    def run(self) -> RawResult:
        self.run_steps(self.p.steps)
        for alert in self.p.alerts:
            fired = self.ev(alert.cond)
            if fired is True:
                self.res.alerts.append((alert.name, alert.level, self.render(alert.message)))
        for out in self.p.outputs:
            self.res.outputs[out.name] = self.ev(out.expr)
        return self.res

    def run_steps(self, steps) -> None:
        for step in steps:
            if isinstance(step, ir.LetStep):
                self.env[step.key] = self.ev(step.expr)
            elif isinstance(step, ir.LeafStep):
                self.leaf(self.p.indicators[step.ind])
            elif isinstance(step, ir.GroupStep):
                self.group(self.p.indicators[step.ind])
            elif isinstance(step, ir.TotalStep):
                self.total()
            elif isinstance(step, ir.GradeStep):
                self.grade(self.p.grades[step.index])

    # ---- the tree
    def leaf(self, ind: ir.Indicator) -> None:
        value = self.ev(ind.value) if ind.value is not None else M("no_value", ind.name)
        self.env[f"val:{ind.id}"] = value
        if ind.value is not None:
            self.res.values[ind.id] = value
        raw = self.form(ind.score, ind) if ind.score is not None else M("no_value", ind.name)
        if type(raw) is M:
            score = Fraction(0)
            flag_missing(self.res, ind.id, ind.name, ind.missing, raw)
        else:
            score, clamped = scoring.finish(raw, Fraction(0), ind.weight, self.s.places, self.s.rounding, not self.s.total_only)
            if clamped:
                self.res.flags.setdefault(ind.id, []).append(clamp_flag(raw, score, clamped))
        self.env[f"score:{ind.id}"] = score
        self.res.scores[ind.id] = score

    def group(self, ind: ir.Indicator) -> None:
        live = [c for c in ind.children if c not in self.res.excluded]
        if not live:
            self.res.excluded.add(ind.id)
        score = sum((self.env[f"score:{c}"] for c in ind.children), Fraction(0))
        if ind.kind != "normal":
            score = min(max(score, Fraction(0)), ind.weight)
        self.env[f"score:{ind.id}"] = score
        self.res.scores[ind.id] = score

    def total(self) -> None:
        base = Fraction(0)
        extra = Fraction(0)
        for i in self.p.top:
            ind = self.p.indicators[i]
            s = self.env[f"score:{i}"]
            if ind.kind == "normal":
                base += s
            elif ind.kind == "bonus":
                extra += s
            else:
                extra -= s
        excluded = excluded_weight(self.p, self.res.excluded)
        total = self.s.total
        if excluded >= total:
            self.res.total = None
            self.env["total"] = M("excluded", "全部指标 / every indicator")
            return
        if excluded:
            base = base * total / (total - excluded)
        value = scoring.round_total(base + extra, self.s.places, self.s.rounding)
        self.res.total = value
        self.env["total"] = value

    def grade(self, g: ir.Grade) -> None:
        score = self.env[g.target] if g.target == "total" else self.env[g.target]
        key = "grade" if g.target == "total" else f"grade:{g.target}"
        if g.target != "total" and int(g.target.split(":")[1]) in self.res.excluded:
            score = M("excluded", g.label)
        name = None if type(score) is M else scoring.pick_grade(score, g.bands)
        self.env[key] = name if name is not None else M("no_band", "grade")
        self.res.grades[g.label] = name

    # ---- scoring forms
    def form(self, f: ir.ScoreForm, ind: ir.Indicator):
        value = self.env[f"val:{ind.id}"]
        full = ind.weight
        if isinstance(f, ir.ExprScore):
            return self.ev(f.expr)
        if isinstance(f, ir.RatioScore):
            return scoring.ratio(value, self.ev(f.target), full, f.reverse, f.subject)
        if isinstance(f, ir.BandsScore):
            first_missing = None
            for b in f.bands:
                c = self.ev(b.cond)
                if c is True:
                    return self.ev(b.points)
                if type(c) is M and first_missing is None:
                    first_missing = c
            if first_missing is not None:
                return first_missing
            if f.otherwise is not None:
                return self.ev(f.otherwise)
            return M("no_band", show(value))
        if isinstance(f, ir.LinearScore):
            return scoring.linear(value, [self.ev(x) for x in f.xs], [self.ev(p) for p in f.points])
        if isinstance(f, ir.DeductScore):
            return scoring.deduct(value, self.ev(f.points), self.ev(f.unit), f.direction, self.ev(f.threshold), f.counting, full, f.subject)
        if isinstance(f, ir.ChecklistScore):
            total = Fraction(0)
            for item in f.items:
                c = self.ev(item.cond)
                if type(c) is M:
                    return c
                if c:
                    p = self.ev(item.points)
                    if type(p) is M:
                        return p
                    total += p
            return total
        if isinstance(f, ir.EitherScore):
            a = self.form(f.first, ind)
            if f.mode == "available":
                return a if type(a) is not M else self.form(f.second, ind)
            b = self.form(f.second, ind)
            if type(a) is M:
                return b
            if type(b) is M:
                return a
            return max(a, b)
        raise TypeError(f"unknown score form {f!r}")

    # ---- expressions
    def ev(self, e: ir.Expr):
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.Slot):
            return self.env[e.key]
        if isinstance(e, ir.Arith):
            a, b = self.ev(e.left), self.ev(e.right)
            if e.op == "+":
                return ops.add(a, b)
            if e.op == "-":
                return ops.sub(a, b)
            if e.op == "*":
                return ops.mul(a, b)
            return ops.div(a, b, e.subject)
        if isinstance(e, ir.Neg):
            return ops.neg(self.ev(e.operand))
        if isinstance(e, ir.Cmp):
            return ops.cmp(e.op, self.ev(e.left), self.ev(e.right))
        if isinstance(e, ir.Logic):
            a, b = self.ev(e.left), self.ev(e.right)
            return ops.and_(a, b) if e.op == "and" else ops.or_(a, b)
        if isinstance(e, ir.Not):
            return ops.not_(self.ev(e.operand))
        if isinstance(e, ir.If):
            c = self.ev(e.cond)
            if type(c) is M:
                return c
            return self.ev(e.then) if c else self.ev(e.orelse)
        if isinstance(e, ir.Call):
            args = [self.ev(a) for a in e.args]
            return ops.FUNCTIONS[e.fn](*args, *e.options)
        if isinstance(e, ir.PopCall):
            label = self.p.populations[e.population].label
            stats = self.pop[e.population] if self.pop is not None else None
            x = self.ev(e.operand) if e.fn in ("rank", "percentile_of") else None
            return population.call(e.fn, stats, x, e.desc, label)
        if isinstance(e, ir.Match):
            s = self.ev(e.subject)
            if type(s) is M:
                return s
            for case in e.cases:
                if s in case.values:
                    return self.ev(case.result)
            if e.default is not None:
                return self.ev(e.default)
            return M("no_case", show(s))
        raise TypeError(f"unknown expression {e!r}")

    def render(self, parts) -> str:
        out = []
        for part in parts:
            if part.expr is None:
                out.append(part.text)
            else:
                out.append(scoring.format_value(self.ev(part.expr), part.fmt, part.expr.type.kind))
        return "".join(out)


