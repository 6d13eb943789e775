"""Population functions in the columnar backend equal the reference, to the last character.

rank, percentile_of, max_of, min_of and mean_of over random batches: ratios of cents amounts
(denominators too large for a float to certify a tie by itself), ratios of counts, equal
ratios written differently (1.00/3.00 and 2.00/6.00), blanks, zeros, negatives, error rows;
small chunks, so the statistics of the whole table meet the chunk-wide bounds of each chunk.
Statistics computed over the scored table itself (evaluate_table) and given by a caller
(evaluate_batches with pop=, where a row need not be in the population) take different
certification routes (colpop); both must equal the reference.
"""
from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfrules
from perfrules import flat

RULES = """
ruleset "pop/columnar" version "1"
input 实际支出: amount
input 预算数: amount
input 完成数: count
input 计划数: count
let 执行率 = 实际支出 / 预算数
let 完成率 = 完成数 / 计划数

indicator 执行 weight 50 {
  indicator 执行率排名 weight 20 {
    value 执行率
    score bands { rank(value) <= 1 -> 20; rank(value) <= 3 -> 15; percentile_of(value) >= 50% -> 10; otherwise -> 5 }
  }
  indicator 执行率比第一 weight 30 {
    value 执行率
    score value / max_of(value) * full
  }
}
indicator 完成 weight 50 {
  indicator 完成率分位 weight 25 {
    value 完成率
    score percentile_of(value) * full
  }
  indicator 完成率倒数 weight 25 {
    value 完成率
    score bands { rank(value, asc) <= 2 -> 5; otherwise -> 25 }
  }
}

output 执行名次 = rank(执行率)
output 完成名次 = rank(完成率, asc)
output 最低完成率 = min_of(完成率)
output 平均执行率 = mean_of(执行率)
output 执行分位 = percentile_of(执行率)
"""

AMOUNTS = st.sampled_from(["1.00", "2.00", "3.00", "6.00", "98560.00", "95231.47", "12345.67", "0", "-5.00", "",
                           "0.01", "33333.33", "99999.99", "x"])
# 333333333333333 / 999999999999998 is 1/3 · (1 + 10^-15): a few ulps from 1/3, inside its window
COUNTS = st.sampled_from(["0", "1", "2", "3", "4", "6", "37", "40", "", "-1",
                          "333333333333333", "999999999999998", "999999999999999"])
ROW = st.fixed_dictionaries({"实际支出": AMOUNTS, "预算数": AMOUNTS, "完成数": COUNTS, "计划数": COUNTS})


@pytest.fixture(scope="module")
def rules():
    return perfrules.compile(RULES)


def _table(rows):
    return pa.table({k: pa.array([r[k] for r in rows], pa.string()) for k in ("实际支出", "预算数", "完成数", "计划数")})


def _texts(result):
    return [row for b in result.to_batches() for row in flat.as_text(b).to_pylist()]


@given(st.lists(ROW, min_size=1, max_size=40))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_columnar_equals_reference_over_the_table(rules, rows):
    assert rules.columnar_evaluator is not None
    table = _table(rows)
    want = _texts(rules.evaluate_table(table, backend="reference"))
    assert _texts(rules.evaluate_table(table, chunk_rows=7, threads=1)) == want


@given(st.lists(ROW, min_size=1, max_size=25), st.lists(ROW, min_size=0, max_size=25))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_columnar_equals_reference_with_statistics_of_other_records(rules, rows, others):
    """pop= from another batch: a row's own value need not be among the statistics."""
    pop = rules.population_stats(_table(others))
    table = _table(rows)
    want = [row for b in rules.evaluate_batches([table], pop=pop, backend="reference") for row in _texts(pa.table(b))]
    got = [row for b in rules.evaluate_batches([table], pop=pop, chunk_rows=5) for row in _texts(pa.table(b))]
    assert got == want


def test_amount_ratios_rank_without_the_exact_tier(rules):
    """Ratios of cents amounts are certified by membership: no row goes to the exact tier."""
    from perfrules.batch import Batcher, resolve

    rows = [{"实际支出": a, "预算数": "98560.00", "完成数": "1", "计划数": "2"}
            for a in ["95231.47", "12345.67", "95231.47", "33333.33", "0.01"] * 20]
    table = _table(rows)
    b = Batcher(rules, resolve(rules, table.column_names), chunk_rows=16)
    b.pop = rules.population_stats(table)
    b.pop_members = True
    out = pa.Table.from_batches(b.evaluate(table.to_batches()[0]))
    assert b.stats.exact_tier_rows == 0 and b.stats.exact_rows == 0
    assert [int(v) for v in out.column("执行名次").to_pylist()[:5]] == [1, 61, 1, 41, 81]
    assert _texts(out) == _texts(rules.evaluate_table(table, backend="reference"))
