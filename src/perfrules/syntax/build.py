"""Builds the AST from Lark's parse tree. It validates nothing: that is semantics' job.

Literal conversion that can fail (a date like 2024-02-30) does not raise here; it yields a
placeholder that semantics reports, because an exception inside a Lark transformer callback
would arrive wrapped in a VisitError.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from lark import Token, Transformer, v_args

from ..source import SourceFile, Span
from . import ast as A

_CMP = {"≥": ">=", "≧": ">=", "＞＝": ">=", "≤": "<=", "≦": "<=", "＜＝": "<=", "≠": "!=", "<>": "!=",
        "＞": ">", "＜": "<", "==": "==", "=": "=="}
_HALF = str.maketrans({"＞": ">", "＜": "<", "＝": "=", "！": "!"})


def _cmp(op) -> str:
    """A comparison operator as its ASCII twin: ≥ ＞＝ >＝ → >=, ＝＝ → ==, ！＝ ＜＞ → !=, …"""
    op = str(op)
    ascii_op = op.translate(_HALF)
    return _CMP.get(op) or _CMP.get(ascii_op, ascii_op)


_ARITH = {"×": "*", "＊": "*", "÷": "/", "／": "/", "＋": "+", "－": "-", "−": "-"}


def parse_number(text: str) -> tuple[Fraction, bool]:
    """Exact value of a number literal; a trailing % or ％ divides by 100."""
    pct = text[-1] in "%％"
    digits = (text[:-1] if pct else text).replace("_", "")
    value = Fraction(Decimal(digits))
    return (value / 100 if pct else value), pct


@v_args(meta=True)
class AstBuilder(Transformer):
    def __init__(self, src: SourceFile, offset: int = 0):
        """`offset`: where in `src` the parsed text starts (a message's {expr}, parsed alone)."""
        super().__init__()
        self.src = src
        self.offset = offset

    # ---- helpers
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return self.src.span(0, 0)
        return self.src.span(meta.start_pos + self.offset, meta.end_pos + self.offset)

    def _tok_span(self, tok: Token) -> Span:
        return self.src.span(tok.start_pos + self.offset, tok.end_pos + self.offset)

    def _str(self, tok: Token) -> A.Str:
        return A.Str(self._tok_span(tok), _unquote(str(tok)))

    # ---- names and literals
    def name(self, meta, ch):
        tok = ch[0]
        text = str(tok)
        if tok.type == "QUOTED_NAME":
            text = text[1:-1].strip()
        return A.Name(self._tok_span(tok), text)

    def path(self, meta, ch):
        return A.Ref(self._span(meta), tuple(ch))

    def number(self, meta, ch):
        v, _ = parse_number(str(ch[0]))
        return A.Num(self._span(meta), v, str(ch[0]))

    def percent(self, meta, ch):
        v, _ = parse_number(str(ch[0]))
        return A.Num(self._span(meta), v, str(ch[0]), True)

    def signed(self, meta, ch):
        neg = len(ch) == 2
        tok = ch[-1]
        v, pct = parse_number(str(tok))
        text = ("-" if neg else "") + str(tok)
        return A.Num(self._span(meta), -v if neg else v, text, pct)

    def string(self, meta, ch):
        return A.Str(self._span(meta), _unquote(str(ch[0])))

    def date(self, meta, ch):
        text = str(ch[0])
        try:
            y, m, d = (int(x) for x in text.split("-"))
            return A.DateLit(self._span(meta), date(y, m, d))
        except ValueError:
            return A.Str(self._span(meta), "\0bad-date:" + text)

    def true(self, meta, ch):
        return A.BoolLit(self._span(meta), True)

    def false(self, meta, ch):
        return A.BoolLit(self._span(meta), False)

    def full(self, meta, ch):
        return A.Full(self._span(meta))

    def value_ref(self, meta, ch):
        return A.ValueRef(self._span(meta))

    def total_ref(self, meta, ch):
        return A.TotalRef(self._span(meta))

    def grade_ref(self, meta, ch):
        return A.GradeRef(self._span(meta))

    # ---- expressions
    def ref(self, meta, ch):
        return ch[0]

    def call(self, meta, ch):
        func, *args = ch
        return A.Call(self._span(meta), func, tuple(a for a in args if a is not None))

    def arg(self, meta, ch):
        return A.Arg(self._span(meta), None, ch[0])

    def named_arg(self, meta, ch):
        return A.Arg(self._span(meta), ch[0], ch[1])

    def neg(self, meta, ch):
        return A.Neg(self._span(meta), ch[1])

    def binary(self, meta, ch):
        left, op, right = ch
        o = str(op)
        return A.Binary(self._span(meta), _ARITH.get(o, o), left, right)

    def compare(self, meta, ch):
        left, op, right = ch
        o = str(op)
        return A.Compare(self._span(meta), _cmp(o), left, right)

    def compare_eq(self, meta, ch):
        return A.Compare(self._span(meta), "==", ch[0], ch[1])

    def and_(self, meta, ch):
        return A.BoolOp(self._span(meta), "and", ch[0], ch[1])

    def or_(self, meta, ch):
        return A.BoolOp(self._span(meta), "or", ch[0], ch[1])

    def not_(self, meta, ch):
        return A.Not(self._span(meta), ch[0])

    def if_expr(self, meta, ch):
        return A.If(self._span(meta), *ch)

    def match_expr(self, meta, ch):
        return A.Match(self._span(meta), ch[0], tuple(ch[1:]))

    def match_case(self, meta, ch):
        *pats, result = ch
        return A.Case(self._span(meta), tuple(self._pattern(p) for p in pats), result)

    def otherwise(self, meta, ch):
        return "otherwise"

    def _pattern(self, p) -> A.Pattern:
        if p == "otherwise":
            # the span of `otherwise` is not kept by Lark; the case span serves
            return A.Pattern(self.src.span(self.offset, self.offset))
        if isinstance(p, A.Name):
            return A.Pattern(p.span, name=p)
        return A.Pattern(p.span, literal=p)

    # ---- scoring forms
    def score_stmt(self, meta, ch):
        return A.Statement(self._span(meta), "score", ch[0])

    def score_expr(self, meta, ch):
        return A.ScoreExpr(self._span(meta), ch[0])

    def bands(self, meta, ch):
        return A.Bands(self._span(meta), tuple(ch))

    def band(self, meta, ch):
        cond, points = ch
        if cond == "otherwise":
            cond = A.BandCond(self._span(meta), "otherwise")
        elif not isinstance(cond, A.BandCond):
            cond = A.BandCond(cond.span, "expr", expr=cond)
        return A.Band(self._span(meta), cond, points)

    def bare_cmp(self, meta, ch):
        op = str(ch[0])
        return A.BandCond(self._span(meta), "cmp", op=_cmp(op), bound=ch[1])

    def bare_eq(self, meta, ch):
        return A.BandCond(self._span(meta), "cmp", op="==", bound=ch[0])

    def bare_range(self, meta, ch):
        _, lo, hi, end = ch
        return A.BandCond(self._span(meta), "range", bound=lo, hi=hi, hi_closed=(end == "closed"))

    def bare_range_open_low(self, meta, ch):
        lo, hi, end = ch
        return A.BandCond(self._span(meta), "range", bound=lo, hi=hi, lo_closed=False, hi_closed=(end == "closed"))

    def closed_end(self, meta, ch):
        return "closed"

    def open_end(self, meta, ch):
        return "open"

    def linear(self, meta, ch):
        return A.Linear(self._span(meta), tuple(ch))

    def lpoint(self, meta, ch):
        return A.LinearPoint(self._span(meta), ch[0], ch[1])

    def deduct(self, meta, ch):
        points, unit, direction, threshold, counting = ch
        return A.Deduct(self._span(meta), points, unit, direction, threshold, counting)

    def over(self, meta, ch):
        return "over"

    def under(self, meta, ch):
        return "under"

    def checklist(self, meta, ch):
        return A.Checklist(self._span(meta), tuple(ch))

    def check_item(self, meta, ch):
        return A.CheckItem(self._span(meta), ch[0], ch[1])

    def either(self, meta, ch):
        return A.Either(self._span(meta), ch[0], ch[1], ch[2])

    # ---- declarations
    def start(self, meta, ch):
        return A.Module(self._span(meta), tuple(c for c in ch if c is not None))

    def ruleset_decl(self, meta, ch):
        return A.RulesetDecl(self._span(meta), _unquote(str(ch[0])), _unquote(str(ch[1])) if ch[1] else None)

    def meta_decl(self, meta, ch):
        return A.MetaDecl(self._span(meta), str(ch[0]), _unquote(str(ch[1])))

    def applies_decl(self, meta, ch):
        return A.AppliesDecl(self._span(meta), tuple(_unquote(str(t)) for t in ch))

    def extends_decl(self, meta, ch):
        return A.IncludeDecl(self._span(meta), "extends", _unquote(str(ch[0])))

    def use_decl(self, meta, ch):
        return A.IncludeDecl(self._span(meta), "use", _unquote(str(ch[0])))

    def settings_decl(self, meta, ch):
        return A.SettingsDecl(self._span(meta), tuple(c for c in ch if c is not None))

    def setting(self, meta, ch):
        return A.Setting(self._span(meta), ch[0], tuple(ch[1:]))

    def setting_key(self, meta, ch):
        c = ch[0]
        if isinstance(c, A.Name):
            return c
        return A.Name(self._tok_span(c), str(c))

    def input_decl(self, meta, ch):
        name, (type_name, choices), *opts = ch
        return A.InputDecl(self._span(meta), name, type_name, choices, tuple(opts))

    def type_spec(self, meta, ch):
        return ch[0], tuple(c for c in ch[1:] if c is not None)

    def opt_default(self, meta, ch):
        return A.InputOption(self._span(meta), "default", ch[0])

    def opt_label(self, meta, ch):
        return A.InputOption(self._span(meta), "label", _unquote(str(ch[0])))

    def opt_range(self, meta, ch):
        _, lo, hi, end = ch
        return A.InputOption(self._span(meta), "range", (lo, hi, end == "closed"))

    def opt_aliases(self, meta, ch):
        return A.InputOption(self._span(meta), "aliases", tuple(_unquote(str(t)) for t in ch))

    def let_decl(self, meta, ch):
        return A.LetDecl(self._span(meta), ch[0], ch[1])

    def def_decl(self, meta, ch):
        name, *params, body = ch
        return A.DefDecl(self._span(meta), name, tuple(p for p in params if p is not None), body)

    def indicator_decl(self, meta, ch):
        kind, name, weight, *stmts = ch
        statements, children = [], []
        for st in stmts:
            if st is None:
                continue
            (children if isinstance(st, A.IndicatorDecl) else statements).append(st)
        wkind, wnum = weight if weight is not None else ("", None)
        return A.IndicatorDecl(self._span(meta), kind or "normal", name, wnum, wkind, tuple(statements), tuple(children))

    def bonus(self, meta, ch):
        return "bonus"

    def penalty(self, meta, ch):
        return "penalty"

    def weight(self, meta, ch):
        return ("weight", ch[0])

    def max_points(self, meta, ch):
        return ("max", ch[0])

    def code_stmt(self, meta, ch):
        return A.Statement(self._span(meta), "code", self._str(ch[0]))

    def value_stmt(self, meta, ch):
        return A.Statement(self._span(meta), "value", ch[0])

    def unit_stmt(self, meta, ch):
        return A.Statement(self._span(meta), "unit", self._str(ch[0]))

    def note_stmt(self, meta, ch):
        return A.Statement(self._span(meta), "note", self._str(ch[0]))

    def missing_stmt(self, meta, ch):
        return A.Statement(self._span(meta), "missing", ch[0])

    def weights_mode(self, meta, ch):
        return A.Statement(self._span(meta), "weights", ch[0])

    def grade_decl(self, meta, ch):
        target, *bands = ch
        return A.GradeDecl(self._span(meta), None if target == "total" else target, tuple(bands))

    def total_target(self, meta, ch):
        return "total"

    def grade_target(self, meta, ch):
        return "grade"

    def grade_cmp(self, meta, ch):
        name, op, bound = ch
        o = str(op)
        return A.GradeBand(self._span(meta), name, _cmp(o), bound)

    def grade_eq(self, meta, ch):
        return A.GradeBand(self._span(meta), ch[0], "==", ch[1])

    def grade_otherwise(self, meta, ch):
        return A.GradeBand(self._span(meta), ch[0], "otherwise", None)

    def alert_decl(self, meta, ch):
        name, level, cond, *rest = ch
        message = next((r for r in rest if isinstance(r, A.Str)), None)
        return A.AlertDecl(self._span(meta), name, level, cond, message)

    def message_stmt(self, meta, ch):
        return self._str(ch[0])

    def output_decl(self, meta, ch):
        return A.OutputDecl(self._span(meta), ch[0], ch[1])

    def override_decl(self, meta, ch):
        kind, value = ch[1]
        return A.OverrideDecl(self._span(meta), ch[0], kind, value)

    def override_weight(self, meta, ch):
        return ("weight", ch[0])

    def override_score(self, meta, ch):
        return ("score", ch[0].value)

    def override_value(self, meta, ch):
        return ("value", ch[0])

    def remove_decl(self, meta, ch):
        return A.RemoveDecl(self._span(meta), ch[0])

    def test_decl(self, meta, ch):
        name, *blocks = ch
        given, expect = [], []
        for kind, items in (b for b in blocks if b is not None):
            (given if kind == "given" else expect).extend(i for i in items if i is not None)
        return A.TestDecl(self._span(meta), _unquote(str(name)), tuple(given), tuple(expect))

    def given(self, meta, ch):
        return ("given", ch)

    def expect(self, meta, ch):
        return ("expect", ch)

    def given_item(self, meta, ch):
        return A.GivenItem(self._span(meta), ch[0], ch[1])

    def expect_eq(self, meta, ch):
        return A.ExpectItem(self._span(meta), "eq", ch[0], ch[1])

    def expect_alert(self, meta, ch):
        return A.ExpectItem(self._span(meta), "alert", ch[0])

    def expect_no_alert(self, meta, ch):
        return A.ExpectItem(self._span(meta), "no_alert", ch[0])

    def expect_error(self, meta, ch):
        return A.ExpectItem(self._span(meta), "error", ch[0])


def _unquote(text: str) -> str:
    if text.startswith("“"):
        return text[1:-1]
    body = text[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "{": "\\{", "}": "\\}"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
