"""Expression checking: AST expressions → typed IR expressions, with names resolved.

Every problem is reported to the sink and replaced by an UNKNOWN-typed placeholder, so one
mistake does not cascade into a screenful of follow-on errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .. import ir
from ..diagnostics import Bi, DiagnosticSink, Hint
from ..runtime.convert import BARE_PERCENT_LIMIT
from ..runtime.numbers import format_plain
from ..source import Span
from ..syntax import ast as A
from .names import TIME_PROGRESS, pick, suggest

# Bare names that mean true / false as match cases over a bool (the data reader knows more).
BOOL_CASE_WORDS = {"是": True, "有": True, "否": False, "无": False}

POPULATION = ("rank", "max_of", "min_of", "mean_of", "percentile_of")

# Function names as documents and spreadsheets write them, for PR204's hint (+: there is no sum)
FUNCTION_WORDS = {
    "最小值": "min", "最小": "min", "取小": "min", "最大值": "max", "最大": "max", "取大": "max", "绝对值": "abs",
    "四舍五入": "round", "舍入": "round", "保留": "round", "向下取整": "floor", "取整": "floor", "向上取整": "ceil",
    "比例": "ratio", "按比例": "ratio", "序时进度": "time_progress", "年份": "year", "月份": "month",
    "排名": "rank", "名次": "rank", "是否缺失": "is_missing", "为空": "is_missing", "ISBLANK": "is_missing",
    "最高值": "max_of", "平均值": "mean_of", "AVERAGE": "mean_of", "sum": "+", "SUM": "+", "求和": "+", "合计": "+",
}

# name: (min args, max args or None)
BUILTINS = {
    "min": (1, None), "max": (1, None), "abs": (1, 1), "round": (1, 2), "floor": (1, 1), "ceil": (1, 1),
    "coalesce": (2, None), "is_missing": (1, 1), "time_progress": (1, 2), "year": (1, 1), "month": (1, 1),
}

PLACEHOLDER = ir.Const(ir.UNKNOWN, Fraction(0))


@dataclass
class Ctx:
    """Where an expression stands: inside which leaf, with which def parameters."""

    leaf: ir.Indicator | None = None
    value_type: ir.Type | None = None  # the leaf's value type, None if it has no value
    in_value: bool = False  # translating the leaf's own `value` (where `value` is circular)
    params: dict = field(default_factory=dict)
    def_stack: tuple = ()
    # def parameter → (source text of the argument at the call site, whether that text is one
    # operand): a division by zero inside a def names what the caller wrote, not the parameter.
    param_text: dict = field(default_factory=dict)


def unify(types: list[ir.Type]) -> ir.Type:
    known = [t for t in types if t.kind != "unknown"]
    if not known:
        return ir.UNKNOWN
    if all(t.numeric for t in known):
        kinds = {t.kind for t in known}
        return known[0] if len(kinds) == 1 else ir.NUMBER
    first = known[0]
    if all(t.kind == first.kind for t in known):
        return first
    if all(t.kind in ("text", "choice") for t in known):
        return ir.TEXT
    return ir.UNKNOWN


class ExprChecker:
    """Translates expressions. The owner (the ruleset checker) supplies name look-ups."""

    def __init__(self, owner, sink: DiagnosticSink):
        self.o = owner
        self.sink = sink

    # ---- entry points
    def expr(self, node: A.Expr, ctx: Ctx) -> ir.Expr:
        method = getattr(self, "_" + type(node).__name__)
        return method(node, ctx)

    def boolean(self, node: A.Expr, ctx: Ctx) -> ir.Expr:
        e = self.expr(node, ctx)
        if e.type.kind not in ("bool", "unknown"):
            hint = None
            if isinstance(node, A.Binary) and node.op == "-" and isinstance(node.left, A.Num) and isinstance(node.right, A.Num):
                # `80%-90% -> 4`, as documents write a range: a subtraction, not a condition
                lo, hi = (self.o.text_of(x.span) for x in (node.left, node.right))
                hint = Hint(f"{lo}-{hi} 是减法；区间写成 [{lo}, {hi})（含 {lo} 不含 {hi}）或 [{lo}, {hi}]",
                            f"{lo}-{hi} is a subtraction; write the range as [{lo}, {hi}) ({lo} included, {hi} not) or [{lo}, {hi}]")
            self.sink.error("PR302", node.span, hint, type=str(e.type))
        return e

    def numeric(self, node: A.Expr, ctx: Ctx, what=("数值", "the value")) -> ir.Expr:
        e = self.expr(node, ctx)
        if not e.type.numeric and e.type.kind != "unknown":
            self.sink.error("PR303", node.span, what=what[0], what_en=what[1], type=str(e.type))
        return e

    # ---- literals
    def _Num(self, n: A.Num, ctx):
        return ir.Const(ir.PERCENT if n.percent else ir.NUMBER, n.value)

    def _Str(self, n: A.Str, ctx):
        if n.value.startswith("\0bad-date:"):
            text = n.value.split(":", 1)[1]
            self.sink.error("PR104", n.span, text=text, reason=Bi("不是有效日期", "not a valid date"))
            return PLACEHOLDER
        return ir.Const(ir.TEXT, n.value)

    def _DateLit(self, n, ctx):
        return ir.Const(ir.DATE, n.value)

    def _BoolLit(self, n, ctx):
        return ir.Const(ir.BOOL, n.value)

    def _Full(self, n, ctx):
        if ctx.leaf is None:
            self.sink.error("PR208", n.span, name="full", where=Bi("指标的 value/score ", "inside an indicator"))
            return PLACEHOLDER
        return ir.Const(ir.NUMBER, ctx.leaf.weight)

    def _ValueRef(self, n, ctx):
        if ctx.leaf is None:
            self.sink.error("PR208", n.span, name="value", where=Bi("指标的 score ", "inside an indicator's score"))
            return PLACEHOLDER
        if ctx.in_value:
            self.sink.error("PR207", n.span, chain=f"{ctx.leaf.name}.value → value")
            return PLACEHOLDER
        if ctx.value_type is None:
            self.sink.error("PR404", n.span, name=ctx.leaf.name)
            return PLACEHOLDER
        return ir.Slot(ctx.value_type, f"val:{ctx.leaf.id}")

    def _TotalRef(self, n, ctx):
        return ir.Slot(ir.NUMBER, "total")

    def _GradeRef(self, n, ctx):
        names = self.o.total_grade_names()
        if names is None:
            if self.o.broken_grade:
                return PLACEHOLDER  # the `grade by total` did not parse: already reported
            self.sink.error("PR201", n.span, Hint("先写 grade by total { … }", "declare grade by total { … } first"), name="grade")
            return PLACEHOLDER
        return ir.Slot(ir.Type("choice", names), "grade")

    # ---- names
    def _Ref(self, n: A.Ref, ctx):
        return self.o.resolve(n, ctx)

    # ---- operators
    def _Neg(self, n: A.Neg, ctx):
        e = self.expr(n.operand, ctx)
        if not e.type.numeric and e.type.kind != "unknown":
            self.sink.error("PR306", n.span, op="-", expected="数值", expected_en="a number", type=str(e.type))
            return PLACEHOLDER
        return ir.Neg(e.type, e)

    def _Binary(self, n: A.Binary, ctx):
        left, right = self.expr(n.left, ctx), self.expr(n.right, ctx)
        lt, rt = left.type, right.type
        if not ((lt.numeric or lt.kind == "unknown") and (rt.numeric or rt.kind == "unknown")):
            self.sink.error("PR301", n.span, Hint("算术运算只能用于数值（number、amount、count、percent）",
                                                  "arithmetic needs numbers (number, amount, count, percent)"),
                            op=n.op, left=str(lt), right=str(rt))
            return PLACEHOLDER
        if n.op in "+-" and lt.kind == rt.kind:
            t = lt
        else:
            t = ir.NUMBER
        subject = self._source_text(n.right, ctx) if n.op == "/" else ""
        return ir.Arith(t, n.op, left, right, subject)

    def _Compare(self, n: A.Compare, ctx):
        left = self.expr(n.left, ctx)
        right = self._maybe_label(n.right, left.type, ctx)
        if isinstance(n.left, A.Ref) and right.type.kind == "choice" and len(n.left.parts) == 1:
            left = self._maybe_label(n.left, right.type, ctx)
        self._check_comparable(n.op, left, right, n.span)
        self.bare_percent(n.right, right, left.type) or self.bare_percent(n.left, left, right.type)
        return ir.Cmp(ir.BOOL, n.op, left, right)

    def _maybe_label(self, node: A.Expr, other: ir.Type, ctx) -> ir.Expr:
        """A bare name compared with a choice is one of its labels (综合考评等次 == 优秀)."""
        if other.kind == "choice" and isinstance(node, A.Ref) and len(node.parts) == 1:
            text = node.parts[0].text
            if not self.o.is_value_name(text, ctx):
                if text not in other.choices:
                    self.sink.error("PR209", node.span, suggest(text, other.choices), value=text,
                                    input=str(other), choices=", ".join(other.choices))
                    return PLACEHOLDER
                return ir.Const(other, text)
        return self.expr(node, ctx)

    def _check_comparable(self, op, left: ir.Expr, right: ir.Expr, span: Span) -> None:
        lt, rt = left.type, right.type
        if "unknown" in (lt.kind, rt.kind):
            return
        if lt.numeric and rt.numeric:
            return
        textual = ("text", "choice")
        if lt.kind in textual and rt.kind in textual and op in ("==", "!="):
            for side, const in ((lt, right), (rt, left)):
                if side.kind == "choice" and isinstance(const, ir.Const) and const.value not in side.choices:
                    self.sink.error("PR209", span, value=const.value, input=str(side), choices=", ".join(side.choices))
            return
        if lt.kind == rt.kind and lt.kind in ("date", "bool", "text"):
            if lt.kind != "date" and op not in ("==", "!="):
                self.sink.error("PR301", span, op=op, left=str(lt), right=str(rt))
            return
        self.sink.error("PR301", span, op=op, left=str(lt), right=str(rt))

    def bare_percent(self, node: A.Expr, e: ir.Expr, other: ir.Type | None) -> bool:
        """Warn (PR307) when a bare number above the data reader's limit for a bare percent
        (95 rather than 95%) stands where a percent is meant: compared with or scored against
        a percent value. The reader rejects such a datum as a probable missing %."""
        if other is None or other.kind != "percent":
            return False
        lit = node.operand if isinstance(node, A.Neg) else node
        if not isinstance(lit, A.Num) or lit.percent or not isinstance(e, (ir.Const, ir.Neg)):
            return False
        v = lit.value
        if abs(v) <= BARE_PERCENT_LIMIT:
            return False
        text = self.o.text_of(node.span) or format_plain(v)
        self.sink.warning("PR307", node.span, Hint(f"写成 {text}%", f"write {text}%"),
                          value=text, shown=format_plain((-v if node is not lit else v) * 100) + "%")
        return True

    def _BoolOp(self, n: A.BoolOp, ctx):
        return ir.Logic(ir.BOOL, n.op, self.boolean(n.left, ctx), self.boolean(n.right, ctx))

    def _Not(self, n: A.Not, ctx):
        return ir.Not(ir.BOOL, self.boolean(n.operand, ctx))

    def _If(self, n: A.If, ctx):
        c = self.boolean(n.cond, ctx)
        a, b = self.expr(n.then, ctx), self.expr(n.orelse, ctx)
        t = unify([a.type, b.type])
        if t.kind == "unknown" and "unknown" not in (a.type.kind, b.type.kind):
            self.sink.error("PR301", n.span, op="if … then … else", left=str(a.type), right=str(b.type))
        return ir.If(t, c, a, b)

    def _Match(self, n: A.Match, ctx):
        subject = self.expr(n.subject, ctx)
        st = subject.type
        cases, default, seen = [], None, {}
        reported = len(self.sink.items)
        for i, case in enumerate(n.cases):
            values = []
            for pat in case.patterns:
                if pat.is_otherwise:
                    if i != len(n.cases) - 1:
                        self.sink.error("PR508", case.span, what="otherwise 之后的分支永远不会命中",
                                        what_en="cases after otherwise can never match")
                    continue
                v = self._pattern_value(pat, st, ctx)
                if v is None:
                    continue
                if v in seen:
                    # shown as written: the value itself would read True, 1/2 (for `0.5 | 50%`)
                    shown = self.o.text_of(pat.span) or str(v)
                    self.sink.error("PR508", pat.span, what=f"{shown} 重复出现，后一个永远不会命中",
                                    what_en=f"{shown} appears twice; the later one never matches")
                seen[v] = True
                values.append(v)
            result = self.expr(case.result, ctx)
            if any(p.is_otherwise for p in case.patterns):
                default = result
            else:
                cases.append(ir.MatchCase(tuple(values), result))
        results = [c.result.type for c in cases] + ([default.type] if default else [])
        bad_pattern = any(d.code == "PR209" for d in self.sink.items[reported:])
        if default is None and not bad_pattern:  # a mistyped label is reported once
            self._match_coverage(n, st, seen)
        t = self._unify_or_report(results, n.span, "match")
        return ir.Match(t, subject, tuple(cases), default)

    def _unify_or_report(self, types: list[ir.Type], span, op: str) -> ir.Type:
        """The common type of alternatives (match results, coalesce arguments); PR301 when they
        have none, as for if … then … else: a number or a text, unknown until run time, slipped
        through every later check (`(match 等 { 优 -> 1, 良 -> "x" }) + 1` crashed when scored)."""
        t = unify(types)
        known = [x for x in types if x.kind != "unknown"]
        if t.kind == "unknown" and known:
            other = next((x for x in known if unify([known[0], x]).kind == "unknown"), known[-1])
            self.sink.error("PR301", span, op=op, left=str(known[0]), right=str(other))
        return t

    def _match_coverage(self, n: A.Match, st: ir.Type, seen: dict) -> None:
        """A match without otherwise must list every value its subject can take: each choice
        (PR509, an error), both true and false. A number, text or date takes more values than
        any list: it needs otherwise. Those two are warnings (PR513): an uncovered value scores
        missing with its reason ("否 没有对应的分值"), which files rely on."""
        if st.kind == "choice":
            missing = [c for c in st.choices if c not in seen]
            if missing:
                self.sink.error("PR509", n.span, missing=", ".join(missing))
        elif st.kind == "bool":
            missing = [w for v, w in ((True, "true"), (False, "false"))
                       if not any(k is v for k in seen)]
            if missing:
                self.sink.warning("PR513", n.span, Hint(f"补上 {missing[0]} -> …，或写 otherwise -> …",
                                                      f"add {missing[0]} -> …, or otherwise -> …"), missing=", ".join(missing))
        elif st.kind != "unknown":
            if st.numeric:
                example = Fraction(0) if st.kind == "count" else Fraction(-1)
                while example in seen:
                    example += 1
                what = Bi(f"其他数值（例如 {format_plain(example)}）", f"other numbers (for example {format_plain(example)})")
            else:
                what = Bi("其他取值", "other values")
            self.sink.warning("PR513", n.span, Hint("最后加上 otherwise -> …", "end with otherwise -> …"), missing=what)

    def _pattern_value(self, pat: A.Pattern, st: ir.Type, ctx):
        if pat.name is not None:
            text = pat.name.text
            if st.kind == "choice" and text not in st.choices:
                self.sink.error("PR209", pat.span, suggest(text, st.choices), value=text, input=str(st),
                                choices=", ".join(st.choices))
                return None
            if st.numeric:
                self.sink.error("PR508", pat.span, what=f"数值不能与名称 {text} 匹配", what_en=f"a number cannot match the name {text}")
                return None
            if st.kind == "bool":
                # 是/否 are how documents (and the data, and the results) say yes/no: a case
                # `否 -> full` over a bool was the text "否", which no bool equals, so every
                # record scored 0 with only a coverage warning. Other names are an error.
                if text in BOOL_CASE_WORDS:
                    return BOOL_CASE_WORDS[text]
                self.sink.error("PR508", pat.span, Hint("写 true / false（或 是 / 否）", "write true / false (or 是 / 否)"),
                                what=f"是否值不能与名称 {text} 匹配", what_en=f"a yes/no value cannot match the name {text}")
                return None
            return text
        lit = pat.literal
        if isinstance(lit, A.Num):
            if not st.numeric and st.kind != "unknown":
                self.sink.error("PR508", pat.span, what=f"{st} 不能与数字匹配", what_en=f"{st} cannot match a number")
            return lit.value
        if isinstance(lit, A.Str):
            return lit.value
        if isinstance(lit, A.BoolLit):
            return lit.value
        return None

    # ---- calls
    def _Call(self, n: A.Call, ctx):
        fname = n.func.dotted
        if fname in self.o.defs:
            return self._user_call(n, fname, ctx)
        if fname == "ratio":
            self.sink.error("PR205", n.span, name="ratio", reason=Bi("ratio(…) 只能作为整个评分规则：score ratio(target: …)", "ratio(…) is a whole score rule"))
            return PLACEHOLDER
        if fname in POPULATION:
            return self.o.population_call(n, fname, ctx)
        if fname not in BUILTINS:
            # `ratio` and the population functions are functions to the author too (ratoi → ratio);
            # with nothing close, the hint lists what there is instead of saying nothing
            known = list(BUILTINS) + list(POPULATION) + ["ratio"] + list(self.o.defs)
            meant = FUNCTION_WORDS.get(fname) or (fname.lower() if fname.lower() in known else None)
            if meant is not None:  # 四舍五入(x, 2), ROUND(x, 2), SUM(…): the document's or Excel's name
                hint = (Hint("相加直接写 +：a + b + c", "add with +: a + b + c") if meant == "+" else
                        Hint(f"函数名用小写：写 {meant}", f"function names are lower case: write {meant}") if meant == fname.lower() else
                        Hint(f"函数名用英文：写 {meant}（不写“{fname}”）", f"function names are English: write {meant} (not {fname})"))
            else:
                hint = suggest(fname, known) or Hint("可用的函数：" + "、".join(known), "functions: " + ", ".join(known))
            self.sink.error("PR204", n.func.span, hint, name=fname)
            return self._args_only(n, ctx)
        lo, hi = BUILTINS[fname]
        if any(a.name is not None for a in n.args):
            self.sink.error("PR205", n.span, name=fname, reason=Bi("不接受命名参数", "takes no named arguments"))
            return self._args_only(n, ctx)
        if len(n.args) < lo or (hi is not None and len(n.args) > hi):
            want = str(lo) if lo == hi else f"{lo}–{hi}"
            zh, en = (f"需要至少 {lo}", f"at least {lo}") if hi is None else (f"需要 {want}", want)  # min(): not "1–…"
            self.sink.error("PR205", n.span, name=fname, reason=Bi(f"{zh} 个参数，给了 {len(n.args)} 个", f"takes {en}, got {len(n.args)}"))
            return self._args_only(n, ctx)
        if fname == "time_progress":
            return self._time_progress(n, ctx)
        args = tuple(self.expr(a.expr, ctx) for a in n.args)
        types = [a.type for a in args]
        if fname in ("min", "max", "abs", "floor", "ceil", "round"):
            for a, t in zip(n.args, types):
                if not t.numeric and t.kind != "unknown":
                    self.sink.error("PR303", a.span, what=f"{fname} 的参数", what_en=f"an argument of {fname}", type=str(t))
            if fname == "round":
                options = (self.o.settings.rounding,)
                if len(args) == 1:
                    args = args + (ir.Const(ir.NUMBER, Fraction(self.o.settings.places)),)
                elif types[1].kind != "unknown":
                    from .fold import const_value

                    # places from the data (round(x, 甲)) crashed on a negative count and would
                    # run for ever on 1e20; settings and result files allow 0–10
                    k = const_value(args[1])
                    if not (isinstance(k, Fraction) and k.denominator == 1 and 0 <= k <= 10):
                        self.sink.error("PR205", n.args[1].span, name=fname,
                                        reason=Bi("小数位数应为 0 到 10 的整数常数，如 round(x, 2)",
                                                  "the decimal places must be a whole constant from 0 to 10, as in round(x, 2)"))
                        return PLACEHOLDER
                return ir.Call(types[0] if types[0].numeric else ir.NUMBER, fname, args, options)
            return ir.Call(unify(types) if fname in ("min", "max") else types[0], fname, args)
        if fname == "coalesce":
            return ir.Call(self._unify_or_report(types, n.span, "coalesce"), fname, args)
        if fname == "is_missing":
            return ir.Call(ir.BOOL, fname, args)
        # year / month
        if types[0].kind not in ("date", "unknown"):
            self.sink.error("PR306", n.span, op=fname, expected="日期", expected_en="a date", type=str(types[0]))
        return ir.Call(ir.NUMBER, fname, args)

    def _time_progress(self, n: A.Call, ctx):
        d = self.expr(n.args[0].expr, ctx)
        if d.type.kind not in ("date", "unknown"):
            self.sink.error("PR306", n.args[0].span, op="time_progress", expected="日期", expected_en="a date", type=str(d.type))
        convention = self.o.settings.time_progress
        if len(n.args) == 2:
            arg = n.args[1].expr
            word = arg.dotted if isinstance(arg, A.Ref) else ""
            convention = pick(self.sink, word, arg.span, TIME_PROGRESS, Bi("序时进度口径", "time progress"), convention)
        year = self.o.settings.year
        return ir.Call(ir.PERCENT, "time_progress", (d,), (convention,) if year is None else (convention, year))

    def _user_call(self, n: A.Call, fname: str, ctx: Ctx):
        decl = self.o.defs[fname]
        if fname in ctx.def_stack:
            self.sink.error("PR207", n.span, chain=" → ".join(ctx.def_stack + (fname,)))
            return PLACEHOLDER
        if len(n.args) != len(decl.params) or any(a.name is not None for a in n.args):
            self.sink.error("PR205", n.span, name=fname,
                            reason=Bi(f"需要 {len(decl.params)} 个参数", f"takes {len(decl.params)} argument(s)"))
            # the def and what the arguments read are used all the same: not PR601/PR602 as well
            self.o.used_defs.add(fname)
            for a in n.args:
                self.expr(a.expr, ctx)
            return PLACEHOLDER
        self.o.used_defs.add(fname)
        bound = {p.text: self.expr(a.expr, ctx) for p, a in zip(decl.params, n.args)}
        texts = {p.text: self._arg_text(a.expr, ctx) for p, a in zip(decl.params, n.args)}
        inner = Ctx(ctx.leaf, ctx.value_type, ctx.in_value, bound, ctx.def_stack + (fname,), texts)
        return self.expr(decl.body, inner)

    # ---- source text, with def parameters replaced by what the caller wrote
    _ATOMIC = (A.Ref, A.Num, A.Str, A.DateLit, A.BoolLit, A.Call, A.Full, A.ValueRef, A.TotalRef, A.GradeRef)

    def _arg_text(self, node: A.Expr, ctx: Ctx) -> tuple[str, bool]:
        """(text, is one operand) of a call argument."""
        if isinstance(node, A.Ref) and len(node.parts) == 1 and node.parts[0].text in ctx.param_text:
            return ctx.param_text[node.parts[0].text]
        return self._source_text(node, ctx), isinstance(node, self._ATOMIC)

    def _args_only(self, n: A.Call, ctx) -> ir.Expr:
        """A call that cannot be made (unknown function, wrong arguments) still reads its
        arguments: what only they read is used (`SUM(a, b)` said b was never used, a second
        warning for one mistake) and a misspelt name among them is reported."""
        for a in n.args:
            self.expr(a.expr, ctx)
        return PLACEHOLDER

    def _source_text(self, node: A.Expr, ctx: Ctx) -> str:
        """The text of `node` as written, each def parameter in it replaced by its argument's
        text (in parentheses when the argument is not one operand and the parameter is only
        part of `node`)."""
        text = self.o.text_of(node.span)
        if not ctx.param_text:
            return text
        funcs: set[int] = set()
        refs: list[A.Ref] = []

        def visit(x) -> bool:
            if isinstance(x, A.Call):
                funcs.add(id(x.func))
            elif (isinstance(x, A.Ref) and len(x.parts) == 1 and x.parts[0].text in ctx.param_text
                  and x.span.file == node.span.file):
                refs.append(x)
            return False

        ir.find_node(node, visit)
        refs = [r for r in refs if id(r) not in funcs]
        start = node.span.start
        for r in sorted(refs, key=lambda r: r.span.start, reverse=True):
            arg, atomic = ctx.param_text[r.parts[0].text]
            if not atomic and r is not node:
                arg = f"({arg})"
            text = text[:r.span.start - start] + arg + text[r.span.end - start:]
        return text
