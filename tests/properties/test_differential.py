"""Property tests: the compiled row evaluator equals the reference interpreter on random rule
files and random records, and both equal an independent exact-fraction oracle written here on
random expressions.

Rule files are generated as text from small random trees that are well typed by construction
(numbers and conditions are generated separately), so every generated file must compile; the
records mix ordinary decimals with blanks, zeros, negatives and .xx5 ties.
"""
from __future__ import annotations

import math
import os
from datetime import date
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfrules
from perfrules.runtime.missing import Missing

# PERFRULES_HYPOTHESIS_SCALE=20 runs twenty times the examples (for a long local hunt).
SCALE = int(os.environ.get("PERFRULES_HYPOTHESIS_SCALE", "1"))
NUMBER_INPUTS = ("a", "b", "c")
HEAD = [
    "input a: number",
    "input b: number",
    "input c: number",
    "input p: percent",
    "input n: count",
]
ALL_INPUTS = NUMBER_INPUTS + ("p", "n")

# ---- random expressions as trees: ("num", Fraction, text) ("in", name) ("bin", op, l, r)
# ("neg", x) ("call", fn, args) ("if", cond, a, b); conditions ("cmp", op, l, r) ("and"/"or", l, r)
# ("not", c) ("miss", x)

LITERALS = ["0", "1", "2", "0.5", "2.675", "1.005", "0.975", "0.125", "-1.5", "100", "3", "0.1", "0.2", "95%", "30%", "12.5%"]


def lit(text: str):
    v = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    return ("num", v, text)


def conditions_over(nums):
    atoms = st.one_of(
        st.tuples(st.just("cmp"), st.sampled_from([">=", ">", "<=", "<", "=", "!="]), nums, nums),
        st.tuples(st.just("miss"), nums),
    )
    return st.recursive(atoms, lambda c: st.one_of(
        st.tuples(st.just("and"), c, c),
        st.tuples(st.just("or"), c, c),
        st.tuples(st.just("not"), c),
    ), max_leaves=3)


def _extend(children):
    return st.one_of(
        st.tuples(st.just("bin"), st.sampled_from("+-*/"), children, children),
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("call"), st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.tuples(st.just("call"), st.just("abs"), children.map(lambda x: (x,))),
        st.tuples(st.just("call"), st.just("round"), st.tuples(children, st.sampled_from([lit("0"), lit("1"), lit("2")]))),
        st.tuples(st.just("call"), st.just("coalesce"), st.tuples(children, st.sampled_from(LITERALS).map(lit))),
        st.tuples(st.just("if"), st.tuples(st.just("cmp"), st.sampled_from([">=", "<", "=", "!="]), children, children),
                  children, children),
    )


numbers = st.recursive(
    st.one_of(st.sampled_from(LITERALS).map(lit), st.sampled_from(ALL_INPUTS).map(lambda n: ("in", n))),
    _extend, max_leaves=8)
conditions = conditions_over(numbers)


def text(e) -> str:
    k = e[0]
    if k == "num":
        return e[2] if not e[2].startswith("-") else f"({e[2]})"
    if k == "in":
        return e[1]
    if k == "bin":
        return f"({text(e[2])} {e[1]} {text(e[3])})"
    if k == "neg":
        return f"(-{text(e[1])})"
    if k == "call":
        return f"{e[1]}({', '.join(text(a) for a in e[2])})"
    if k == "if":
        return f"(if {text(e[1])} then {text(e[2])} else {text(e[3])})"
    if k == "cmp":
        return f"({text(e[2])} {e[1]} {text(e[3])})"
    if k in ("and", "or"):
        return f"({text(e[1])} {k} {text(e[2])})"
    if k == "not":
        return f"(not {text(e[1])})"
    if k == "miss":
        return f"is_missing({text(e[1])})"
    raise AssertionError(e)


# ---- the independent oracle: exact fractions, None for missing, Kleene logic


