"""The ruleset checker: a parsed module → a Program (the IR), reporting every problem found."""
from __future__ import annotations

import hashlib
import math
import dataclasses
import difflib
import re
import unicodedata
from fractions import Fraction

from .. import ir
from ..diagnostics import Bi, DiagnosticSink, Hint, Label
from ..runtime.numbers import decimal_places, format_plain, round_fraction
from ..runtime.scoring import finish
from ..syntax import BROKEN_ALERT, BROKEN_GRADE, BROKEN_INCLUDE, BROKEN_PART, BROKEN_READS, BROKEN_USE
from ..source import SourceFile, Span
from ..syntax import ast as A
from ..syntax.parser import get_parser
from .expressions import PLACEHOLDER, Ctx, ExprChecker
from .names import LEVELS, MISSING_MODES, ROUNDING, TIME_PROGRESS, TYPE_NAMES, choices_text, suggest, suggest_word, suggestions
from .order import order_steps
from .population import plan, population_call
from .scoring import ScoreChecker
from .tests import build_tests


def _mentions_percent(node) -> bool:
    """Whether a percent literal (95%) appears anywhere in an AST node."""
    return ir.find_node(node, lambda x: isinstance(x, A.Num) and x.percent) is not None


def _split_on_grid(total: Fraction, weights: list[Fraction], step: Fraction) -> list[Fraction] | None:
    """Weights on the grid of `step` that add up to `total`, each as near its own as can be
    (largest remainders); None when `total` itself is off the grid."""
    units = total / step
    if units.denominator != 1 or not weights:
        return None
    exact = [w / step for w in weights]
    out = [math.floor(x) for x in exact]
    left = int(units) - sum(out)
    order = sorted(range(len(exact)), key=lambda i: exact[i] - out[i], reverse=True)
    if left < 0 or left > len(out):
        return None
    for i in order[:left]:
        out[i] += 1
    return [u * step for u in out]


_OTHERWISE_WORDS = frozenset({"else", "default", "其他", "其它", "其余", "否则", "其他情况", "其余情况"})
_TEMPLATE_FORMAT = re.compile(r"pct\d*|\d+|amount")


def _template_reason(err: Exception) -> Bi:
    """Why a {…} of a message does not parse, in words (not the parser's exception class)."""
    char = getattr(err, "char", None)
    if char is not None:
        return Bi(f"无法识别的字符 {char}", f"unexpected character {char}")
    token = getattr(err, "token", None)
    if token is not None and getattr(token, "type", "") not in ("$END", "_NL"):
        return Bi(f"此处不应出现 {token}", f"unexpected {token}")
    return Bi("表达式没有写完", "the expression is incomplete")


