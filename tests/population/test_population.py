"""Population functions: rank, max_of, min_of, mean_of, percentile_of over the batch scored.

Semantics under test (docs/language.md, "Population functions"): competition ranking (1, 2, 2, 4);
missing values and error rows are left out of the population and a missing value has no rank;
a batch of one ranks 1, has percentile 1 and is its own max; everything exact; the reference and
the row evaluator agree; chunk statistics merge to the whole batch's.
"""
from __future__ import annotations

import pickle
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfrules
from perfrules.runtime.missing import Missing
from perfrules.runtime.population import Stats, call, collect, merge_all

F = Fraction

RULES = """
ruleset "pop/test" version "1"
input 完成数: count
input 计划数: count
input 满意度: percent
let 完成率 = 完成数 / 计划数

indicator 业务 weight 60 {
  indicator 完成率按第一名比例 weight 30 {
    value 完成率
    score value / max_of(value) * full          # 按第1名的比例得分
  }
  indicator 完成率排名 weight 30 {
    value 完成率
    score bands { rank(value) <= 1 -> 30; rank(value) <= 3 -> 20; otherwise -> 10 }
  }
}
indicator 满意 weight 40 {
  indicator 满意度分位 weight 40 {
    value 满意度
    score percentile_of(value) * full
  }
}

output 名次 = rank(完成率)
output 倒数名次 = rank(完成率, asc)
output 最高 = max_of(完成率)
output 最低 = min_of(完成率)
output 平均 = mean_of(完成率)
output 分位 = percentile_of(满意度)
"""


@pytest.fixture(scope="module")
def rules():
    return perfrules.compile(RULES)


def rec(done, plan=10, sat="80%"):
    return {"完成数": done, "计划数": plan, "满意度": sat}


def scores(result) -> dict[str, str]:
    return {i.name: str(i.score) for i in result.indicators}


# ---- the statistics
def test_competition_ranking_with_ties():
    s = Stats.from_values([F(9), F(8), F(8), F(5)])
    assert [s.rank(x) for x in (F(9), F(8), F(8), F(5))] == [1, 2, 2, 4]
    assert [s.rank(x, desc=False) for x in (F(9), F(8), F(8), F(5))] == [4, 2, 2, 1]


def test_percentile_is_the_share_at_or_below():
    s = Stats.from_values([F(1), F(2), F(2), F(4), F(5)])
    assert [s.percentile(x) for x in (F(1), F(2), F(4), F(5))] == [F(1, 5), F(3, 5), F(4, 5), F(1)]


def test_max_min_mean_exact():
    s = Stats.from_values([F(1, 3), F(2, 3), F(1)])
    assert (s.max(), s.min(), s.mean()) == (F(1), F(1, 3), F(2, 3))


def test_missing_is_left_out_and_has_no_rank():
    gone = Missing("input_missing", "完成数")
    s = Stats.from_values([F(3), gone, None, F(1)])
    assert s.count == 2 and s.rank(F(1)) == 2
    assert s.rank(gone) is gone and s.percentile(gone) is gone


def test_empty_population():
    s = Stats.from_values([Missing("input_missing", "x")])
    assert type(s.max("x")) is Missing and s.max("x").code == "population_empty"
    assert type(s.mean()) is Missing and type(s.rank(F(1))) is Missing


def test_batch_of_one():
    s = Stats.from_values([F(7, 10)])
    assert (s.rank(F(7, 10)), s.rank(F(7, 10), False), s.percentile(F(7, 10)), s.max(), s.min(), s.mean()) == (1, 1, 1, F(7, 10), F(7, 10), F(7, 10))


def test_not_computed_yet():
    assert call("rank", None, F(1)).code == "population_pending"


def test_stats_are_small_and_picklable():
    s = Stats.from_values([F(1, 3), F(2)])
    assert pickle.loads(pickle.dumps(s)) == s


@given(st.lists(st.lists(st.fractions(min_value=-100, max_value=100, max_denominator=20), max_size=8), max_size=5))
@settings(max_examples=80, deadline=None)
def test_merge_of_chunks_equals_the_whole(chunks):
    whole = Stats.from_values([v for c in chunks for v in c])
    merged = Stats.from_values([])
    for c in chunks:
        merged = merged.merge(Stats.from_values(c))
    assert merged == whole
    assert merge_all([[Stats.from_values(c)] for c in chunks]) in (None, [whole])


