"""`test` blocks → ir.TestCase: inputs as exact values, expectations resolved to slots."""
from __future__ import annotations

from datetime import date

from .. import ir
from ..syntax import ast as A
from .names import suggest

BLANK_WORDS = ("missing", "空", "缺失")


def literal_value(lit: A.Expr):
    if isinstance(lit, A.Num):
        return lit.value
    if isinstance(lit, (A.Str, A.DateLit, A.BoolLit)):
        return lit.value
    if isinstance(lit, A.Name):
        return None if lit.text in BLANK_WORDS else lit.text
    return None


def build_tests(checker, decls: list[A.TestDecl]) -> list[ir.TestCase]:
    sink = checker.sink
    out = []
    grade_names = checker.total_grade_names() or ()
    for d in decls:
        given, as_of = {}, None
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
                sink.error("PR704", item.name.span, suggest(name, checker.inputs), what=f"没有名为 {name} 的输入项",
                           what_en=f"there is no input named {name}")
                continue
            given[name] = value
        expects = []
        for e in d.expect:
            exp = _expect(checker, e, grade_names)
            if exp is not None:
                expects.append(exp)
        out.append(ir.TestCase(d.name, given, as_of, tuple(expects), d.span))
    return out


def _expect(checker, e: A.ExpectItem, grade_names):
    sink = checker.sink
    if e.kind in ("alert", "no_alert"):
        return (e.kind, e.target.text, None, e.span)
    if e.kind == "error":
        return ("error", e.target.text, None, e.span)
    value = literal_value(e.value)
    if e.target in ("total", "grade"):
        return (e.target, e.target, value, e.span)
    ref: A.Ref = e.target
    parts = [p.text for p in ref.parts]
    attr = "score"
    if len(parts) > 1 and parts[-1] in ("score", "value", "得分", "值"):
        attr = "value" if parts[-1] in ("value", "值") else "score"
        parts = parts[:-1]
    found = checker.find_indicators(parts)
    if len(found) == 1:
        return (attr, found[0].id, value, e.span)
    if len(parts) == 1 and parts[0] in [d.name.text for d in checker.module.decls if isinstance(d, A.OutputDecl)]:
        return ("output", parts[0], value, e.span)
    if not found and parts[0] in checker.broken:
        return None  # declared in a part that did not parse: already reported
    if len(found) > 1:
        sink.error("PR203", ref.span, name=ref.dotted, candidates=[i.dotted for i in found])
    else:
        sink.error("PR704", ref.span, suggest(ref.dotted, [i.name for i in checker.indicators]),
                   what=f"找不到指标或输出 {ref.dotted}", what_en=f"no indicator or output named {ref.dotted}")
    return None
