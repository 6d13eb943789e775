"""The fast exact row evaluator (backends/rowfast.py, runtime/qpairs.py) against the reference
interpreter on the cases where integer pairs could go wrong: input cells of every odd kind (its
inline conversion must accept exactly what convert_value accepts, with the same value, default
or error), floats whose decimal is not what they look like, division by zero, negative and .xx5
rounding in every mode, huge numbers, exclusion, and the fallback to the Fraction evaluator."""
from __future__ import annotations

from collections import UserDict
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfrules
from perfrules.io.cells import parse_decimal
from perfrules.runtime import qpairs

BACKENDS = ("row", "rowfraction")


def same(rules, rec, as_of=None) -> None:
    """Every row path gives the reference's raw result, field errors and model dump."""
    ref, ref_errors = rules.evaluate_raw(rec, as_of=as_of, backend="reference")
    want = rules.evaluate_one(rec, as_of=as_of, backend="reference").model_dump(mode="json")
    for backend in BACKENDS:
        raw, errors = rules.evaluate_raw(rec, as_of=as_of, backend=backend)
        assert [(e.field, e.message_zh, e.message_en, e.raw) for e in errors] == \
            [(e.field, e.message_zh, e.message_en, e.raw) for e in ref_errors], (backend, rec)
        if ref is None:
            assert raw is None
        else:
            assert raw.comparable() == ref.comparable(), (backend, rec)
        assert rules.evaluate_one(rec, as_of=as_of, backend=backend).model_dump(mode="json") == want, (backend, rec)


# ---- float and string conversion helpers


@settings(max_examples=3000, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_float_pair_is_the_shortest_decimal(x):
    got = qpairs.float_pair(x)
    if got is not None:
        assert Fraction(*got) == Fraction(repr(x))


@settings(max_examples=3000, deadline=None)
@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=0, max_value=6))
def test_float_pair_finds_decimals_of_up_to_six_places(n, k):
    x = n / 10**k
    got = qpairs.float_pair(x)
    assert Fraction(repr(x)) == Fraction(n, 10**k)
    if abs(x) * 10**k < 2**49:
        assert got is not None
    if got is not None:
        assert Fraction(*got) == Fraction(n, 10**k)


@pytest.mark.parametrize("x", [0.1 + 0.2, 1e-7, 1e20, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 2.675, 1.005,
                               99.995, 0.1, 123456789.123456, 2.0**50, 2.0**53 + 2, -1234567.5, 1e15, 1e13, 9.999999e12])
def test_float_pair_examples(x):
    got = qpairs.float_pair(x)
    if got is not None:
        assert Fraction(*got) == Fraction(repr(x))
    assert qpairs.float_pair(0.1 + 0.2) is None  # 0.30000000000000004 needs 17 places


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,20})?", fullmatch=True) | st.text(max_size=8))
def test_str_pair_agrees_with_parse_decimal(s):
    got = qpairs.str_pair(s)
    if got is not None:
        assert parse_decimal(s) == (Fraction(*got), False)


@pytest.mark.parametrize("mode", ["half_up", "half_even", "truncate"])
@pytest.mark.parametrize("t", range(-25, 26))
@pytest.mark.parametrize("d", [1, 2, 4, 10, 3])
def test_round_pair(mode, t, d):
    from perfrules.runtime.numbers import round_scaled
    assert qpairs.round_pair(t, d, mode) == round_scaled(Fraction(t, d), 0, mode)


# ---- input cells: the inline conversion takes exactly convert_value's decisions

CELLS_RULES = """
settings { total 10 }
input a: amount
input n: count
input p: percent
input x: number in [0, 100]
input y: number in [-5, 100)
input z: amount = 5 from "别名z", "zz"
input m: count = 3
input c: choice(甲, 乙, 无)
input f: bool
input t: text
input d: date
indicator 占位 weight 10 { value a; score 10 }
output oa = a
output on = n
output op = p
output ox = x
output oy = y
output oz = z
output om = m
output oc = c
output of = f
output ot = t
output od = d
"""

