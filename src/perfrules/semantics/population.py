"""Population functions in the checker: rank(x), max_of(x), … → ir.PopCall, and the two-phase plan.

A population function's argument is evaluated for every record of the batch before any record
is scored (phase 1), so it must not depend on a population function itself — directly, through
a let or def, or through an indicator's value or score (PR212). The plan is the list of steps
phase 1 has to run (those the arguments read, transitively) and the distinct arguments.
"""
from __future__ import annotations

from .. import ir
from ..diagnostics import Bi, Hint
from ..syntax import ast as A
from .expressions import PLACEHOLDER, Ctx
from .names import suggest
from .order import reads_of

ORDER_WORDS = {"desc": True, "降序": True, "asc": False, "升序": False}


def population_call(checker, node: A.Call, fname: str, ctx: Ctx) -> ir.Expr:
    sink = checker.sink
    most = 2 if fname == "rank" else 1
    if any(a.name is not None for a in node.args) or not 1 <= len(node.args) <= most:
        zh, en = ("rank(x) 或 rank(x, asc)", "rank(x) or rank(x, asc)") if fname == "rank" else (f"{fname}(x)", f"{fname}(x)")
        sink.error("PR205", node.span, name=fname, reason=Bi(f"应写成 {zh}", f"write {en}"))
        return PLACEHOLDER
    operand = checker.exprs.numeric(node.args[0].expr, ctx, (f"{fname} 的参数", f"the argument of {fname}"))
    desc = True
    if len(node.args) == 2:
        arg = node.args[1].expr
        word = arg.dotted if isinstance(arg, A.Ref) else ""
        if word not in ORDER_WORDS:
            sink.error("PR206", arg.span, suggest(word, ORDER_WORDS), what=Bi("排名方向", "rank order"), word=word or "?",
                       choices="desc, asc")
        else:
            desc = ORDER_WORDS[word]
    if operand.type.kind == "unknown":
        return PLACEHOLDER
    pops = checker.populations
    if operand not in pops:
        pops[operand] = ir.Population(len(pops), operand, checker.text_of(node.args[0].span))
    pop = pops[operand]
    if fname == "rank":
        t = ir.NUMBER
    elif fname == "percentile_of":
        t = ir.PERCENT
    elif fname == "mean_of" and operand.type.kind == "count":
        t = ir.NUMBER
    else:
        t = operand.type
    call = ir.PopCall(t, fname, operand, pop.index, desc)
    checker.pop_calls.append((node, call))
    return call


def plan(checker, steps: list[ir.Step], grades: list[ir.Grade]) -> tuple[list[ir.Population], list[ir.Step]]:
    """Report population arguments that use population functions; the populations and the
    phase-1 steps (empty when the rules use no population function)."""
    if not checker.pop_calls:
        return [], []
    finder = _Finder(checker)
    reported = set()
    for node, call in checker.pop_calls:
        via = finder.expr(call.operand)
        if via is not None and id(node) not in reported:
            reported.add(id(node))
            fn, where = via
            zh_where = f"（经由 {where}）" if where else ""
            en_where = f" (through {where})" if where else ""
            checker.sink.error("PR212", node.span, Hint("先用普通的 let 或指标算出要比较的值，再对它用总体函数",
                                                       "compute the compared value without population functions, then apply one to it"),
                               what=f"{node.func.dotted} 的参数不能再用总体函数 {fn}{zh_where}：参数要先对整批记录算出",
                               what_en=f"the argument of {node.func.dotted} cannot use the population function {fn}{en_where}: "
                                       "arguments are computed for the whole batch first")
    pops = sorted(checker.populations.values(), key=lambda p: p.index)
    return pops, phase1_steps(checker.indicators, grades, steps, [p.expr for p in pops])


def step_io(step: ir.Step, indicators, grades) -> tuple[set[str], set[str]]:
    """The slots a step writes and reads."""
    if isinstance(step, ir.LetStep):
        return {step.key}, reads_of([step.expr])
    if isinstance(step, ir.LeafStep):
        ind = indicators[step.ind]
        writes = {f"val:{ind.id}", f"score:{ind.id}"}
        exprs = [ind.value] + (list(ir.form_exprs(ind.score)) if ind.score else [])
        return writes, reads_of(exprs) - writes
    if isinstance(step, ir.GroupStep):
        ind = indicators[step.ind]
        return {f"score:{ind.id}"}, {f"score:{c}" for c in ind.children}
    if isinstance(step, ir.TotalStep):
        return {"total"}, {f"score:{i.id}" for i in indicators if i.parent is None}
    g = grades[step.index]
    return {"grade" if g.target == "total" else f"grade:{g.target}"}, {g.target}


def phase1_steps(indicators, grades, steps: list[ir.Step], exprs) -> list[ir.Step]:
    """The steps (in program order) that the expressions need, transitively."""
    needed = reads_of(exprs)
    keep = []
    for step in reversed(steps):
        writes, reads = step_io(step, indicators, grades)
        if writes & needed:
            keep.append(step)
            needed |= reads
    keep.reverse()
    return keep


class _Finder:
    """Does an expression depend on a population function? Answers (function, through what)."""

    def __init__(self, checker):
        self.c = checker
        self.memo: dict[str, str | None] = {}

    def expr(self, e: ir.Expr | None):
        if e is None:
            return None
        for sub in ir.walk(e):
            if isinstance(sub, ir.PopCall):
                return sub.fn, ""
            if isinstance(sub, ir.Slot):
                fn = self.slot(sub.key)
                if fn is not None:
                    return fn, self.label(sub.key)
        return None

    def label(self, key: str) -> str:
        inds = self.c.indicators
        if key.startswith("let:"):
            return key[4:]
        if key.startswith("val:"):
            return inds[int(key[4:])].dotted + ".value"
        if key.startswith("score:"):
            return inds[int(key[6:])].dotted
        if key.startswith("grade:score:"):
            return "grade by " + inds[int(key[12:])].dotted
        return key

    def slot(self, key: str) -> str | None:
        """The population function the slot's value depends on, or None."""
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None  # cycles are reported elsewhere (PR207)
        inds = self.c.indicators
        exprs: list = []
        keys: list[str] = []
        if key.startswith("let:"):
            exprs = [self.c.let_ir.get(key[4:])]
        elif key.startswith("val:"):
            exprs = [inds[int(key[4:])].value]
        elif key.startswith("score:"):
            ind = inds[int(key[6:])]
            if ind.is_leaf:
                exprs = [ind.value] + (list(ir.form_exprs(ind.score)) if ind.score else [])
            else:
                keys = [f"score:{c}" for c in ind.children]
        elif key in ("total", "grade"):
            keys = [f"score:{i.id}" for i in inds if i.parent is None]
        elif key.startswith("grade:"):
            keys = [key[6:]]
        found = None
        for e in exprs:
            r = self.expr(e)
            if r is not None:
                found = r[0]
                break
        for k in keys:
            if found is None:
                found = self.slot(k)
        self.memo[key] = found
        return found
