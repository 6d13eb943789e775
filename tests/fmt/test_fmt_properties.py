"""Random rule text in random layouts (spacing, full-width forms, redundant parentheses, wrapped
lines, comments anywhere a comment may go): fmt must accept it, keep its meaning and comments
(format_text verifies both and raises FormatterBug otherwise) and be idempotent."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfrules.syntax.printer import format_text

# (precedence, text): 0 if, 1 or, 2 and, 3 not, 4 compare, 5 sum, 6 product, 7 neg, 8 atom
ATOMS = st.sampled_from(["a", "b", "`c d`", "1", "0.50", "95%", "1_000", "full", "value", "max(a, b)", "abs(-a)"])
SPACE = st.sampled_from(["", " ", "  ", "\u3000"])
OPS = {"+": ["+", "＋"], "-": ["-", "－"], "*": ["*", "×"], "/": ["/", "÷"]}
CMPS = {">=": [">=", "≥"], "<=": ["<=", "≤"], "!=": ["!=", "≠", "<>"], "=": ["=", "＝", "=="], ">": [">", "＞"]}


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return 8, draw(ATOMS)
    kind = draw(st.sampled_from(["sum", "prod", "neg", "cmp", "and", "or", "not", "if", "call"]))
    sp = draw(SPACE) or " "

    def sub(min_prec):
        prec, text = draw(expressions(depth - 1))
        if prec < min_prec or draw(st.integers(0, 5)) == 0:
            lp, rp = draw(st.sampled_from([("(", ")"), ("（", "）")]))
            return f"{lp}{text}{rp}"
        return text

    def wrap():  # a newline after an operator continues the expression
        return draw(st.sampled_from([sp, sp, "\n    ", "  # 续行\n    ", "\n    # 独占一行\n    "]))

    if kind in ("sum", "prod"):
        op = draw(st.sampled_from(["+", "-"] if kind == "sum" else ["*", "/"]))
        prec = 5 if kind == "sum" else 6
        return prec, f"{sub(prec)}{sp}{draw(st.sampled_from(OPS[op]))}{wrap()}{sub(prec + 1)}"
    if kind == "neg":
        return 7, "-" + sub(7)
    if kind == "cmp":
        op = draw(st.sampled_from(sorted(CMPS)))
        return 4, f"{sub(5)}{sp}{draw(st.sampled_from(CMPS[op]))}{wrap()}{sub(5)}"
    if kind in ("and", "or"):
        prec = 2 if kind == "and" else 1
        return prec, f"{sub(prec)} {kind}{wrap()}{sub(prec + 1)}"
    if kind == "not":
        return 3, "not " + sub(3)
    if kind == "if":
        return 0, f"if {sub(0)} then {sub(0)} else {sub(0)}"
    return 8, f"min({sub(0)}，{sp}{sub(0)})"


COMMENT = st.sampled_from(["", "", "  # 注释", "\t# note: x = 1 -> 2", "# 紧贴"])


@st.composite
def bands(draw):
    items = draw(st.lists(st.sampled_from([">= 95% -> full", "≥ 80% → 3", "<= 10% -> 1.5", "= 0 -> 2",
                                           "[1, 2) -> 1", "a > 1 and b < 2 -> 0.5"]), min_size=1, max_size=4))
    items.append("otherwise -> 0")
    layout = draw(st.sampled_from(["line", "open", "mixed"]))
    if layout == "line":
        return "bands { " + draw(st.sampled_from(["; ", "；", ", "])).join(items) + " }"
    lines = []
    for i, it in enumerate(items):
        joined = layout == "mixed" and i and draw(st.booleans())
        if joined:
            lines[-1] += "; " + it
        else:
            lines.append(it + draw(COMMENT))
        if draw(st.integers(0, 4)) == 0:
            lines.append("# between bands")
    return "bands {\n      " + "\n      ".join(lines) + "\n    }"


@st.composite
def rule_files(draw):
    parts = ["# head", 'ruleset "r" version "1"', "input a: number", "input b: number", "input `c d`: number"]
    for i in range(draw(st.integers(1, 4))):
        _, expr = draw(expressions())
        parts.append(f"let v{i} ={draw(SPACE) or ' '}{expr}{draw(COMMENT)}")
        if draw(st.booleans()):
            parts.append("")
    score = draw(st.one_of(bands(), st.just("ratio(target: 100%)"),
                           st.just("linear { 70% -> 0, 90% -> full }"),
                           st.just("deduct 0.5 per 1% under 100% counting whole"),
                           st.just("either ratio(target: 1) or bands { >= 1 -> full; otherwise -> 0 } by better")))
    parts.append(f"indicator 甲 weight 100 {{{draw(COMMENT)}\n  value a / b{draw(COMMENT)}\n  score {score}\n}}")
    parts.append('output 建议 = match v0 > 1 { true -> "好", false -> "差" }' + draw(COMMENT))
    joiner = draw(st.sampled_from(["\n", "\r\n"]))
    return joiner.join(parts) + joiner


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_files())
def test_fmt_accepts_random_layouts_and_is_idempotent(text):
    once = format_text(text, "random.rules")
    assert format_text(once, "random.rules") == once