class RulesetChecker:
    """Checks one (composed) module. Use `check()`; read diagnostics from the sink."""

    def __init__(self, module: A.Module, sources: dict[str, SourceFile], sink: DiagnosticSink, broken: set[str] = frozenset()):
        self.module = module
        self.sources = sources
        self.sink = sink
        # names declared in parts that did not parse; a broken `grade by total` is kept apart, as
        # it declares no indicator or input whose absence would make weight sums or lint mislead
        self.broken_alerts = {n[len(BROKEN_ALERT):] for n in broken if n.startswith(BROKEN_ALERT)}
        self.broken = ({n for n in broken if not n.startswith(BROKEN_ALERT)}
                       - {BROKEN_GRADE, BROKEN_PART, BROKEN_READS, BROKEN_INCLUDE, BROKEN_USE})
        # the extends file could not be read (PR701): any name, weight or test item may be its;
        # a use file: any input, let or def may be its
        self.unread_include = BROKEN_INCLUDE in broken
        self.unread_names = self.unread_include or BROKEN_USE in broken
        self.broken_grade = BROKEN_GRADE in broken
        self.broken_part = BROKEN_PART in broken  # the file is not empty (PR605)
        self.broken_reads = BROKEN_READS in broken  # an unparsed alert may read any input (PR601)
        self.settings = ir.Settings()
        self.inputs: dict[str, tuple[ir.InputSpec, A.InputDecl]] = {}
        self.lets: dict[str, A.LetDecl] = {}
        self.let_ir: dict[str, ir.Expr] = {}
        self.let_stack: list[str] = []
        self.defs: dict[str, A.DefDecl] = {}
        self.unused_def_errors: list = []  # found in the bodies of defs nothing calls
        self.indicators: list[ir.Indicator] = []
        self._by_name: dict[str, list[ir.Indicator]] = {}  # find_indicators' index, of the first
        self._by_name_size = 0                              # _by_name_size indicators
        self.grade_decls: list[A.GradeDecl] = []
        self.used_inputs: set[str] = set()
        self.used_lets: set[str] = set()
        self.used_defs: set[str] = set()
        self._dup_levels: set = set()  # parents (None: the top level) with an indicator declared twice
        self._decl_of: dict[int, A.IndicatorDecl] = {}
        self._share: dict[int, Fraction] = {}
        self._share_groups: set[int] = set()  # groups that say `weights share`
        self._values_done: set[int] = set()
        self._values_busy: set[int] = set()  # the weight as written under `weights share`
        self.pop_calls: list = []  # (call node, ir.PopCall), for the population plan
        self.populations: dict = {}  # argument ir.Expr → ir.Population
        self.exprs = ExprChecker(self, sink)
        self.scores = ScoreChecker(self.exprs, sink)

    # ---- services for the expression checker
    def text_of(self, span: Span) -> str:
        src = self.sources.get(span.file)
        return src.snippet(span) if src else ""

    def total_grade_names(self) -> tuple[str, ...] | None:
        for g in self.grade_decls:
            if g.target is None:
                return tuple(dict.fromkeys(b.name.text for b in g.bands))
        return None

    def is_value_name(self, name: str, ctx: Ctx) -> bool:
        return name in ctx.params or name in self.lets or name in self.inputs

    def population_call(self, node: A.Call, fname: str, ctx: Ctx):
        return population_call(self, node, fname, ctx)

    def resolve(self, node: A.Ref, ctx: Ctx) -> ir.Expr:
        parts = [p.text for p in node.parts]
        if len(parts) == 1:
            name = parts[0]
            if name in ctx.params:
                return ctx.params[name]
            if name in self.lets:
                return self._let(name, node)
            if name in self.inputs:
                self.used_inputs.add(name)
                return ir.Slot(self.inputs[name][0].type, f"in:{name}")
            if name in ("as_of", "评价时点"):
                return ir.Slot(ir.DATE, "as_of")
        attr = None
        if len(parts) > 1 and parts[-1] in ("score", "value", "得分", "值"):
            attr = "value" if parts[-1] in ("value", "值") else "score"
            parts = parts[:-1]
        found = self.find_indicators(parts)
        if attr == "value" and len(found) > 1:
            # a group and its leaf may share a name; only a leaf with a value has `.value`
            with_value = [i for i in found if i.is_leaf and self._decl_of[i.id].first("value") is not None]
            found = with_value or found
        if len(found) == 1:
            ind = found[0]
            if attr == "value":
                value = self._value_of(ind, node)
                if value is None:
                    self.sink.error("PR404", node.span, name=ind.name)
                    return PLACEHOLDER
                if value is PLACEHOLDER:  # a cycle (reported) or an error: reading the slot would report the cycle again
                    return PLACEHOLDER
                return ir.Slot(value.type, f"val:{ind.id}")
            return ir.Slot(ir.NUMBER, f"score:{ind.id}")
        if len(found) > 1:
            self.sink.error("PR203", node.span, Hint("写出上级路径，如 " + found[0].dotted, "write the path, e.g. " + found[0].dotted),
                            name=node.dotted, candidates=[i.dotted for i in found])
            return PLACEHOLDER
        if node.parts[0].text in self.broken or self.unread_names:
            return PLACEHOLDER  # declared in a part that did not parse, or maybe in the unread file: already reported
        names = list(self.inputs) + list(self.lets) + [i.name for i in self.indicators] + list(ctx.params)
        if len(parts) > 1:  # `财政.执形`: the paths of as many parts, so that the hint is 财政.执行, not 财政
            names = [".".join(i.path[-len(parts):]) for i in self.indicators if len(i.path) >= len(parts)] + names
        hint = suggest(node.dotted, names)
        meant = suggestions(node.dotted, names)[:1]
        if meant and meant[0] in self.inputs:  # the input meant (抽察数 for 抽查数) is not also "never used" (PR601)
            self.used_inputs.add(meant[0])
        same = [n for n in names if n != node.dotted and unicodedata.normalize("NFKC", n) == unicodedata.normalize("NFKC", node.dotted)]
        if same:  # 季度1支出 for 季度１支出: the did-you-mean would look like the name itself
            hint = Hint(f"{same[0]} 里有全角（或半角）的字母、数字，与这里的写法看着一样却是不同的字符：两处写成一样（建议半角）",
                        f"{same[0]} has full-width (or half-width) letters or digits that look like these but are other "
                        "characters: write both the same way (half-width is best)")
        close = difflib.get_close_matches(parts[-1], ("value", "score", "值", "得分"), n=1, cutoff=0.4)
        if attr is None and close and len(parts) > 1 and self.find_indicators(parts[:-1]):
            # `预算执行率.valeu`: the indicator is right, the word after the dot is misspelt
            head = ".".join(parts[:-1])
            hint = Hint(f"是否想写 {head}.{close[0]}？指标名后面只能写 .value（值）或 .score（得分）",
                        f"did you mean {head}.{close[0]}? only .value or .score can follow an indicator's name")
        if node.dotted in _OTHERWISE_WORDS:  # `else -> 0`, `其他 -> 0` in bands or a match
            hint = Hint("“其余情况”写 otherwise，如 otherwise -> 0", "“any other value” is written otherwise, as in otherwise -> 0")
        elif node.dotted in ("是", "否", "有", "无"):  # `已整改 = 是`: yes/no in an expression is true/false
            word = "true" if node.dotted in ("是", "有") else "false"
            hint = Hint(f"表达式里的“是/否”写 true / false，如 = {word}（match 的选项里也可以写 是 / 否）",
                        f"yes/no in an expression is true / false, as in = {word} (a match case may say 是 / 否)")
        elif node.dotted in ("target", "目标"):  # ratio(target = 100%)
            hint = Hint("ratio 的参数写成 target: 100%（冒号）", "write ratio's argument as target: 100% (a colon)")
        self.sink.error("PR201", node.span, hint, name=node.dotted)
        return PLACEHOLDER

    def find_indicators(self, parts: list[str]) -> list[ir.Indicator]:
        """The indicators whose path ends with `parts`, in declaration order. Looked up by last
        name (an index rebuilt when indicators were added): scanning every indicator for every
        reference made a file with many references (a test expecting each of 2000 indicators)
        quadratic."""
        if not parts:
            return []
        if self._by_name_size != len(self.indicators):
            by_name: dict[str, list[ir.Indicator]] = {}
            for ind in self.indicators:
                by_name.setdefault(ind.name, []).append(ind)
            self._by_name, self._by_name_size = by_name, len(self.indicators)
        n = len(parts)
        return [i for i in self._by_name.get(parts[-1], ()) if list(i.path[-n:]) == list(parts)]

    def _let(self, name: str, node: A.Ref) -> ir.Expr:
        self.used_lets.add(name)
        return self._ensure_let(name, node)

    def _ensure_let(self, name: str, node: A.Ref) -> ir.Expr:
        if name in self.let_ir:
            return ir.Slot(self.let_ir[name].type, f"let:{name}")
        if name in self.let_stack:
            chain = " → ".join(self.let_stack[self.let_stack.index(name):] + [name])
            self.sink.error("PR207", node.span, chain=chain)
            return PLACEHOLDER
        self.let_stack.append(name)
        e = self.exprs.expr(self.lets[name].expr, Ctx())
        self.let_stack.pop()
        self.let_ir[name] = e
        return ir.Slot(e.type, f"let:{name}")

    # ---- the whole file
    def check(self) -> ir.Program:
        decls = self.module.decls
        if not decls and not self.broken and not self.broken_part:  # an empty file (the wrong one opened, or not written yet)
            self.sink.warning("PR605", self.sources[self.module.span.file].span(0, 0))
        meta = {"id": "", "version": "", "title": "", "applies": ()}
        for d in decls:
            if isinstance(d, A.RulesetDecl):
                meta["id"], meta["version"] = d.id, d.version or ""
            elif isinstance(d, A.MetaDecl):
                meta[d.key] = d.value
            elif isinstance(d, A.AppliesDecl):
                meta["applies"] = tuple(meta["applies"]) + d.names
        for d in decls:
            if isinstance(d, A.SettingsDecl):
                self._settings(d)
        self._declare_values(decls)
        self.grade_decls = [d for d in decls if isinstance(d, A.GradeDecl)]
        top = self._tree([d for d in decls if isinstance(d, A.IndicatorDecl)])
        self._full_marks()
        for name in self.lets:
            self._ensure_let(name, A.Ref(self.lets[name].name.span, (self.lets[name].name,)))
        self._leaves()
        grades = self._grades()
        alerts = [self._alert(d) for d in decls if isinstance(d, A.AlertDecl)]
        self._duplicate_grades_alerts(decls)
        outputs = self._outputs(decls)
        tests = build_tests(self, [d for d in decls if isinstance(d, A.TestDecl)], alerts, outputs, grades)
        steps = order_steps(self, top, grades)
        populations, phase1 = plan(self, steps, grades)
        self._lint()
        text = "\n".join(self.sources[k].text for k in sorted(self.sources))
        return ir.Program(
            id=meta["id"], version=meta["version"], title=meta.get("title", ""),
            content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
            settings=self.settings, inputs=[spec for spec, _ in self.inputs.values()],
            indicators=self.indicators, top=top, steps=steps, grades=grades, alerts=alerts,
            outputs=outputs, tests=tests, applies_to=tuple(meta["applies"]),
            meta={k: v for k, v in meta.items() if k in ("description", "owner")},
            populations=populations, phase1=phase1,
        )

    # ---- settings
    def _settings(self, d: A.SettingsDecl) -> None:
        s = dict(self.settings.__dict__)
        seen: dict[str, Span] = {}
        for item in d.items:
            key = item.key.text
            if key in seen:
                self.sink.error("PR211", item.key.span, what=key)
                continue
            seen[key] = item.key.span
            nums = [a for a in item.args if isinstance(a, A.Num)]
            if key in ("rounding", "舍入"):
                for w, arg in ((a.text, a) for a in item.args if isinstance(a, A.Name)):
                    if w in ROUNDING:
                        s["rounding"] = ROUNDING[w]
                    elif w in ("total_only", "仅总分"):
                        s["total_only"] = True
                    elif w in _SETTING_KEYS:  # the next setting, without a ; before it
                        self.sink.error("PR210", item.span, *_run_on_hint(item), what=f"{key} 后出现了另一项设置 {w}",
                                        what_en=f"another setting, {w}, follows {key}")
                        break
                    elif re.fullmatch(r"(?:保留)?[零一两二三四五六]?位(?:小数)?", w):
                        # `rounding 四舍五入 两位` / `2位`: the places are a number (2位 lexes as 2, then 位)
                        n = {"零": 0, "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}.get(w.lstrip("保留")[:1])
                        shown = str(n) if n is not None else (format_plain(nums[0].value) if nums else "2")
                        self.sink.error("PR206", arg.span, Hint(f"小数位数只写数字：rounding half_up {shown}",
                                                                f"the decimal places are a bare number: rounding half_up {shown}"),
                                        what=Bi("舍入方式", "rounding"), word=w, choices=choices_text({**ROUNDING, "total_only": 1, "仅总分": 1}))
                    else:
                        self._unknown(arg, Bi("舍入方式", "rounding"), {**ROUNDING, "total_only": 1, "仅总分": 1})
                if nums:
                    places = nums[0].value
                    if places.denominator != 1 or not 0 <= places <= 10:
                        self.sink.error("PR210", nums[0].span, what="小数位数应为 0–10 的整数", what_en="decimal places must be a whole number 0–10")
                    else:
                        s["places"] = int(places)
            elif key in ("missing", "缺失"):
                self._mode(item, MISSING_MODES, Bi("缺失处理", "missing"), s, "missing")
            elif key in ("time_progress", "序时进度"):
                self._mode(item, TIME_PROGRESS, Bi("序时进度口径", "time progress"), s, "time_progress")
            elif key in ("total", "总分"):
                if len(nums) != 1 or nums[0].value <= 0:
                    self.sink.error("PR210", item.span, *_run_on_hint(item), what="total 后应为一个正数",
                                    what_en="total takes one positive number")
                else:
                    s["total"] = nums[0].value
            elif key in ("year", "预算年度", "年度"):
                if len(nums) != 1 or nums[0].value.denominator != 1 or not 1900 <= nums[0].value <= 9999:
                    self.sink.error("PR210", item.span, *_run_on_hint(item), what="year 后应为一个年份，如 year 2024",
                                    what_en="year takes a year, e.g. year 2024")
                else:
                    s["year"] = int(nums[0].value)
            else:
                self._unknown(item.key, Bi("设置项", "setting"),
                              {"rounding": 1, "missing": 1, "time_progress": 1, "total": 1, "year": 1})
        self.settings = ir.Settings(**s)

    def _mode(self, item: A.Setting, vocab: dict, what: str, s: dict, field: str) -> None:
        args = [a for a in item.args if isinstance(a, A.Name)]
        if len(args) != 1:
            zh, en = choices_text(vocab)
            self.sink.error("PR210", item.span, *_run_on_hint(item), what=f"{item.key.text} 后应写一个取值：{zh}",
                            what_en=f"{item.key.text} takes one of: {en}")
            return
        if args[0].text not in vocab:
            self._unknown(args[0], what, vocab)
        else:
            s[field] = vocab[args[0].text]

    def _unknown(self, name: A.Name, what: str, vocab: dict) -> None:
        self.sink.error("PR206", name.span, suggest_word(name.text, vocab), what=what, word=name.text, choices=choices_text(vocab))

    # ---- inputs, lets, defs
    def _declare_values(self, decls) -> None:
        first: dict[str, Span] = {}

        def claim(name: A.Name) -> bool:
            if name.text in first:
                self.sink.error("PR202", name.span, labels=[Label(first[name.text], "首次定义于此", "first defined here")], name=name.text)
                return False
            first[name.text] = name.span
            return True

        for d in decls:
            if isinstance(d, A.InputDecl) and claim(d.name):
                self.inputs[d.name.text] = (self._input(d), d)
            elif isinstance(d, A.LetDecl) and claim(d.name):
                self.lets[d.name.text] = d
            elif isinstance(d, A.DefDecl) and claim(d.name):
                self.defs[d.name.text] = d
        self._shared_aliases()

    def _shared_aliases(self) -> None:
        """PR202 for a column name (`from "…"`) that two inputs answer to, as alias or name: the
        data file's column could feed only one, and eval stopped at it (PR802) long after check
        said nothing."""
        owner: dict[str, tuple[str, Span]] = {name: (name, d.name.span) for name, (_, d) in self.inputs.items()}
        for name, (spec, d) in self.inputs.items():
            opt = next((o for o in d.options if o.kind == "aliases"), None)
            for alias in spec.aliases:
                other, span = owner.get(alias, (name, None))
                if other != name:
                    self.sink.error("PR202", opt.span, Hint(f"一列数据只能给一个输入项：删掉其中一个 from \"{alias}\"",
                                                             f"a column feeds one input: drop one of the from \"{alias}\""),
                                    labels=[Label(span, f"{other} 也对应列 {alias}", f"{other} also answers to the column {alias}")],
                                    name=Bi(f"“{alias}”（from 的列名）", f"the column name {alias} (from)"))
                else:
                    owner.setdefault(alias, (name, opt.span))

    def _input(self, d: A.InputDecl) -> ir.InputSpec:
        kind = TYPE_NAMES.get(d.type.text)
        if kind is None:
            self._unknown(d.type, Bi("类型", "type"), TYPE_NAMES)
            kind = "unknown"
        choices: tuple[str, ...] = ()
        if kind == "choice":
            choices = tuple(c.text if isinstance(c, A.Name) else c.value for c in d.choices)
            if not choices:
                self.sink.error("PR210", d.type.span, what="choice 需要列出可选值，如 choice(优秀, 良好)",
                                what_en="choice needs its options, e.g. choice(优秀, 良好)")
            dup = {c for c in choices if choices.count(c) > 1}
            if dup:
                self.sink.error("PR202", d.type.span, name=", ".join(sorted(dup)))
        elif d.choices:
            self.sink.error("PR210", d.type.span, what=f"{d.type.text} 类型不带可选值", what_en=f"type {d.type.text} takes no options")
        t = ir.Type(kind, choices)
        spec = {"name": d.name.text, "type": t}
        seen = set()
        for opt in d.options:
            if opt.kind in seen:
                self.sink.error("PR211", opt.span, what=opt.kind)
                continue
            seen.add(opt.kind)
            if opt.kind == "label":
                spec["label"] = opt.value
            elif opt.kind == "aliases":
                spec["aliases"] = opt.value
            elif opt.kind == "range":
                lo, hi, closed = opt.value
                if not t.numeric:
                    self.sink.error("PR305", opt.span, reason=Bi(f"{t} 类型不能设范围", f"a {t} input has no range"))
                elif lo.value > hi.value:
                    self.sink.error("PR305", opt.span, reason=Bi(f"下限 {lo.text} 大于上限 {hi.text}", "lower bound above upper"))
                else:
                    spec["range"] = (lo.value, hi.value, closed)
                    if t.kind == "percent":  # `in [0, 100]` on a percent: 10000%, so 150% passes unseen
                        self.exprs.bare_percent(hi, ir.Const(ir.NUMBER, hi.value), t) or \
                            self.exprs.bare_percent(lo, ir.Const(ir.NUMBER, lo.value), t)
            elif opt.kind == "default":
                value = self._default(opt.value, t)
                if value is not None:
                    spec["default"], spec["has_default"] = value, True
                    default_span = opt.value.span
        if "range" in spec and isinstance(spec.get("default"), Fraction):
            # a blank cell takes the default without the range check a datum gets: = 120 with
            # in [0, 100] scored 120 in silence
            lo, hi, closed = spec["range"]
            v = spec["default"]
            if v < lo or v > hi or (not closed and v == hi):
                show = (lambda x: format_plain(x * 100) + "%") if t.kind == "percent" else format_plain
                shown = f"[{show(lo)}, {show(hi)}{']' if closed else ')'}"
                self.sink.error("PR305", default_span, reason=Bi(f"默认值 {show(v)} 不在取值范围 {shown} 内",
                                                                 f"the default {show(v)} is outside the range {shown}"))
        return ir.InputSpec(**spec)

    def _default(self, lit, t: ir.Type):
        ok = None
        if isinstance(lit, A.Str) and lit.value.startswith("\0bad-date:"):  # `= 2024-02-30`: as in expressions
            self.sink.error("PR104", lit.span, text=lit.value.split(":", 1)[1], reason=Bi("不是有效日期", "not a valid date"))
            return None
        if isinstance(lit, A.Num) and t.numeric:
            ok = lit.value
            if t.kind == "percent":  # `= 95`: the data reader would reject 95 as a missing %
                self.exprs.bare_percent(lit, ir.Const(ir.NUMBER, lit.value), t)
            if t.kind == "count" and (lit.value < 0 or lit.value.denominator != 1):
                ok = None
        elif isinstance(lit, A.Str) and t.kind in ("text", "choice"):
            ok = lit.value if t.kind == "text" or lit.value in t.choices else None
        elif isinstance(lit, A.Name) and t.kind == "choice" and lit.text in t.choices:
            ok = lit.text
        elif isinstance(lit, A.DateLit) and t.kind == "date":
            ok = lit.value
        elif isinstance(lit, A.BoolLit) and t.kind == "bool":
            ok = lit.value
        if ok is None and t.kind != "unknown":
            shown = getattr(lit, "text", None) or str(getattr(lit, "value", ""))
            self.sink.error("PR304", lit.span, value=shown, type=str(t))
        return ok

    # ---- the indicator tree
    def _tree(self, decls: list[A.IndicatorDecl]) -> list[int]:
        codes: dict[str, Span] = {}
        top = self._children(decls, None, (), codes)
        total = self.settings.total
        normal = [self.indicators[i] for i in top if self.indicators[i].kind == "normal"]
        if normal and not self.broken and not self.unread_include and None not in self._dup_levels:  # with a declaration unparsed or dropped, the sum would mislead
            s = sum((i.weight for i in normal), Fraction(0))
            if s != total:
                span = decls[0].name.span
                self.sink.error("PR402", span, Hint("调整一级指标分值，或用 settings { total N } 声明总分",
                                                    "adjust the top-level weights, or declare settings { total N }"),
                                labels=[Label(k.span, f"{k.name}：{format_plain(k.weight)}", f"{k.name}: {format_plain(k.weight)}")
                                        for k in normal],
                                sum=format_plain(s), total=format_plain(total), diff=format_plain(s - total))
        return top

    def _children(self, decls, parent: ir.Indicator | None, path: tuple, codes: dict) -> list[int]:
        ids, seen = [], {}
        share = False
        if parent is not None:
            decl = self._decl_of[parent.id]
            mode = decl.first("weights")
            if mode is not None:
                word = mode.value.text
                if word in ("share", "比例", "percent"):
                    share = True
                    self._share_groups.add(parent.id)
                elif word not in ("points", "分值"):
                    self._unknown(mode.value, Bi("权重方式", "weights"), {"points": 1, "share": 1})
        for d in decls:
            if d.name.text in seen:
                self.sink.error("PR202", d.name.span, labels=[Label(seen[d.name.text], "首次定义于此", "first defined here")], name=d.name.text)
                # the sum of this level's weights would leave the second one out: not reported
                self._dup_levels.add(parent.id if parent is not None else None)
                continue
            seen[d.name.text] = d.name.span
            ids.append(self._indicator(d, parent, path, codes, share))
        if parent is not None and ids and parent.id not in self._dup_levels and not self.unread_include:
            self._check_child_weights(parent, [self.indicators[i] for i in ids], share)
        return ids

    def _indicator(self, d: A.IndicatorDecl, parent, path, codes, share: bool) -> int:
        weight = Fraction(0)
        if d.kind == "normal" and d.weight_kind != "weight":
            if not self.unread_include:  # else maybe the re-opening of an indicator of the unread file
                self.sink.error("PR406", d.name.span, Hint("写成 indicator 名称 weight 分值 { … }", "write indicator NAME weight POINTS { … }"),
                                weight=Bi("空（没有写 weight）", "absent (no weight written)"))
        elif d.kind != "normal" and d.weight_kind != "max":
            self.sink.error("PR406", d.name.span, Hint(f"加减分项写成 {d.kind} indicator 名称 max 上限 {{ … }}",
                                                      f"write {d.kind} indicator NAME max CAP {{ … }}"),
                            weight=Bi("空（没有写 max）", "absent (no max written)"))
        elif d.weight is not None:
            weight = d.weight.value
            if weight <= 0:
                self.sink.error("PR406", d.weight.span, weight=d.weight.text)
            elif d.weight.percent and not share and d.kind == "normal":  # weight 50% among points: 0.5 points
                shown = format_plain(weight)
                self.sink.error("PR210", d.weight.span,
                                Hint("写分值，如 weight 5；要按比例分配，在上级指标里写 weights share",
                                     "write points, as in weight 5; to share a group's weight, write weights share in the group"),
                                what=f"分值 {d.weight.text} 是百分数：只有 weights share 的分组里才表示比例，这里就是 {shown} 分",
                                what_en=f"the weight {d.weight.text} is a percentage: it is a share only in a weights share group, here it is {shown} points")
        raw_weight = weight
        if share and parent is not None:
            share_of = weight if (d.weight is not None and d.weight.percent) else weight / 100
            weight = parent.weight * share_of
        code_stmt = d.first("code")
        code = code_stmt.value.value if code_stmt else None
        if code:
            if code in codes:
                self.sink.error("PR407", code_stmt.span, code=code, other=f"{codes[code].line}:{codes[code].column}")
            else:
                codes[code] = code_stmt.span
        missing = self.settings.missing
        mstmt = d.first("missing")
        if mstmt is not None:
            if mstmt.value.text in MISSING_MODES:
                missing = MISSING_MODES[mstmt.value.text]
            else:
                self._unknown(mstmt.value, Bi("缺失处理", "missing"), MISSING_MODES)
        unit = d.first("unit")
        ind = ir.Indicator(
            id=len(self.indicators), path=path + (d.name.text,), name=d.name.text, code=code,
            kind=d.kind, weight=weight, parent=parent.id if parent else None, missing=missing,
            unit=unit.value.value if unit else None, span=d.name.span,
        )
        self._share[ind.id] = raw_weight
        self.indicators.append(ind)
        self._decl_of[ind.id] = d
        if d.children:
            ind.children = self._children(d.children, ind, ind.path, codes)
            for kind in ("value", "score"):
                st = d.first(kind)
                if st is not None:
                    self.sink.error("PR405", st.span, name=d.name.text, what=kind)
        elif d.first("score") is None:
            self.sink.error("PR403", d.name.span, Hint("加上 score …，例如 score ratio(target: 100%)",
                                                      "add a score rule, e.g. score ratio(target: 100%)"), name=d.name.text)
        return ind.id

    def _check_child_weights(self, parent: ir.Indicator, kids: list[ir.Indicator], share: bool) -> None:
        normal = [k for k in kids if k.kind == "normal"]
        if not normal:
            return
        if share:
            written = [self._share[k.id] if self._decl_of[k.id].weight.percent else self._share[k.id] / 100
                       for k in normal if self._decl_of[k.id].weight is not None]
            s = sum(written, Fraction(0))
            if s != 1:
                self.sink.error("PR408", parent.span, parent=parent.name, sum=format_plain(s * 100) + "%", diff=format_plain((s - 1) * 100) + "%")
            return
        s = sum((k.weight for k in normal), Fraction(0))
        if s != parent.weight:
            hint = Hint(f"调整下级分值使合计为 {format_plain(parent.weight)}，或把 {parent.name} 的分值改为 {format_plain(s)}",
                        f"make the children add up to {format_plain(parent.weight)}, or give {parent.name} weight {format_plain(s)}")
            self.sink.error("PR401", parent.span, hint, labels=[Label(k.span, f"{k.name}：{format_plain(k.weight)}", f"{k.name}: {format_plain(k.weight)}") for k in normal],
                            parent=parent.name, sum=format_plain(s), weight=format_plain(parent.weight), diff=format_plain(s - parent.weight))

    def _full_marks(self) -> None:
        """PR511: a leaf whose weight is not a multiple of 10^-places cannot score its weight,
        since its score is rounded to `places` (3.333 at 100% scores 3.33, and a group of three
        such leaves 9.99 of 10). Reported on the `weights share` group that derived the weights,
        else on the leaf. Not with `total_only`, where leaves are not rounded."""
        s = self.settings
        if s.total_only:
            return
        step = Fraction(1, 10 ** s.places)

        def reach(ind: ir.Indicator) -> Fraction:
            if ind.is_leaf:
                return finish(ind.weight, Fraction(0), ind.weight, s.places, s.rounding, True)[0]
            return sum((reach(self.indicators[c]) for c in ind.children if self.indicators[c].kind == "normal"), Fraction(0))

        def args(ind: ir.Indicator, weights: list[Fraction]) -> dict:
            return dict(name=ind.name, reach=format_plain(reach(ind)), full=format_plain(ind.weight),
                        weights=[format_plain(w) for w in weights], step=format_plain(step), places=s.places)

        lost: dict[int, list[ir.Indicator]] = {}
        for ind in self.indicators:
            if not ind.is_leaf or ind.weight <= 0 or (ind.weight / step).denominator == 1:
                continue
            if reach(ind) == ind.weight:  # rounds up and is clamped back: full marks, shown rounded
                places = decimal_places(ind.weight)
                shown = format_plain(round_fraction(ind.weight, s.places, s.rounding), s.places)
                self.sink.warning("PR514", ind.span,
                                  Hint(f"保留 {places} 位小数（rounding {s.rounding} {places}），或把分值改为 {s.places} 位小数以内"
                                       if places is not None else f"把分值改为 {s.places} 位小数以内",
                                       f"keep {places} decimal places (rounding {s.rounding} {places}), or give it a weight "
                                       f"with at most {s.places}" if places is not None else
                                       f"give it a weight with at most {s.places} decimal place(s)"),
                                  name=ind.name, full=format_plain(ind.weight), weight_places=places, places=s.places,
                                  shown=shown)
                continue
            if ind.parent in self._share_groups and ind.kind == "normal":
                lost.setdefault(ind.parent, []).append(ind)
                continue
            near = format_plain(round_fraction(ind.weight, s.places, s.rounding) or step)
            siblings = ("，并相应调整同级指标的分值", " and adjust its siblings") if ind.kind == "normal" else ("", "")
            self.sink.warning("PR511", ind.span, Hint(f"分值改为 {s.places} 位小数以内（如 {near}）{siblings[0]}",
                                                      f"give it a weight with at most {s.places} decimal place(s) (e.g. {near}){siblings[1]}"),
                              **args(ind, [ind.weight]))
        for gid, leaves in lost.items():
            group = self.indicators[gid]
            kids = [self.indicators[c] for c in group.children if self.indicators[c].kind == "normal"]
            points = _split_on_grid(group.weight, [k.weight for k in kids], step)
            if points is not None:
                shown = "、".join(format_plain(p) for p in points), ", ".join(format_plain(p) for p in points)
                hint = Hint(f"去掉 weights share，直接写分值 {shown[0]}；或选用使分值不超过 {s.places} 位小数的比例",
                            f"drop weights share and give the points directly: {shown[1]}; or choose shares that give weights "
                            f"with at most {s.places} decimal place(s)")
            else:
                hint = Hint(f"{group.name} 的分值和下级分值都应是 {format_plain(step)} 的整数倍",
                            f"the weights of {group.name} and its children should be multiples of {format_plain(step)}")
            self.sink.warning("PR511", group.span, hint, **args(group, [k.weight for k in leaves]))

    def _value_of(self, ind: ir.Indicator, at: A.Node | None = None) -> ir.Expr | None:
        """A leaf's value, translated on first use: a let may read `X.value` before the leaves
        are done, and a value may read another leaf's value."""
        if ind.id in self._values_done or not ind.is_leaf:
            return ind.value
        marker = f"{ind.dotted}.value"
        if ind.id in self._values_busy:
            stack = self.let_stack
            chain = stack[stack.index(marker):] if marker in stack else [marker]
            self.sink.error("PR207", (at or self._decl_of[ind.id]).span, chain=" → ".join(chain + [marker]))
            return PLACEHOLDER
        vst = self._decl_of[ind.id].first("value")
        if vst is not None:
            self._values_busy.add(ind.id)
            # on the lets' stack too, so that a cycle through a let names every step
            # (人员控制率 → 人员控制.value → 人员控制率, not 人员控制率 → 人员控制率)
            self.let_stack.append(marker)
            ind.value = self.exprs.expr(vst.value, Ctx(leaf=ind, in_value=True))
            self.let_stack.pop()
            self._values_busy.discard(ind.id)
        self._values_done.add(ind.id)
        return ind.value

    def _leaves(self) -> None:
        for ind in self.indicators:
            self._value_of(ind)
        for ind in self.indicators:
            d = self._decl_of[ind.id]
            sst = d.first("score")
            if not ind.is_leaf or sst is None:
                continue
            vtype = ind.value.type if ind.value is not None else None
            ind.score = self.scores.form(sst.value, Ctx(leaf=ind, value_type=vtype))
            if ind.kind == "penalty" and isinstance(sst.value, A.Deduct):
                self.sink.warning("PR604", sst.span, Hint("扣分项直接写扣多少分，如 score 1 * 投诉次数（封顶由 max 管）",
                                                          "a penalty says how much to take off, e.g. score 1 * 投诉次数 (max caps it)"),
                                  name=ind.name, full=format_plain(ind.weight))
            if ind.unit is None and vtype is not None and vtype.kind == "number" and _mentions_percent(sst.value):
                ind.unit = "%"  # a ratio scored against 95%, target 100%, …: shown as 96.62%, not 0.97

    # ---- grades, alerts, outputs
    def _grades(self) -> list[ir.Grade]:
        from .grades import check_grade
        return [g for g in (check_grade(self, d) for d in self.grade_decls) if g is not None]

    def _alert(self, d: A.AlertDecl) -> ir.Alert:
        level = LEVELS.get(d.level.text)
        if level is None:
            self._unknown(d.level, Bi("预警级别", "alert level"), LEVELS)
            level = "warning"
        cond = self.exprs.boolean(d.cond, Ctx())
        parts = self._template(d.message) if d.message else ()
        return ir.Alert(d.name.text, level, cond, parts)

    # {expr} or {expr:format}; the colon may be full-width as everywhere else, and any format text
    # is taken in so that an unknown one ({x:百分比}) is reported as such, not as an unpaired brace
    _PLACE = re.compile(r"\{([^{}:：]*)(?:[:：]([^{}]*))?\}")

    def _template(self, msg: A.Str) -> tuple[ir.TemplatePart, ...]:
        """Split a message into text and {expr:fmt} parts; each expr is parsed at its real position."""
        src = self.sources[msg.span.file]
        raw = src.snippet(msg.span)
        text = msg.value
        base = msg.span.start + 1 if raw[:1] in ('"', "“") else msg.span.start
        parts, last = [], 0
        for m in self._PLACE.finditer(text):
            if m.start() > last:
                parts.append(ir.TemplatePart(text=text[last:m.start()]))
            offset = base + m.start(1)
            if not m.group(1).strip():  # {} or {:pct}
                at = base + m.start()
                self.sink.error("PR105", src.span(at, base + m.end()),
                                reason=Bi("花括号里没有表达式：写成 {预算执行率.value:pct} 这样", "nothing inside the braces: write e.g. {预算执行率.value:pct}"))
                last = m.end()
                continue
            try:
                from ..syntax import report_too_deep, too_deep
                from ..syntax.build import AstBuilder
                # parsed alone and its positions shifted: parsing the file up to here blanked to
                # spaces (as this once did) made each {expr} cost the whole file before it
                tree = get_parser().parse(m.group(1), start="expr")
                deep = too_deep(tree, offset)
                if deep is not None:
                    report_too_deep(src, self.sink, *deep)
                    e = PLACEHOLDER
                else:
                    node = AstBuilder(src, offset).transform(tree)
                    e = self.exprs.expr(node, Ctx())
            except Exception as err:  # noqa: BLE001 - any parse failure is a user error here
                span = src.span(offset, offset + len(m.group(1)))
                self.sink.error("PR105", span, reason=_template_reason(err))
                e = PLACEHOLDER
            fmt = (m.group(2) or "").strip()
            if fmt and not _TEMPLATE_FORMAT.fullmatch(fmt):  # the runtime would ignore it silently
                at = base + m.start(2)
                self.sink.error("PR105", src.span(at, at + max(len(m.group(2)), 1)),
                                reason=Bi(f"不认识的格式 {fmt or m.group(2)}，可用 pct、pct1、2（小数位数）、amount",
                                          f"unknown format {fmt or m.group(2)}; use pct, pct1, 2 (decimal places) or amount"))
            elif fmt and e.type.kind in ("text", "bool", "date", "choice"):  # ignored at run time too
                at = base + m.start(2)
                self.sink.error("PR105", src.span(at, at + len(m.group(2))),
                                reason=Bi(f"格式 {fmt} 只用于数值，{m.group(1).strip()} 是 {e.type}：去掉 :{fmt}",
                                          f"the format {fmt} is for numbers, {m.group(1).strip()} is {e.type}: drop :{fmt}"))
            parts.append(ir.TemplatePart(expr=e, fmt=fmt))
            last = m.end()
        if last < len(text):
            parts.append(ir.TemplatePart(text=text[last:]))
        spans = [(m.start(), m.end()) for m in self._PLACE.finditer(text)]
        for stray in re.finditer(r"[{}]", text):  # a brace outside every {expr}: one that does not pair
            if not any(a <= stray.start() < b for a, b in spans):
                at = base + stray.start()
                self.sink.error("PR105", src.span(at, at + 1),
                                reason=Bi("{ 与 } 没有配对：{表达式} 或 {表达式:格式} 要写在一对花括号里",
                                          "unpaired { or }: write {expr} or {expr:format} inside one pair of braces"))
                break
        return tuple(parts)

    def _duplicate_grades_alerts(self, decls) -> None:
        """Two `alert`s of one name, or two `grade by` of one target, are PR202 as two outputs
        are: the second grade was ignored, the second alert fired under the same name (so
        `expect { alert 名 }` could not tell them apart). An including file's own one replaces an
        inherited one before this (compose), so what is left here is written twice."""
        first: dict[str, Span] = {}
        for d in decls:
            if isinstance(d, A.AlertDecl):
                key, span, shown = "alert " + d.name.text, d.name.span, d.name.text
            elif isinstance(d, A.GradeDecl):
                target = d.target.dotted if d.target is not None else "total"
                key, shown = "grade by " + target, "grade by " + target
                span = d.target.span if d.target is not None else self.sources[d.span.file].span(d.span.start, d.span.start + len("grade"))
            else:
                continue
            if key in first:
                self.sink.error("PR202", span, labels=[Label(first[key], "首次定义于此", "first defined here")], name=shown)
            else:
                first[key] = span

    def _outputs(self, decls) -> list[ir.Output]:
        out, seen = [], {}
        for d in decls:
            if not isinstance(d, A.OutputDecl):
                continue
            if d.name.text in seen:
                self.sink.error("PR202", d.name.span, name=d.name.text)
                continue
            seen[d.name.text] = True
            out.append(ir.Output(d.name.text, self.exprs.expr(d.expr, Ctx())))
        return out

    # ---- lint
    def _lint(self) -> None:
        if self.broken or self.broken_reads or self.unread_names:
            return  # a part that did not parse may use them
        for name, (spec, decl) in self.inputs.items():
            if name not in self.used_inputs:
                self.sink.warning("PR601", decl.name.span, name=name)
        for name, decl in self.lets.items():
            if name not in self.used_lets:
                self.sink.warning("PR602", decl.name.span, name=name)
        unused = [name for name in self.defs if name not in self.used_defs]
        for name in unused:
            self.sink.warning("PR602", self.defs[name].name.span, name=name)
        self._unused_def_bodies(unused)
        self._unused_recursive_defs()

    # what an unused def's body is not checked for: whether `value`/`full` stand inside an
    # indicator and self-calls depend on where it is called (recursion: _unused_recursive_defs)
    _CALL_SITE_CODES = frozenset({"PR207", "PR208"})

    def _unused_def_bodies(self, unused: list[str]) -> None:
        """A def never called is never inlined, so its body was not checked: a misspelt name or
        a type error in it would go unreported until the day it is first used. Check it with
        its parameters of unknown type (they take any type, so nothing is reported about them),
        keeping what is used as it was (a name mentioned only there is still unused)."""
        saved = (set(self.used_inputs), set(self.used_lets), set(self.used_defs))
        for name in unused:
            decl = self.defs[name]
            sink = self.sink
            self.sink = self.exprs.sink = DiagnosticSink()
            try:
                params = {p.text: PLACEHOLDER for p in decl.params}
                self.exprs.expr(decl.body, Ctx(params=params, def_stack=(name,)))
            finally:
                found = self.sink.items
                self.sink = self.exprs.sink = sink
            seen = {(d.code, d.span) for d in sink.items}
            for d in found:
                if d.is_error and d.code not in self._CALL_SITE_CODES and (d.code, d.span) not in seen:
                    sink.add(d)
                    self.unused_def_errors.append(d)
        self.used_inputs, self.used_lets, self.used_defs = saved

    def _unused_recursive_defs(self) -> None:
        """PR207 for a def that calls itself (directly or through other defs) and is never
        called: a used one is reported where it is inlined, an unused one was only PR602 (and
        nothing at all in a file brought in with `use`, where unused defs are not warned about)."""
        def calls(node, out: list) -> list:
            if isinstance(node, A.Call) and node.func.dotted in self.defs:
                out.append(node)
            if dataclasses.is_dataclass(node):
                for f in dataclasses.fields(node):
                    calls(getattr(node, f.name), out)
            elif isinstance(node, (tuple, list)):
                for x in node:
                    calls(x, out)
            return out

        for name, decl in self.defs.items():
            if name in self.used_defs:
                continue
            stack, seen = [(name, calls(decl.body, []), (name,))], {name}
            while stack:
                _, pending, chain = stack.pop()
                for call in pending:
                    callee = call.func.dotted
                    if callee == name:
                        self.sink.error("PR207", call.span, chain=" → ".join(chain + (callee,)))
                        stack = []
                        break
                    if callee not in seen:
                        seen.add(callee)
                        stack.append((callee, calls(self.defs[callee].body, []), chain + (callee,)))


_SETTING_KEYS = ("rounding", "舍入", "missing", "缺失", "time_progress", "序时进度", "total", "总分",
                 "year", "预算年度", "年度")


def _run_on_hint(item: A.Setting) -> tuple:
    """A hint when a setting's arguments run on into the next setting (two settings on one line
    without a ;): `settings { total 1  rounding half_up 3 }` reads as total with four arguments."""
    for arg in item.args:
        if isinstance(arg, A.Name) and arg.text in _SETTING_KEYS:
            return (Hint(f"一行写几项设置时用分号隔开：{item.key.text} …; {arg.text} …",
                         f"separate settings on one line with semicolons: {item.key.text} …; {arg.text} …"),)
    return ()