CELLS = [
    None, "", " ", "-", "（空）", "N/A", "无数据", 0, 1, -1, 3, 7, 10, 11, 100, 101, -5, -6, 0.0, -0.0, 0.1, 0.1 + 0.2,
    1e-7, 1e20, 1e13, 12345678.9, 2.675, 99.995, 100.0, 100.00000000000001, -5.0, float("nan"), float("inf"),
    float("-inf"), True, False, "0", "12.50", "-3", "95%", "1,234.56", "１２", " 7 ", "1e3", "abc", "(1,234.00)", "+5",
    "100", "100.0", "-5", "-5.01", "0.95", "10.5", "-0", "00012", "0.000001", "1" * 30, Decimal("1.10"),
    Decimal("NaN"), Fraction(1, 3), Fraction(7), date(2024, 6, 30), "2024-06-30", "甲", " 甲", "无", "丙", "是", "否",
    3.0, 3.5, 2**60, -(2**60), 10**25, 0.000001, 123456.123456, 1.0000001, 9.5, 10.0, 10.000000000000002,
]


@pytest.fixture(scope="module")
def cells_rules():
    return perfrules.compile(CELLS_RULES)


def test_cells_rules_are_fast(cells_rules):
    assert cells_rules.fast_evaluator is not None


BASE = {"a": 1, "n": 2, "p": 0.5, "x": 50, "y": 50, "c": "甲", "f": True, "t": "说明", "d": "2024-06-30"}


@pytest.mark.parametrize("field", ["a", "n", "p", "x", "y", "z", "别名z", "zz", "m", "c", "f", "t", "d"])
def test_every_cell_converts_as_convert_value_does(cells_rules, field):
    for cell in CELLS:
        same(cells_rules, {**BASE, field: cell})


def test_absent_fields_and_aliases(cells_rules):
    same(cells_rules, {})
    same(cells_rules, {"别名z": 7, "zz": 8})
    same(cells_rules, {"zz": 8})
    same(cells_rules, {"z": None, "别名z": 7})  # the name wins even when blank


def test_a_record_with_several_bad_cells_lists_them_in_input_order(cells_rules):
    same(cells_rules, {**BASE, "d": "bad", "a": "九万", "n": -1})
    raw, errors = cells_rules.evaluate_raw({**BASE, "d": "bad", "a": "九万", "n": -1})
    assert [e.field for e in errors] == ["a", "n", "d"]


def test_mappings_other_than_dict_take_the_fraction_path(cells_rules):
    rec = UserDict({**BASE, "a": 2.675})
    r = cells_rules.evaluate_one(rec)
    assert r == cells_rules.evaluate_one(dict(rec), backend="reference")


# ---- arithmetic: division by zero, rounding in every mode, huge numbers

def arith_rules(mode: str, places: int) -> str:
    return f"""
settings {{ rounding {mode} {places}; total 40 }}
input a: number
input b: number
input n: count = 2
indicator 除 weight 10 {{ value a / b; score value }}
indicator 差 weight 10 {{ value a - b; score value * 2 }}
indicator 比 weight 10 {{ value a; score ratio(target: b) }}
indicator 扣 weight 10 {{ value a; score deduct 0.5 per b over 1 counting started }}
output q = a / b
output r0 = round(a)
output r1 = round(a / b, 1)
output fl = floor(a / b)
output ce = ceil(a / b)
output mi = min(a, b, n)
output ma = max(b, a)
output ab = abs(a - b)
output big = a * b * a * b * a * b
output co = coalesce(a / b, b / a, 1)
output im = is_missing(a / b)
output ng = -a
output cond = if a > b then a else b
"""


NUMBERS = [None, 0, "0", "-0", 1, -1, "2.675", "-2.675", "1.005", "-1.005", "0.125", "-0.125", "0.005", "-0.005",
           "0.015", "-0.015", "99.995", 1e20, "123456789012345678901234567890", "-0.000000001", 0.1 + 0.2, 3]


