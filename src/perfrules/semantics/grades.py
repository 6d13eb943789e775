"""`grade by …` declarations: bounds, reachability and coverage."""
from __future__ import annotations

from fractions import Fraction

from .. import ir
from ..diagnostics import Bi, Hint
from ..runtime.numbers import format_plain
from ..syntax import ast as A
from . import intervals as iv
from .expressions import Ctx
from .fold import const_value


def check_grade(checker, d: A.GradeDecl) -> ir.Grade | None:
    sink = checker.sink
    if d.target is None:
        target, label, top = "total", "total", checker.settings.total
    else:
        found = checker.find_indicators([p.text for p in d.target.parts])
        if len(found) != 1:
            checker.resolve(d.target, Ctx())  # reports unknown or ambiguous
            return None
        ind = found[0]
        target, label, top = f"score:{ind.id}", ind.name, ind.weight
    bands, covered, done = [], [], False
    domain = [iv.Interval(Fraction(0), True, top, True)]
    for b in d.bands:
        if done:
            checker.sink.error("PR507", b.span, name=b.name.text, reason=Bi("写在 otherwise 之后", "it comes after otherwise"))
            continue
        if b.op == "otherwise":
            bands.append(ir.GradeBand(b.name.text, "otherwise", None))
            rest = iv.difference(domain, covered)
            if iv.is_empty(rest):
                sink.error("PR507", b.span, name=b.name.text, reason=Bi("前面的等级已覆盖全部分数", "earlier grades cover every score"))
            done = True
            continue
        e = checker.exprs.numeric(b.bound, Ctx(), ("等级界限", "a grade bound"))
        bound = const_value(e)
        if not isinstance(bound, Fraction):
            sink.error("PR303", b.bound.span, what="等级界限（常数）", what_en="a grade bound (a constant)", type=str(e.type))
            continue
        bands.append(ir.GradeBand(b.name.text, b.op, bound))
        this = iv.intersect(iv.from_cmp(b.op, bound), domain)
        if iv.is_empty(iv.difference(this, covered)):
            sink.error("PR507", b.span, name=b.name.text,
                       reason=Bi(f"{b.op} {format_plain(bound)} 的分数已归入前面的等级", f"scores {b.op} {format_plain(bound)} already have a grade"))
        covered = iv.normalize(covered + this)
    if not done:
        gap = iv.difference(domain, covered)
        if not iv.is_empty(gap):
            ex = iv.sample(gap)
            shown = iv.describe(gap, format_plain)
            sink.error("PR503", d.span, Hint(f"没有等级的分数：{shown}；补上这些分数段，或最后写 otherwise",
                                             f"scores with no grade: {shown}; cover them, or end with otherwise"),
                       example=format_plain(ex) if ex is not None else "?")
    return ir.Grade(target, label, tuple(bands))
