"""`test` blocks → ir.TestCase: inputs as exact values, expectations resolved to slots."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

from .. import ir
from ..diagnostics import Hint
from ..runtime.numbers import format_plain
from ..syntax import ast as A
from .names import suggest

BLANK_WORDS = ("missing", "空", "缺失")
# The codes a single record can fail with (`error CODE`): bad data, a missing required value.
RECORD_ERRORS = ("PR801", "PR803")


def literal_value(lit: A.Expr):
    if isinstance(lit, A.Num):
        return lit.value
    if isinstance(lit, (A.Str, A.DateLit, A.BoolLit)):
        return lit.value
    if isinstance(lit, A.Name):
        return None if lit.text in BLANK_WORDS else lit.text
    return None


def build_tests(checker, decls: list[A.TestDecl], alerts=(), outputs=(), grades=()) -> list[ir.TestCase]:
    """`alerts` and `outputs`: the checked ir.Alert / ir.Output of the ruleset; every name an
    expectation mentions is checked against them (a misspelled `no alert` would pass forever)."""
    sink = checker.sink
    out = []
    grade_names = checker.total_grade_names()
    names = _Names(alerts=[a.name for a in alerts], outputs={o.name: o.expr.type for o in outputs})
    names.grades = {g.target: g for g in grades if g.target != "total"}
    for d in decls:
        given, as_of = {}, None
        # a given value the input cannot take makes the record an error row: meant only when
        # the block expects that error
        bad_data_expected = any(e.kind == "error" and e.target.text == "PR801" for e in d.expect)
        for item in d.given:
            name = item.name.text
            value = literal_value(item.value)
            if name in ("as_of", "评价时点"):
                if isinstance(value, date):
                    as_of = value
                else:
                    sink.error("PR704", item.span, what="as_of 应为日期，如 2024-06-30", what_en="as_of takes a date, e.g. 2024-06-30")
                continue
            if name not in checker.inputs:
                if checker.unread_names or name in checker.broken:  # maybe an input of the file that could not
                    continue                                           # be read (PR701), or of a part that did not parse
                sink.error("PR704", item.name.span, suggest(name, checker.inputs), what=f"没有名为 {name} 的输入项",
                           what_en=f"there is no input named {name}")
                continue
            given[name] = value
            if value is not None and not bad_data_expected:
                _given_ok(sink, item, checker.inputs[name][0], value)
        expects = []
        for e in d.expect:
            exp = _expect(checker, e, grade_names, names)
            if exp is not None:
                expects.append(exp)
        out.append(ir.TestCase(d.name, given, as_of, tuple(expects), d.span))
    return out


def _given_ok(sink, item: A.GivenItem, spec, value) -> None:
    """The given value converts as a data cell would (`perfrules test` found 等次 = 优 for
    choice(优秀, …) only when it ran, pointing at the expectations)."""
    from ..runtime.convert import FieldError, convert_value

    try:
        convert_value(spec, value)
    except FieldError as err:
        sink.error("PR704", item.value.span,
                   Hint("要测试错误记录，在 expect 里写 error PR801", "to test an error record, expect error PR801"),
                   what=f"给定值不可用：{err.text('zh')}，这条记录只会是错误记录",
                   what_en=f"the given value cannot be used: {err.text('en')}; the record could only be an error row")


class _Names:
    def __init__(self, alerts, outputs):
        self.alerts, self.outputs = alerts, outputs


def _expect(checker, e: A.ExpectItem, grade_names, names: _Names):
    sink = checker.sink
    if e.kind in ("alert", "no_alert"):
        name = e.target.text
        if name not in names.alerts:
            if name not in checker.broken and name not in checker.broken_alerts and not checker.unread_include:  # in a part that did not parse: already reported
                sink.error("PR704", e.target.span, suggest(name, names.alerts), what=f"没有名为 {name} 的预警",
                           what_en=f"there is no alert named {name}")
            return None
        return (e.kind, name, None, e.span)
    if e.kind == "error":
        code = e.target.text
        if code not in RECORD_ERRORS:
            sink.error("PR704", e.target.span, suggest(code, RECORD_ERRORS),
                       what=f"测试记录只会出现错误 {'、'.join(RECORD_ERRORS)}（数据有误、缺少必需的值），不会出现 {code}",
                       what_en=f"a test record can only fail with {' or '.join(RECORD_ERRORS)} (bad data, a missing "
                               f"required value), not {code}")
            return None
        return ("error", code, None, e.span)
    value = literal_value(e.value)
    if e.target == "grade":
        if grade_names is None:
            if not checker.broken and not checker.broken_grade and not checker.unread_include:
                sink.error("PR704", e.span, what="没有 grade by total 声明，无法期望等级",
                           what_en="there is no `grade by total`: no grade to expect")
            return None
        if not _label_ok(sink, e.value, value, grade_names, "等级", "grade"):
            return None
        return (e.target, e.target, value, e.span)
    if e.target == "total":
        if not _points_ok(sink, e.value, value, "total"):
            return None
        return (e.target, e.target, value, e.span)
    ref: A.Ref = e.target
    parts = [p.text for p in ref.parts]
    if len(parts) > 1 and parts[-1] in ("grade", "等级"):  # 履职效果.grade = 好: a `grade by 履职效果`
        found = checker.find_indicators(parts[:-1])
        if len(found) == 1:
            g = names.grades.get(f"score:{found[0].id}")
            if g is None:
                sink.error("PR704", ref.span, Hint(f"先写 grade by {found[0].dotted} {{ … }}", f"declare grade by {found[0].dotted} {{ … }} first"),
                           what=f"{found[0].dotted} 没有等级（grade by {found[0].dotted}）", what_en=f"{found[0].dotted} has no grade (grade by {found[0].dotted})")
                return None
            if not _label_ok(sink, e.value, value, tuple(dict.fromkeys(b.name for b in g.bands)), "等级", "grade"):
                return None
            return ("group_grade", g.label, value, e.span)
    attr = "score"
    if len(parts) > 1 and parts[-1] in ("score", "value", "得分", "值"):
        attr = "value" if parts[-1] in ("value", "值") else "score"
        parts = parts[:-1]
    found = checker.find_indicators(parts)
    if attr == "value" and len(found) > 1:
        # a group and its leaf may share a name; only a leaf with a value has `.value` (as in expressions)
        found = [i for i in found if i.is_leaf and i.value is not None] or found
    if len(found) == 1:
        ind = found[0]
        if attr == "score" and not _points_ok(sink, e.value, value, ref.dotted):
            return None
        if attr == "value":
            if ind.value is None:
                sink.error("PR704", ref.span, what=f"指标 {ind.dotted} 没有 value，无法期望它的值",
                           what_en=f"indicator {ind.dotted} has no value to expect")
                return None
            if not _label_ok(sink, e.value, value, _choices(ind.value.type), "可选值", "choice"):
                return None
            if isinstance(value, Fraction) and (ind.value.type.kind == "percent" or ind.unit == "%"):
                # `执行.value = 90` for 90%: the value is 0.9, the test could only fail
                checker.exprs.bare_percent(e.value, ir.Const(ir.NUMBER, value), ir.PERCENT)
            if ind.value.type.kind in ("number", "amount", "count", "percent") and isinstance(value, (str, bool, date)):
                sink.error("PR704", e.value.span, Hint("数字和百分数不加引号，如 96.62%", "numbers and percentages go without quotes, as in 96.62%"),
                           what=f"{ind.dotted} 的值是数，应期望一个数", what_en=f"the value of {ind.dotted} is a number; expect a number")
                return None
        return (attr, ind.id, value, e.span)
    if len(parts) == 1 and parts[0] in names.outputs:
        if not _label_ok(sink, e.value, value, _choices(names.outputs[parts[0]]), "可选值", "choice"):
            return None
        return ("output", parts[0], value, e.span)
    if not found and (parts[0] in checker.broken or checker.unread_include):
        return None  # declared in a part that did not parse: already reported
    if len(found) > 1:
        sink.error("PR203", ref.span, name=ref.dotted, candidates=[i.dotted for i in found])
    else:
        sink.error("PR704", ref.span, suggest(ref.dotted, [i.name for i in checker.indicators] + list(names.outputs)),
                   what=f"找不到指标或输出 {ref.dotted}", what_en=f"no indicator or output named {ref.dotted}")
    return None


def _points_ok(sink, lit: A.Expr, value, target: str) -> bool:
    """A score or total is expected as a number of points (or missing): `total = 优` or
    `执行 = 9%` could never pass, so it is reported here rather than when the test fails."""
    if isinstance(lit, A.Num) and lit.percent:
        shown = format_plain(lit.value * 100)
        sink.error("PR704", lit.span, Hint(f"写分数，如 {target} = {shown}；期望指标的值写 {target}.value = {shown}%",
                                           f"write points, as in {target} = {shown}; a value is expected as {target}.value = {shown}%"),
                   what="得分是分数，不是百分比", what_en="a score is points, not a percentage")
        return False
    if value is None or isinstance(value, Fraction):
        return True
    if target == "total":
        sink.error("PR704", lit.span, Hint("写数字，如 total = 90.15；等级写 grade = 优", "write a number, as in total = 90.15; a grade is grade = 优"),
                   what="总分应为数字", what_en="the total is a number")
    else:
        sink.error("PR704", lit.span, what=f"{target} 的得分应为数字", what_en=f"the score of {target} is a number")
    return False


def _choices(t: ir.Type):
    return t.choices if t.kind == "choice" and t.choices else None


def _label_ok(sink, lit: A.Expr, value, choices, what_zh: str, what_en: str) -> bool:
    """An expected grade or choice label must be one of the fixed set (`missing` is always fine)."""
    if choices is None or value is None or not isinstance(value, str) or value in choices:
        return True
    sink.error("PR704", lit.span, suggest(value, choices),
               what=f"{value} 不是{what_zh}（{'、'.join(choices)}），这条期望永远不会成立",
               what_en=f"{value} is not a {what_en} ({', '.join(choices)}): the expectation can never hold")
    return False