@pytest.mark.parametrize("mode", ["half_up", "half_even", "truncate"])
@pytest.mark.parametrize("places", [0, 2])
def test_arithmetic_and_rounding(mode, places):
    rules = perfrules.compile(arith_rules(mode, places))
    assert rules.fast_evaluator is not None
    for a in NUMBERS:
        for b in NUMBERS:
            same(rules, {"a": a, "b": b})


def test_division_by_zero_reasons():
    rules = perfrules.compile(arith_rules("half_up", 2))
    r = rules.evaluate_one({"a": 2, "b": 0})
    flags = {i.name: [(f.code, f.message) for f in i.flags] for i in r.indicators}
    assert flags["除"] == [("missing", "b = 0，无法相除")]
    assert flags["比"] == [("missing", "b = 0，无法相除")]  # the target / unit as written, not target / per
    assert flags["扣"] == [("missing", "b = 0，无法相除")]
    assert r.outputs["q"] is None and r.outputs["co"] == "0" and r.outputs["im"] == "true"
    assert rules.evaluate_one({"a": 0, "b": 0}).outputs["co"] == "1"
    same(rules, {"a": 2, "b": 0})


def test_negative_scores_are_clamped_with_the_reference_text():
    rules = perfrules.compile(arith_rules("half_up", 2))
    r = rules.evaluate_one({"a": "-2.675", "b": 1})
    assert [f.message for f in r.indicator("差").flags] == ["计算得分 -7.35 低于 0，按 0 计"]
    same(rules, {"a": "-2.675", "b": 1})


# ---- whole rule files: exclusion, errors, bonus/penalty, weights that need more places


EXCLUDE = """
settings { rounding half_up 0; missing exclude; total 10 }
input a: number
input b: number
input k: choice(甲, 乙)
indicator 组 weight 7.5 {
  indicator 一 weight 2.5 { value a; score value }
  indicator 二 weight 5 { missing error
    value b; score bands { >= 1 -> full; > 0.5 -> 2.25; otherwise -> 0 } }
}
indicator 三 weight 2.5 { missing zero
  value k; score match value { 甲 -> 2.5, 乙 -> 1 } }
bonus indicator 加 max 1.5 { value a + b; score value }
penalty indicator 减 max 1 { value b - a; score value }
grade by total { 优 >= 9; 良 >= 6; 差 otherwise }
grade by 组 { 好 >= 6; 坏 otherwise }
alert 注意 warning when a > b or is_missing(b) { message "a={a} b={b:pct} 总分={total:1}" }
output g = match grade { 优 -> 1, 良 -> 2, 差 -> 3 }
output 总 = total
"""


def test_exclusion_errors_bonus_penalty_and_fine_weights():
    rules = perfrules.compile(EXCLUDE)
    assert rules.fast_evaluator is not None
    values = [None, "", 0, "0.5", "0.6", 1, "2.5", "3", -1, "1.25", "2.4999"]
    for a in values:
        for b in values:
            for k in (None, "甲", "乙"):
                same(rules, {"a": a, "b": b, "k": k})


def test_total_only_scores_are_pairs():
    rules = perfrules.compile(EXCLUDE.replace("rounding half_up 0;", "rounding half_even 1 total_only;"))
    assert rules.fast_evaluator is not None and rules.fast_evaluator.total_only
    for a in (None, 0, "0.55", "1.25", "2.45", "3", -1):
        for b in (None, "0.45", "0.75", 1, "2.5"):
            same(rules, {"a": a, "b": b, "k": "乙"})


def test_unsupported_rules_fall_back_to_the_fraction_evaluator():
    pop = perfrules.compile("input a: number\nindicator 一 weight 100 { value a; score ratio(target: max_of(a)) }\n")
    assert pop.fast_evaluator is None
    same(pop, {"a": 5})


def test_fast_source_holds_no_rule_text():
    rules = perfrules.compile(EXCLUDE)
    src = rules.python_source(fast=True)
    assert src.startswith("# Generated by perfrules (fast exact row evaluator)")
    body = src.split("\n", 3)[3]
    code_lines = [ln.split("#")[0] for ln in body.splitlines()]
    for text in ("甲", "乙", "注意", "2.25", "a=", "优"):
        assert not any(text in ln for ln in code_lines), text
    compile(src, "<fast>", "exec")


