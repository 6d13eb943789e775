"""The columnar backend equals the reference evaluator, to the last shown character.

Random rule files (every scoring form, rounding modes and places, total_only, missing policies,
groups, bonus, grades, alerts, outputs) and random tables (blanks, zeros, negatives, .xx5 ties,
values shared between literals and records so that exact ties are common) come from the
property-test generators in tests/properties/test_differential.py. Each table is scored by
evaluate_table; every row must equal the reference result flattened by the row path, column by
column (scores, values, flags, total, grade, alerts, outputs, status, error). Small chunks make
one table span several chunks, so the chunk-wide error bounds of the fast tier get exercised.
"""
from __future__ import annotations

import importlib.util
import os
from datetime import date
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfrules import flat

HERE = Path(__file__).resolve().parent
SCALE = int(os.environ.get("PERFRULES_HYPOTHESIS_SCALE", "1"))


def _generators():
    path = HERE.parent / "properties" / "test_differential.py"
    spec = importlib.util.spec_from_file_location("_perfrules_property_generators", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


G = _generators()


def reference_rows(rules, records, as_of, lang="en"):
    out = []
    for i, rec in enumerate(records):
        r = rules.evaluate_one(rec, as_of=as_of, backend="reference", row=i + 1)
        out.append(flat.flatten(rules, r, lang))
    return out


def columnar_rows(rules, table, as_of, lang="en", **kw):
    result = rules.evaluate_table(table, as_of=as_of, lang=lang, **kw)
    assert result.num_rows == table.num_rows
    return [{k: (None if v is None else str(v)) for k, v in row.items()}
            for b in result.to_batches() for row in flat.as_text(b).to_pylist()]


def assert_same(got, want, context, subset: bool = False):
    """got == want row by row; subset: got shows some of want's columns (columns="total")."""
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        w = {k: (None if v is None else str(v)) for k, v in w.items()}
        if subset:
            assert set(g) <= set(w), set(g) - set(w)
            w = {k: w[k] for k in g}
        if g != w:
            diff = {k: (w.get(k), g.get(k)) for k in w if w.get(k) != g.get(k)}
            raise AssertionError(f"row {i + 1} differs (reference, columnar): {diff}\n{context}")


def string_table(records):
    return pa.table({k: pa.array([r[k] for r in records], pa.string()) for k in G.ALL_INPUTS})


@settings(max_examples=150 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(src=G.rule_files(), recs=st.lists(G.records, min_size=1, max_size=30),
       as_of=st.one_of(st.none(), st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31))),
       chunk=st.sampled_from([1, 3, 16384]), columns=st.sampled_from(["all", "all", "scores", "total"]))
def test_columnar_equals_reference_on_random_rule_files(src, recs, as_of, chunk, columns):
    """Every column set: "total" evaluates some scores by another route (colvalues.scaled_raw)."""
    rules = G.compiled(src)
    want = reference_rows(rules, recs, as_of)
    got = columnar_rows(rules, string_table(recs), as_of, chunk_rows=chunk, columns=columns)
    assert_same(got, want, src, subset=columns != "all")


def _scaled_forms_file(places: int, rounding: str) -> str:
    """Leaves of the forms colvalues.scaled_raw rewrites when only totals are shown (ratio with
    a constant target, deduct counted continuously), beside forms it leaves alone."""
    forms = ["ratio(target: 100%)", "ratio(target: 90%)", "ratio(target: 0.3)", "ratio(target: b)",
             "ratio(target: 95%, reverse)", "deduct 0.5 per 1 over 0", "deduct 0.2 per 1% over 5%",
             "deduct 0.05 per 0.3 under 2", "deduct 1 per 1% over b", "deduct 0.5 per 1 over 0 counting whole",
             "deduct 0.25 per 0.1 under 0.5 counting started"]
    values = ["a / b", "a", "p", "a - b", "c / 3", "n", "p", "a", "a / b", "c", "b"]
    weights = ["2", "5", "2.5", "1", "3", "2", "4", "1.5", "2", "3", "1"]
    lines = G.HEAD + [f"settings {{ rounding {rounding} {places}; missing zero; total 100 }}"]
    for i, (form, value, w) in enumerate(zip(forms, values, weights)):
        lines += [f"indicator 指标{i} weight {w} {{", f"  value {value}", f"  score {form}", "}"]
    lines += ["indicator 其余 weight 73 {", "  value 1", "  score value * 73", "}",
              "grade by total { 优 >= 90; 良 >= 80; 差 otherwise }"]
    return "\n".join(lines) + "\n"


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(recs=st.lists(G.records, min_size=1, max_size=40), places=st.sampled_from([0, 1, 2, 4]),
       rounding=st.sampled_from(["half_up", "half_even", "truncate"]))