def half_up(x: Fraction, places: int) -> Fraction:
    scale = 10 ** places
    mag = abs(x) * scale
    q = math.floor(mag + Fraction(1, 2))
    return Fraction(q if x >= 0 else -q, scale)


def oracle(e, env):
    k = e[0]
    if k == "num":
        return e[1]
    if k == "in":
        return env[e[1]]
    if k == "bin":
        a, b = oracle(e[2], env), oracle(e[3], env)
        if a is None or b is None:
            return None
        if e[1] == "/":
            return None if b == 0 else a / b
        return {"+": a + b, "-": a - b, "*": a * b}[e[1]]
    if k == "neg":
        v = oracle(e[1], env)
        return None if v is None else -v
    if k == "call":
        args = [oracle(a, env) for a in e[2]]
        if e[1] == "coalesce":
            return args[0] if args[0] is not None else args[1]
        if any(a is None for a in args):
            return None
        if e[1] == "min":
            return min(args)
        if e[1] == "max":
            return max(args)
        if e[1] == "abs":
            return abs(args[0])
        return half_up(args[0], int(args[1]))
    if k == "if":
        c = oracle(e[1], env)
        if c is None:
            return None
        return oracle(e[2] if c else e[3], env)
    if k == "cmp":
        a, b = oracle(e[2], env), oracle(e[3], env)
        if a is None or b is None:
            return None
        return {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b, "=": a == b, "!=": a != b}[e[1]]
    if k == "and":
        a, b = oracle(e[1], env), oracle(e[2], env)
        if a is False or b is False:
            return False
        return None if a is None or b is None else True
    if k == "or":
        a, b = oracle(e[1], env), oracle(e[2], env)
        if a is True or b is True:
            return True
        return None if a is None or b is None else False
    if k == "not":
        v = oracle(e[1], env)
        return None if v is None else not v
    if k == "miss":
        return oracle(e[1], env) is None
    raise AssertionError(e)


# ---- random records

# Values shared with LITERALS make ties (a > b with a = b, bounds hit exactly) common.
POOL = ["", "0", "1", "2", "3", "0.5", "2.675", "1.005", "0.975", "0.125", "-1.5", "100", "0.1", "0.2", "0.95",
        "0.3", "-2.675", "1204", "1344", "99.995", "-0", "0.0"]
decimal_text = st.one_of(
    st.sampled_from(POOL),
    st.sampled_from(POOL),
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=-5, max_value=5).map(str),
)
percent_text = st.one_of(
    st.sampled_from(["", "0%", "95%", "30%", "12.5%", "100%", "97.5%", "102.5%", "-5%", "0", "0.5", "1", "0.873"]),
    st.decimals(min_value=-2, max_value=2, places=4, allow_nan=False, allow_infinity=False).map(str),
)
count_text = st.one_of(st.just(""), st.integers(min_value=0, max_value=5).map(str), st.integers(min_value=0, max_value=50).map(str))
records = st.fixed_dictionaries({"a": decimal_text, "b": decimal_text, "c": decimal_text, "p": percent_text, "n": count_text})


def env_of(rec) -> dict:
    env = {}
    for name in ALL_INPUTS:
        raw = rec[name].strip()
        if raw == "":
            env[name] = None
        elif raw.endswith("%"):
            env[name] = Fraction(raw[:-1]) / 100
        else:
            env[name] = Fraction(raw)
    return env


_cache: dict[str, perfrules.Ruleset] = {}


def compiled(src: str) -> perfrules.Ruleset:
    if src not in _cache:
        if len(_cache) > 500:
            _cache.clear()
        _cache[src] = perfrules.compile(src)
    return _cache[src]


@settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs=st.lists(numbers, min_size=1, max_size=3), conds=st.lists(conditions, min_size=1, max_size=2), rec=records)
def test_expressions_equal_the_oracle_on_both_backends(exprs, conds, rec):
    lines = HEAD + [f"output x{i} = {text(e)}" for i, e in enumerate(exprs)]
    lines += [f"output c{i} = {text(c)}" for i, c in enumerate(conds)]
    rules = compiled("\n".join(lines) + "\n")
    env = env_of(rec)
    raws = {}
    for backend in ("reference", "row", "rowfraction"):
        raw, errors = rules.evaluate_raw(rec, backend=backend)
        assert not errors
        raws[backend] = raw
        for i, e in enumerate(exprs):
            got = raw.outputs[f"x{i}"]
            want = oracle(e, env)
            assert (None if isinstance(got, Missing) else got) == want, (backend, text(e), rec)
        for i, c in enumerate(conds):
            got = raw.outputs[f"c{i}"]
            want = oracle(c, env)
            assert (None if isinstance(got, Missing) else got) == want, (backend, text(c), rec)
    assert raws["reference"].comparable() == raws["row"].comparable() == raws["rowfraction"].comparable()
    assert rules.fast_evaluator is not None  # expressions alone never need the Fraction fallback


# ---- random rule files: indicators with every scoring form, settings, grades, alerts

FORMS = ("expr", "ratio", "ratio_rev", "bands", "bands_expr", "linear", "deduct", "match", "checklist", "either")


@st.composite
def leaf(draw, name: str):
    weight = draw(st.sampled_from([Fraction(1), Fraction(2), Fraction(5, 2), Fraction(10), Fraction(1, 2)]))
    w = str(weight.numerator / weight.denominator).removesuffix(".0")
    value = draw(numbers)
    form = draw(st.sampled_from(FORMS))
    pts = st.sampled_from(["0", "full", "value", "value * full", "0.5 * full", "full - value"])
    consts = st.lists(st.sampled_from(["-1", "0", "0.5", "1", "2.675", "95%", "10"]), min_size=2, max_size=4, unique=True)
    if form == "expr":
        score = f"score {text(draw(numbers))} + value"
    elif form in ("ratio", "ratio_rev"):
        target = draw(st.sampled_from(["100%", "90", "0.5", "b", "a + 1"]))
        score = f"score ratio(target: {target}{', reverse' if form == 'ratio_rev' else ''})"
    elif form == "bands":
        ts = sorted({Fraction(t[:-1]) / 100 if t.endswith("%") else Fraction(t) for t in draw(consts)}, reverse=True)
        op = draw(st.sampled_from([">=", ">"]))
        parts = [f"{op} {float(t)!r} -> {draw(pts)}" for t in ts]
        score = "score bands { " + "; ".join(parts) + f"; otherwise -> {draw(pts)} }}"
    elif form == "bands_expr":
        parts = [f"{text(draw(conditions))} -> {draw(pts)}" for _ in range(draw(st.integers(1, 3)))]
        tail = f"; otherwise -> {draw(pts)}" if draw(st.booleans()) else ""
        score = "score bands { " + "; ".join(parts) + tail + " }"
    elif form == "linear":
        xs = sorted({Fraction(t[:-1]) / 100 if t.endswith("%") else Fraction(t) for t in draw(consts)})
        ps = [draw(st.sampled_from(["0", "full", "0.5"])) for _ in xs]
        score = "score linear { " + ", ".join(f"{float(x)!r} -> {p}" for x, p in zip(xs, ps)) + " }"
    elif form == "deduct":
        per = draw(st.sampled_from(["0.5", "1", "0.05", "0.2"]))
        unit = draw(st.sampled_from(["1%", "1", "5%", "0.3"]))
        direction = draw(st.sampled_from(["over", "under"]))
        threshold = draw(st.sampled_from(["0", "100%", "5%", "b"]))
        counting = draw(st.sampled_from(["", " counting continuous", " counting whole", " counting started"]))
        score = f"score deduct {per} per {unit} {direction} {threshold}{counting}"
    elif form == "match":
        score = "score match n { 0 -> full, 1 | 2 -> 0.5 * full, otherwise -> 0 }"
    elif form == "checklist":
        items = [f"{text(draw(conditions))} -> {draw(st.sampled_from(['0', '0.5', 'full']))}" for _ in range(draw(st.integers(1, 3)))]
        score = "score checklist { " + "; ".join(items) + " }"
    else:
        mode = draw(st.sampled_from(["", " by better", " by available"]))
        score = f"score either ratio(target: 100%) or deduct 1 per 1 over 0{mode}"
    missing = draw(st.sampled_from(["", "  missing zero", "  missing exclude", "  missing error"]))
    body = [f"indicator {name} weight {w} {{"] + ([missing] if missing else []) + [f"  value {text(value)}", f"  {score}", "}"]
    return weight, body


