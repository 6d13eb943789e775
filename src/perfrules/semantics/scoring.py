"""Scoring forms: AST score rules → IR, with the band, point and linear checks."""
from __future__ import annotations

from fractions import Fraction

from .. import ir
from ..diagnostics import Bi, DiagnosticSink, Hint, Label
from ..runtime.numbers import format_plain
from ..syntax import ast as A
from . import intervals as iv
from .expressions import PLACEHOLDER, Ctx, ExprChecker
from .fold import const_value
from .names import COUNTING, EITHER_MODES, pick, suggest

_RATIO_ARGS = ("target", "reverse", "目标", "反向")


def _has_percent(node) -> bool:
    """Whether a percent literal (95%) appears anywhere in an AST node."""
    return ir.find_node(node, lambda x: isinstance(x, A.Num) and x.percent) is not None


def show_number(x: Fraction, percent: bool) -> str:
    return format_plain(x * 100, 4) + "%" if percent else format_plain(x, 4)


class ScoreChecker:
    def __init__(self, exprs: ExprChecker, sink: DiagnosticSink):
        self.x = exprs
        self.sink = sink

    def form(self, node: A.ScoreForm, ctx: Ctx) -> ir.ScoreForm:
        return getattr(self, "_" + type(node).__name__)(node, ctx)

    # ---- helpers
    def _points(self, node: A.Expr, ctx: Ctx) -> ir.Expr:
        e = self.x.numeric(node, ctx, ("得分", "points"))
        v = const_value(e)
        full = ctx.leaf.weight
        if isinstance(v, Fraction):
            if v > full:
                self.sink.error("PR504", node.span, points=format_plain(v), full=format_plain(full))
            elif v < 0:
                self.sink.error("PR505", node.span, points=format_plain(v))
        return e

    def _value(self, span, ctx: Ctx) -> ir.Expr | None:
        if ctx.value_type is None:
            self.sink.error("PR404", span, name=ctx.leaf.name)
            return None
        return ir.Slot(ctx.value_type, f"val:{ctx.leaf.id}")

    # ---- forms
    def _ScoreExpr(self, node: A.ScoreExpr, ctx: Ctx) -> ir.ScoreForm:
        e = node.expr
        if isinstance(e, A.Call) and e.func.dotted == "ratio":
            return self._ratio(e, ctx)
        return ir.ExprScore(self.x.numeric(e, ctx, ("评分结果", "a score")))

    def _ratio(self, call: A.Call, ctx: Ctx) -> ir.ScoreForm:
        target, reverse = None, False
        for arg in call.args:
            name = arg.name.text if arg.name else None
            if name is None and isinstance(arg.expr, A.Ref) and arg.expr.dotted in ("reverse", "反向"):
                reverse = True
            elif name in (None, "target", "目标") and target is None:
                target = arg.expr
            elif name in ("reverse", "反向"):
                v = arg.expr
                reverse = isinstance(v, A.BoolLit) and v.value
            else:
                # one error for a misspelt argument, with did-you-mean: `targt: 90` was also
                # reported as a missing target, `reverce` had no hint
                word = name if name is not None else (arg.expr.dotted if isinstance(arg.expr, A.Ref) else None)
                hint = suggest(word, _RATIO_ARGS) if word else None
                self.sink.error("PR205", arg.span, hint, name="ratio", reason=Bi("可用参数：target、reverse", "takes target and reverse"))
                if name is not None and target is None:
                    target = arg.expr  # checked as the target, so nothing else follows from it
        if target is None:
            self.sink.error("PR205", call.span, name="ratio", reason=Bi("缺少 target", "target is required"))
            return ir.ExprScore(PLACEHOLDER)
        self._value(call.span, ctx)
        t = self.x.numeric(target, ctx, ("目标值", "the target"))
        self.x.bare_percent(target, t, ctx.value_type)
        tv = const_value(t)
        if isinstance(tv, Fraction) and tv <= 0 and not reverse:
            self.sink.error("PR510", target.span, what="正向比例计分的目标值应大于 0",
                            what_en="the target of a ratio must be positive")
        return ir.RatioScore(t, reverse, self.x._source_text(target, ctx) or "target")

    def _Bands(self, node: A.Bands, ctx: Ctx) -> ir.ScoreForm:
        value = None
        bands, otherwise = [], None
        covered: list[iv.Interval] = []  # values some earlier band certainly matches
        exact = True  # every band is a set of values (else coverage cannot be judged)
        percent = ctx.value_type is not None and ctx.value_type.kind == "percent"
        bare: list[tuple[A.Expr, ir.Expr]] = []  # bounds without % on a value that is not a percent
        ranges: list[tuple[list[iv.Interval], A.BandCond]] = []  # the range bands so far: [80%, 90%)
        subject = f"val:{ctx.leaf.id}" if ctx.leaf is not None and ctx.value_type is not None else None
        reported = len(self.sink.items)

        def is_subject(e) -> bool:
            return subject is not None and isinstance(e, ir.Slot) and e.key == subject

        for i, band in enumerate(node.bands):
            cond = band.cond
            points = self._points(band.points, ctx)
            if otherwise is not None:
                self.sink.error("PR502", band.span, range="otherwise")
                continue
            if cond.kind == "otherwise":
                otherwise = points
                continue
            if cond.kind == "expr":
                expr = self.x.boolean(cond.expr, ctx)
                bands.append(ir.Band(expr, points))
                sets = iv.cond_sets(expr, is_subject, const_value)
                percent = percent or _has_percent(cond.expr)
            else:
                value = value or self._value(cond.span, ctx)
                if value is None:
                    return ir.BandsScore((), None)
                if cond.kind == "cmp":
                    bound = self.x.numeric(cond.bound, ctx, ("分档界限", "a band bound"))
                    expr = ir.Cmp(ir.BOOL, cond.op, value, bound)
                    self.x.bare_percent(cond.bound, bound, ctx.value_type)
                    percent = percent or (isinstance(cond.bound, A.Num) and cond.bound.percent)
                    bare.append((cond.bound, bound))
                else:  # range [lo, hi], [lo, hi), (lo, hi], (lo, hi)
                    lo = self.x.numeric(cond.bound, ctx, ("分档界限", "a band bound"))
                    hi = self.x.numeric(cond.hi, ctx, ("分档界限", "a band bound"))
                    lo_op = ">=" if cond.lo_closed else ">"
                    hi_op = "<=" if cond.hi_closed else "<"
                    expr = ir.Logic(ir.BOOL, "and", ir.Cmp(ir.BOOL, lo_op, value, lo), ir.Cmp(ir.BOOL, hi_op, value, hi))
                    self.x.bare_percent(cond.bound, lo, ctx.value_type) or self.x.bare_percent(cond.hi, hi, ctx.value_type)
                    percent = percent or (isinstance(cond.bound, A.Num) and cond.bound.percent)
                    bare += [(cond.bound, lo), (cond.hi, hi)]
                bands.append(ir.Band(expr, points))
                sets = iv.cond_sets(expr, lambda e: e is value, const_value)
            exact = exact and sets.exact
            if not sets.without_value:  # a condition on something else may hold when the value is missing
                if iv.is_empty(sets.may):
                    self.sink.error("PR501", cond.span)
                elif iv.is_empty(iv.difference(sets.may, covered)):
                    shown = iv.describe(iv.intersect(sets.may, covered), lambda x: show_number(x, percent))
                    self.sink.error("PR502", cond.span, Hint("分档按顺序匹配、先成立者生效：把条件更严的档写在前面",
                                                             "bands are tried in order and the first that holds wins: put the stricter band first"),
                                    range=shown)
            if cond.kind == "range" and sets.exact and not iv.is_empty(iv.difference(sets.may, covered)):
                self._overlap(cond, sets.must, ranges, percent)  # (a range covered whole is PR502)
            covered = iv.normalize(covered + sets.must)
        if percent and (ctx.value_type is None or ctx.value_type.kind != "percent"):
            # `>= 95 -> 5; >= 80% -> 4` on 支出 / 预算: the other bounds are percentages, so is this one
            for node_, e in bare:
                self.x.bare_percent(node_, e, ir.PERCENT)
        bare_bound = any(d.code == "PR307" for d in self.sink.items[reported:])  # [90, 100] then [0.8, 0.9): said once
        if otherwise is not None and exact and len(ranges) > 1 and not bare_bound:
            self._gaps(ranges, covered, ctx, percent)
        if otherwise is None and exact and bands:
            domain = self._domain(ctx)
            gap = iv.difference(domain, covered)
            if ctx.value_type is not None and ctx.value_type.kind == "count":
                # a count is a whole number: = 0 and >= 1 leave no gap
                example = iv.first_integer(gap)
                gap = gap if example is not None else []
            else:
                example = iv.sample(gap)
            if not iv.is_empty(gap):
                shown = iv.describe(gap, lambda x: show_number(x, percent))
                self.sink.error("PR503", node.span, Hint(f"没有档的取值：{shown}；补上这些档，或最后写 otherwise",
                                                         f"values with no band: {shown}; add bands for them, or end with otherwise"),
                                example=show_number(example, percent) if example is not None else "?")
        return ir.BandsScore(tuple(bands), otherwise)

    def _overlap(self, cond, this: list[iv.Interval], ranges: list, percent: bool) -> None:
        """PR515 when a range band overlaps an earlier range band: written as intervals, the bands
        were meant to divide the values (60%–80% and 80%（含）–90% both holding 80% is a 含/不含
        slip). Comparisons (>= 90% then >= 80%) overlap by design and are not looked at."""
        show = lambda x: show_number(x, percent)  # noqa: E731
        for earlier, earlier_cond in ranges:
            common = iv.intersect(this, earlier)
            if not iv.is_empty(common):
                self.sink.warning("PR515", cond.span, Hint("区间写清含与不含，如 [60%, 80%) 与 [80%, 90%)",
                                                           "say which end is included, as in [60%, 80%) and [80%, 90%)"),
                                  labels=[Label(earlier_cond.span, "前面的区间", "the earlier range")],
                                  range=iv.describe(this, show), overlap=iv.describe(common, show))
                break
        ranges.append((this, cond))

    def _gaps(self, ranges: list, covered: list[iv.Interval], ctx: Ctx, percent: bool) -> None:
        """PR516 when values between two range bands fall to otherwise: `[80%, 90%) -> 4;
        [70%, 79%) -> 3; otherwise -> 0` scores 79.5% as 0, a slip of the same kind as an overlap
        (PR515). Without otherwise such a gap is PR503; values below or above all the ranges are
        not looked at (that is what otherwise is for)."""
        show = lambda x: show_number(x, percent)  # noqa: E731
        pieces = iv.normalize([i for r, _ in ranges for i in r])
        for below, above in zip(pieces, pieces[1:]):
            gap = iv.difference([iv.Interval(below.hi, not below.hi_closed, above.lo, not above.lo_closed)], covered)
            if iv.is_empty(gap):
                continue
            if ctx.value_type is not None and ctx.value_type.kind == "count" and iv.first_integer(gap) is None:
                continue  # (0, 1] then [2, 3] on a count leaves no whole number out
            # shown at whichever of the two neighbours was written later (the one that left the gap)
            a = next(k for k, (r, _) in enumerate(ranges) if any(i.lo == above.lo and i.lo_closed == above.lo_closed for i in r))
            b = next(k for k, (r, _) in enumerate(ranges) if any(i.hi == below.hi and i.hi_closed == below.hi_closed for i in r))
            at, near = ranges[max(a, b)][1], ranges[min(a, b)][1]
            shown = iv.describe(gap, show)
            self.sink.warning("PR516", at.span, Hint("区间写清含与不含并首尾相接，如 [70%, 80%) 与 [80%, 90%)；若这些值本就按 otherwise 计分，可忽略此警告",
                                                     "make the ranges meet, as in [70%, 80%) and [80%, 90%); if those values are meant to score by otherwise, ignore this warning"),
                              labels=[Label(near.span, "相邻的区间", "the neighbouring range")],
                              gap=shown[2:] if shown.startswith("= ") else shown)

    def _domain(self, ctx: Ctx) -> list[iv.Interval]:
        t = ctx.value_type
        if t is not None and t.kind == "count":
            return [iv.Interval(Fraction(0), True, None, False)]
        return iv.ALL

    def _Linear(self, node: A.Linear, ctx: Ctx) -> ir.ScoreForm:
        self._value(node.span, ctx)
        xs, ps, prev = [], [], None
        warned = False
        mixed = ctx.value_type is not None and ctx.value_type.kind != "percent" and any(
            isinstance(p.x, A.Num) and p.x.percent for p in node.points)  # 70% -> 0, 90 -> full
        for p in node.points:
            x = self.x.numeric(p.x, ctx, ("取值点", "a point"))
            warned = warned or self.x.bare_percent(p.x, x, ir.PERCENT if mixed else ctx.value_type)
            v = const_value(x)
            if isinstance(v, Fraction) and isinstance(prev, Fraction) and v <= prev:
                pct = isinstance(p.x, A.Num) and p.x.percent
                self.sink.error("PR506", p.x.span, prev=show_number(prev, pct), this=show_number(v, pct))
            prev = v
            xs.append(x)
            ps.append(self._points(p.points, ctx))
        if len(xs) < 2:
            self.sink.error("PR510", node.span, what="linear 至少需要两个点", what_en="linear needs at least two points")
        return ir.LinearScore(tuple(xs), tuple(ps))

    def _Deduct(self, node: A.Deduct, ctx: Ctx) -> ir.ScoreForm:
        self._value(node.span, ctx)
        points = self.x.numeric(node.points, ctx, ("扣分", "points"))
        unit = self.x.numeric(node.unit, ctx, ("单位", "the unit"))
        threshold = self.x.numeric(node.threshold, ctx, ("界限", "the threshold"))
        u = const_value(unit)
        if isinstance(u, Fraction) and u <= 0:
            self.sink.error("PR510", node.unit.span, what="per 后的单位应大于 0", what_en="the unit after per must be positive")
        counting = "continuous"
        if node.counting is not None:
            counting = pick(self.sink, node.counting.text, node.counting.span, COUNTING, Bi("计数方式", "counting"), counting)
        return ir.DeductScore(points, unit, node.direction, threshold, counting, self.x._source_text(node.unit, ctx) or "per")

    def _Checklist(self, node: A.Checklist, ctx: Ctx) -> ir.ScoreForm:
        items = [ir.Band(self.x.boolean(it.cond, ctx), self._points(it.points, ctx)) for it in node.items]
        # Items that all hold give their sum: above full it is capped (clamped). Either the points
        # are wrong, or the cap is meant ("每项 2 分，最高 10 分"): a warning, not an error.
        points = [const_value(it.points) for it in items]
        full = ctx.leaf.weight
        if points and all(isinstance(p, Fraction) for p in points) and all(p <= full for p in points):
            total = sum(points, Fraction(0))
            if total > full:
                self.sink.warning("PR512", node.span, Hint(f"改各项分值使合计不超过 {format_plain(full)}；若本意就是“最高 {format_plain(full)} 分”，可忽略此警告",
                                                           f"make the items add up to {format_plain(full)} at most; if the cap is meant, ignore this warning"),
                                  points=" + ".join(format_plain(p) for p in points) + " = " + format_plain(total),
                                  full=format_plain(full))
        return ir.ChecklistScore(tuple(items))

    def _Either(self, node: A.Either, ctx: Ctx) -> ir.ScoreForm:
        mode = "available"
        if node.mode is not None:
            mode = pick(self.sink, node.mode.text, node.mode.span, EITHER_MODES, Bi("择一方式", "either mode"), mode)
        return ir.EitherScore(self.form(node.first, ctx), self.form(node.second, ctx), mode)