def test_scaled_forms_total_equals_the_reference(recs, places, rounding):
    """columns="total" scores ratio and deduct leaves from one scaled expression each: every
    total, grade and error row equals the reference's."""
    rules = G.compiled(_scaled_forms_file(places, rounding))
    want = reference_rows(rules, recs, None)
    got = columnar_rows(rules, string_table(recs), None, columns="total", chunk_rows=16)
    assert_same(got, want, (places, rounding), subset=True)


@settings(max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs=st.lists(G.numbers, min_size=1, max_size=3), conds=st.lists(G.conditions, min_size=1, max_size=2),
       recs=st.lists(G.records, min_size=1, max_size=20))
def test_columnar_expressions_equal_the_oracle(exprs, conds, recs):
    lines = G.HEAD + [f"output x{i} = {G.text(e)}" for i, e in enumerate(exprs)]
    lines += [f"output c{i} = {G.text(c)}" for i, c in enumerate(conds)]
    rules = G.compiled("\n".join(lines) + "\n")
    table = rules.evaluate_table(string_table(recs), lang="en", chunk_rows=7)
    rows = table.to_pylist()
    for rec, row in zip(recs, rows):
        env = G.env_of(rec)
        for i, e in enumerate(exprs):
            want = G.oracle(e, env)
            got = row[f"x{i}"]
            # outputs are shown to 10 places: the oracle's exact value rounded half up
            want = None if want is None else G.half_up(want, 10)
            assert (None if got is None else Fraction(got)) == want, (G.text(e), rec)
        for i, c in enumerate(conds):
            want = G.oracle(c, env)
            got = row[f"c{i}"]
            assert got == (None if want is None else ("true" if want else "false")), (G.text(c), rec)


def _typed(records):
    """The same records as typed Arrow columns where they parse (float64 / int64), as a
    Parquet file would give them."""
    cols = {}
    for k in G.ALL_INPUTS:
        vals = [r[k].strip() for r in records]
        if k == "n":
            cols[k] = pa.array([None if v == "" else int(v) for v in vals], pa.int64())
        elif k == "p" and any(v.endswith("%") for v in vals):
            cols[k] = pa.array([None if v == "" else v for v in vals], pa.string())
        else:
            cols[k] = pa.array([None if v == "" else float(v) for v in vals], pa.float64())
    return pa.table(cols)


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(src=G.rule_files(), recs=st.lists(G.records, min_size=1, max_size=20))
def test_typed_columns_equal_the_row_path(src, recs):
    """Floats and integers (Parquet, Arrow, JSON numbers) are read as the row path reads them:
    a float is the decimal of its shortest repr."""
    rules = G.compiled(src)
    table = _typed(recs)
    records = table.to_pylist()
    want = reference_rows(rules, records, None)
    got = columnar_rows(rules, table, None, chunk_rows=5)
    assert_same(got, want, src)


@pytest.mark.parametrize("value", ["0.1", "2.675", "1.005", "123456789012.345", "0.30000000000000004",
                                   "1e-7", "99999999999999999", "-0.0", "1E+3"])
def test_awkward_numbers(value):
    """Long and float-hostile decimals go to the exact path and still agree."""
    import perfrules

    rules = perfrules.compile(
        "input a: number\ninput b: number\n"
        "indicator 甲 weight 100 { value a / 3 + b\n score value }\n"
        "output x = a * 1000\noutput y = round(a, 2)\n")
    recs = [{"a": value, "b": "0"}, {"a": "-" + value.lstrip("-"), "b": value}]
    table = pa.table({"a": [r["a"] for r in recs], "b": [r["b"] for r in recs]})
    assert_same(columnar_rows(rules, table, None), reference_rows(rules, recs, None), value)