@given(st.lists(st.fractions(min_value=0, max_value=10, max_denominator=4), min_size=1, max_size=12))
@settings(max_examples=80, deadline=None)
def test_rank_and_percentile_match_their_definitions(values):
    s = Stats.from_values(values)
    for x in values:
        assert s.rank(x) == 1 + sum(v > x for v in values)
        assert s.rank(x, False) == 1 + sum(v < x for v in values)
        assert s.percentile(x) == F(sum(v <= x for v in values), len(values))


def test_values_a_float_cannot_tell_apart_rank_exactly():
    """Ranks bisect on floats first: values with the same float (1/3 and 1/3 + 10^-30) and
    values beyond float's range still rank by their exact order."""
    tiny = F(1, 10**30)
    values = [F(1, 3) + tiny, F(1, 3), F(1, 3) - tiny, F(10**400), F(-10**400), F(1, 3)]
    s = Stats.from_values(values)
    assert list(s.values) == sorted(values)
    for x in values + [F(1, 3) + 2 * tiny, F(10**401)]:
        assert s.rank(x) == 1 + sum(v > x for v in values)
        assert s.rank(x, False) == 1 + sum(v < x for v in values)
        assert s.percentile(x) == F(sum(v <= x for v in values), len(values))
    assert pickle.loads(pickle.dumps(s)).rank(F(1, 3)) == 3


def test_collect_builds_one_stats_per_population():
    a, b = collect([(F(1), F(5)), (F(2), Missing("x", "")), (F(3), F(4))], 2)
    assert a.values == (1, 2, 3) and b.values == (4, 5)


# ---- rules over a batch
def test_score_in_proportion_to_the_first(rules):
    out = rules.evaluate([rec(8), rec(9), rec(6)])
    assert [scores(r)["完成率按第一名比例"] for r in out] == ["26.67", "30.00", "20.00"]


def test_rank_table_with_ties(rules):
    out = rules.evaluate([rec(9), rec(8), rec(8), rec(5), rec(4)])
    assert [r.outputs["名次"] for r in out] == ["1", "2", "2", "4", "5"]
    assert [scores(r)["完成率排名"] for r in out] == ["30.00", "20.00", "20.00", "10.00", "10.00"]
    assert [r.outputs["倒数名次"] for r in out] == ["5", "3", "3", "2", "1"]
    assert {r.outputs["最高"] for r in out} == {"0.9"} and {r.outputs["最低"] for r in out} == {"0.4"}
    assert {r.outputs["平均"] for r in out} == {"0.68"}


def test_percentile_across_the_batch(rules):
    out = rules.evaluate([rec(5, sat="70%"), rec(5, sat="90%"), rec(5, sat="80%"), rec(5, sat="90%")])
    assert [r.outputs["分位"] for r in out] == ["0.25", "1", "0.5", "1"]
    assert [scores(r)["满意度分位"] for r in out] == ["10.00", "40.00", "20.00", "40.00"]


def test_missing_values_and_error_rows_are_left_out(rules):
    batch = [rec(9), rec(""), rec("not a number"), rec(6), rec(3, plan=0)]
    out = rules.evaluate(batch)
    assert [r.ok for r in out] == [True, True, False, True, True]
    assert [r.outputs.get("名次") for r in out] == ["1", None, None, "2", None]
    assert out[1].outputs["最高"] == "0.9"  # the batch statistic, whatever the record's own value
    assert scores(out[1])["完成率按第一名比例"] == "0.00"
    assert any(f.code == "missing" for i in out[1].indicators for f in i.flags)


def test_batch_of_one_and_evaluate_one(rules):
    [alone] = rules.evaluate([rec(3)])
    one = rules.evaluate_one(rec(3))
    for r in (alone, one):
        assert r.outputs["名次"] == "1" and r.outputs["分位"] == "1" and r.outputs["最高"] == "0.3"
        assert scores(r)["完成率按第一名比例"] == "30.00"
        assert str(r.total) == "100.00"


def test_empty_batch(rules):
    assert rules.evaluate([]) == []


def test_whole_batch_missing(rules):
    out = rules.evaluate([rec(""), rec("")])
    assert [r.outputs["最高"] for r in out] == [None, None]
    assert all(r.ok for r in out)


def test_reference_and_row_agree(rules):
    batch = [rec(9), rec(8, sat="95%"), rec(8), rec(""), rec(2, plan=0), rec(5, sat="60%"), rec("x")]
    assert rules.evaluate_raw(batch[-1])[0] is None  # an error row
    ref = [r.model_dump() for r in rules.evaluate(batch, backend="reference")]
    row = [r.model_dump() for r in rules.evaluate(batch, backend="row")]
    assert ref == row