@st.composite
def rule_files(draw):
    n = draw(st.integers(1, 4))
    leaves = [draw(leaf(f"指标{i}")) for i in range(n)]
    total = sum(w for w, _ in leaves)
    kind = draw(st.sampled_from(["flat", "group", "bonus"]))
    rounding = draw(st.sampled_from(["half_up", "half_even", "truncate"]))
    places = draw(st.sampled_from([0, 1, 2, 2, 4]))
    only = draw(st.sampled_from(["", " total_only"]))
    missing = draw(st.sampled_from(["zero", "exclude", "error"]))
    lines = HEAD + [f"settings {{ rounding {rounding} {places}{only}; missing {missing}; total {float(total)!r}; time_progress by_day }}"]
    if kind == "group":
        lines.append(f"indicator 分组 weight {float(total)!r} {{")
        for _, body in leaves:
            lines += ["  " + b for b in body]
        lines.append("}")
    else:
        for _, body in leaves:
            lines += body
    if kind == "bonus":
        lines += ["bonus indicator 加分 max 2 {", f"  value {text(draw(numbers))}", "  score value", "}"]
    lo = draw(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(2, 3)])) * total
    lines.append(f"grade by total {{ 优 >= {float(total * Fraction(9, 10))!r}; 良 > {float(lo)!r}; 差 otherwise }}")
    lines.append(f"alert 提示 warning when {text(draw(conditions))} {{ message \"a={{a}} p={{p:pct}} x={{{text(draw(numbers))}:2}}\" }}")
    lines.append(f"output o = {text(draw(numbers))}")
    lines.append("output g = match grade { 优 -> 1, 良 -> 2, 差 -> 3 }")
    lines.append("output 总 = total")
    return "\n".join(lines) + "\n"


@settings(max_examples=120 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(src=rule_files(), recs=st.lists(records, min_size=1, max_size=3),
       as_of=st.one_of(st.none(), st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31))))
def test_row_evaluator_equals_reference_on_random_rule_files(src, recs, as_of):
    try:
        rules = compiled(src)
    except perfrules.CompileError as err:  # the generator only writes valid files
        raise AssertionError(f"generated rule file does not compile:\n{src}\n{err}") from None
    # the fast evaluator generates every file of this kind (none falls back to the Fraction one)
    assert rules.fast_evaluator is not None, rules.__dict__.get("_fast_unsupported")
    for rec in recs:
        ref, ref_errors = rules.evaluate_raw(rec, as_of=as_of, backend="reference")
        for backend in ("row", "rowfraction"):
            row, row_errors = rules.evaluate_raw(rec, as_of=as_of, backend=backend)
            assert [str(e) for e in ref_errors] == [str(e) for e in row_errors]
            if ref is None:
                continue
            assert ref.comparable() == row.comparable(), src
            a = rules.to_result(ref, []).model_dump(mode="json")
            b = rules.to_result(row, []).model_dump(mode="json")
            assert a == b
            # and what evaluate_one gives (the lazy result of the fast evaluator)
            assert rules.evaluate_one(rec, as_of=as_of, backend=backend).model_dump(mode="json") == \
                rules.evaluate_one(rec, as_of=as_of, backend="reference").model_dump(mode="json"), src