CHOICES = """\
input 等次: choice(优秀, 良好, 合格, 不合格)
input 层级: choice(国家级, 省级, 市级, 无) = 无
input 备注: text
settings { rounding half_up 2; missing {missing}; total 20 }
indicator 考评 weight 5 {
  score match 等次 { 优秀 -> 5, 良好 | 合格 -> 3.5, 不合格 -> 0 }
}
indicator 层级分 weight 3 {
  score match 层级 { 国家级 -> 3, 省级 -> 2.25, otherwise -> 0.5 }
}
indicator 备注分 weight 2 {
  score match 备注 { "有" -> 2, "无" -> 0 }
}
indicator 其余 weight 10 {
  value 1
  score value * 10
}
grade by total { 优 >= 18; 良 >= 15; 差 otherwise }
output 考评值 = match 等次 { 优秀 -> 1, 不合格 -> -1, otherwise -> 0.5 }
"""


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=st.lists(st.fixed_dictionaries({
    "等次": st.sampled_from(["优秀", "良好", "合格", "不合格", "", "很好", " 良好 "]),
    "层级": st.sampled_from(["国家级", "省级", "市级", "无", "", "国家"]),
    "备注": st.sampled_from(["有", "无", "", "有 ", "没有"])}), min_size=1, max_size=30),
    missing=st.sampled_from(["zero", "exclude", "error"]), columns=st.sampled_from(["all", "total"]))
def test_match_over_choices_equals_the_reference(recs, missing, columns):
    """A match over a choice column with constant results is looked up by category code
    (ChunkRun._match_table): blanks, defaults, unknown values, a category in two cases and
    a category in none all as the reference has them."""
    rules = G.compiled(CHOICES.replace("{missing}", missing))
    table = pa.table({k: pa.array([r[k] for r in recs], pa.string()) for k in ("等次", "层级", "备注")})
    want = reference_rows(rules, [dict(r) for r in recs], None)
    got = columnar_rows(rules, table, None, columns=columns, chunk_rows=8)
    assert_same(got, want, missing, subset=columns != "all")


BANDS = """\
input a: number
input b: number
input p: percent
input n: count
settings { rounding half_up 2; missing {missing}; total 20 }
indicator 档次 weight 5 {
  value a / b
  score bands { >= 95% -> 5; >= 90% -> 4; > 80% -> 2.5; otherwise -> 0 }
}
indicator 名次 weight 4 {
  value n
  score bands { <= 3 -> 4; <= 6 -> 3; <= 9 -> 2; > 9 -> 1 }
}
indicator 达标 weight 3 {
  value p
  score bands { == 100% -> 3; > 100% -> 2; < 100% -> 1.5 }
}
indicator 乱序 weight 2 {
  value a
  score bands { <= 0.5 -> 2; >= 2.675 -> 1; <= 1.005 -> 0.5; otherwise -> 0.25 }
}
indicator 其余 weight 6 {
  value 1
  score value * 6
}
grade by total { 优 >= 18; 良 >= 15; 差 otherwise }
"""


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(recs=st.lists(G.records, min_size=1, max_size=40), missing=st.sampled_from(["zero", "exclude", "error"]),
       columns=st.sampled_from(["all", "total"]))
def test_bands_of_constants_equal_the_reference(recs, missing, columns):
    """Bands comparing the value with constants and giving constant points are looked up
    (ChunkRun._bands_table): the first band that holds, ties on a threshold, blanks and a value
    no otherwise (名次, 达标: every value has a band) as the reference has them."""
    rules = G.compiled(BANDS.replace("{missing}", missing))
    want = reference_rows(rules, recs, None)
    got = columnar_rows(rules, string_table(recs), None, columns=columns, chunk_rows=16)
    assert_same(got, want, missing, subset=columns != "all")