def test_chunked_statistics_score_like_the_whole_batch(rules):
    from perfrules.runtime.convert import convert_record

    batch = [rec(n, sat=f"{60 + 3 * n}%") for n in (9, 3, 7, 7, 1, 10, 4)]
    envs = [convert_record(rules.inputs, r)[0] for r in batch]
    whole = rules.population_stats(envs)
    chunks = [rules.population_stats(envs[i:i + 3]) for i in range(0, len(envs), 3)]
    assert merge_all(chunks) == whole
    assert rules.population_stats(envs, backend="reference") == whole
    by_stats = [rules.evaluate_one(r, pop=whole).model_dump() for r in batch]
    assert by_stats == [r.model_dump() for r in rules.evaluate(batch)]


@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 12)), st.integers(0, 10),
                          st.one_of(st.none(), st.integers(0, 100))), min_size=1, max_size=9))
@settings(max_examples=40, deadline=None)
def test_reference_and_row_agree_on_random_batches(rows):
    rules = _compiled()
    batch = [{"完成数": "" if d is None else d, "计划数": p, "满意度": "" if s is None else f"{s}%"} for d, p, s in rows]
    ref = [r.model_dump() for r in rules.evaluate(batch, backend="reference")]
    row = [r.model_dump() for r in rules.evaluate(batch, backend="row")]
    assert ref == row
    # ranks follow the definition over the non-missing values
    rates = [F(d, p) if d is not None and p else None for d, p, _ in rows]
    present = [x for x in rates if x is not None]
    for r, x in zip(ref, rates):
        want = None if x is None else str(1 + sum(v > x for v in present))
        assert r["outputs"]["名次"] == want


_CACHE: dict = {}


def _compiled():
    if "r" not in _CACHE:
        _CACHE["r"] = perfrules.compile(RULES)
    return _CACHE["r"]


def test_generated_code_has_two_phases(rules):
    src = rules.python_source()
    assert "def phase1(env, as_of=None):" in src and "def evaluate(env, as_of=None, pop=None):" in src
    assert src == perfrules.compile(RULES).python_source()  # byte-stable


def test_rules_without_population_functions_are_unchanged(health):
    assert not health.has_population and health.program.phase1 == [] and "def phase1" not in health.python_source()


def test_population_in_a_let_a_def_and_an_alert():
    text = """
input 支出: amount
input 预算: amount
let 执行率 = 支出 / 预算
let 领先 = 执行率 - mean_of(执行率)
def 相对(x) = x / max_of(x)
indicator 总 weight 100 {
  value 相对(执行率)
  score value * full
}
alert 落后 warning when 领先 < 0 { message "执行率低于平均 {领先:pct}" }
"""
    rules = perfrules.compile(text)
    out = rules.evaluate([{"支出": 50, "预算": 100}, {"支出": 100, "预算": 100}])
    assert [str(r.total) for r in out] == ["50.00", "100.00"]
    assert [[a.message for a in r.alerts] for r in out] == [["执行率低于平均 -25.00%"], []]


def test_nested_population_is_an_error():
    with pytest.raises(perfrules.CompileError) as err:
        perfrules.compile("input 甲: number\nlet 乙 = rank(甲)\nindicator 总 weight 100 { value rank(乙); score full }\n")
    [d] = [d for d in err.value.diagnostics if d.is_error]
    assert d.code == "PR212" and d.span.line == 3 and "乙" in d.message("en")


def test_rank_of_a_score_that_uses_no_population_function():
    text = """
input 甲: number
indicator 总 weight 100 {
  indicator 分 weight 100 { value 甲; score linear { 0 -> 0, 10 -> full } }
}
output 名次 = rank(total)
"""
    rules = perfrules.compile(text)
    assert [r.outputs["名次"] for r in rules.evaluate([{"甲": 3}, {"甲": 9}, {"甲": 3}])] == ["2", "1", "2"]


def test_a_data_file_is_one_batch(tmp_path, rules):
    from perfrules.pipeline import evaluate_file

    data = tmp_path / "units.csv"
    data.write_text("单位,完成数,计划数,满意度\n甲,8,10,80%\n乙,9,10,90%\n丙,坏,10,70%\n丁,9,10,85%\n", encoding="utf-8")
    for backend in ("row", "reference"):
        out = list(evaluate_file(rules, str(data), id_column="单位", backend=backend))
        assert [r.record_id for r in out] == ["甲", "乙", "丙", "丁"]
        assert [r.outputs.get("名次") for r in out] == ["3", "1", None, "1"]  # 丙 is an error row, left out
        assert [r.outputs.get("分位") for r in out] == ["0.3333333333", "1", None, "0.6666666667"]