@pytest.mark.parametrize("path", ["health/health.rules", "education/education.rules", "urban/urban.rules",
                                  "statistics/statistics.rules", "projects/census-2024.rules",
                                  "monitoring/execution.rules", "common/fiscal.rules"])
def test_bundled_rulesets_are_fast(path):
    from conftest import RULESETS
    assert perfrules.load(RULESETS / path).fast_evaluator is not None


def test_health_table_dicts_equal_the_reference():
    """The benchmark's data: Python floats, ints, str categories, None for blanks."""
    from conftest import RULESETS
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.health_data import make_health_table

    rules = perfrules.load(RULESETS / "health" / "health.rules")
    for rec in make_health_table(300, seed=7).to_pylist():
        same(rules, rec)
        same(rules, rec, as_of=date(2024, 9, 30))


def test_cli_prints_the_fast_source(tmp_path, capsys):
    from perfrules.cli import main

    path = tmp_path / "r.rules"
    path.write_text(EXCLUDE, encoding="utf-8")
    assert main(["compile", str(path), "--emit", "python-fast"]) == 0
    out = capsys.readouterr().out
    assert out == perfrules.compile(EXCLUDE).python_source(fast=True)
    path.write_text("input a: number\nindicator 一 weight 100 { value a; score ratio(target: max_of(a)) }\n",
                    encoding="utf-8")
    assert main(["compile", str(path), "--emit", "python-fast"]) == 1
    assert "population" in capsys.readouterr().err
    # Chinese first, like every other message (it was English whatever the language).
    assert main(["compile", str(path), "--emit", "python-fast", "--lang", "zh"]) == 1
    assert "快速精确行评估器不支持" in capsys.readouterr().err
    assert main(["compile", str(path), "--emit", "python-fast", "--lang", "en"]) == 1
    assert "fast row evaluator does not support" in capsys.readouterr().err


VALUES_RULES = """
settings { rounding half_up 1; total 10; time_progress by_month }
input d: date
input t: text
input f: bool
input c: choice(甲, 乙, 无)
input a: amount
input n: count
let 早 = d < 2024-07-01
let 进度 = time_progress(as_of)
indicator 清单 weight 4 {
  value n
  score checklist { f -> 1; 早 -> 1; t = "是" -> 1; not (a > 100) or is_missing(a) -> 1 }
}
indicator 择 weight 3 {
  value a
  score either ratio(target: 200) or deduct 1 per 10 under 300 counting whole by better
}
indicator 有 weight 3 {
  value a / n
  score either ratio(target: 50, reverse) or bands { >= 1 -> 2; otherwise -> 0.5 } by available
}
alert 日期 info when 早 and f { message "{d} {t} {f} {c} {a:amount} {a:pct1} {n:0} {进度:pct}" }
alert 缺 severe when is_missing(a) or not f { message "a={a} n={n}" }
output od = d
output ot = t
output of = f
output oc = match c { 甲 -> "一", 乙 -> "二", otherwise -> "无" }
output oy = if 早 then year(d) else month(d)
output op = 进度
output ox = coalesce(a / n, n, a)
output ogt = match grade { 优 -> 1, 差 -> 2 }
grade by total { 优 >= 6; 差 otherwise }
"""


def test_dates_text_bools_alerts_and_combined_forms():
    rules = perfrules.compile(VALUES_RULES)
    assert rules.fast_evaluator is not None
    for d in (None, "2024-06-30", date(2024, 7, 1), "bad"):
        for t in (None, "是", "否"):
            for f in (None, True, False, "是"):
                for a, n in ((None, 3), ("150", 0), (250.5, 5), (1000, None), ("12345.678", 2)):
                    for as_of in (None, date(2024, 6, 30)):
                        same(rules, {"d": d, "t": t, "f": f, "c": "乙", "a": a, "n": n}, as_of=as_of)
