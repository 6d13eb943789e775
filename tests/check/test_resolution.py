"""Name resolution corners found while writing real rulesets."""
from decimal import Decimal

import pytest

import perfrules

SHARED_NAME = """
input 差错数: count
input 抽查数: count
indicator 统计数据质量 weight 100 {
  indicator 统计数据质量 weight 100 {
    value 差错数 / 抽查数
    score ratio(target: 1%, reverse)
  }
}
let 差错率 = 统计数据质量.value
output 差错率显示 = 差错率
"""


def test_value_of_a_name_shared_by_group_and_leaf_means_the_leaf():
    rules = perfrules.compile(SHARED_NAME)
    r = rules.evaluate_one({"差错数": "2", "抽查数": "100"})
    assert r.outputs["差错率显示"] == "0.02"
    assert r.score("统计数据质量.统计数据质量") == Decimal("50.00")


def test_let_reads_a_leaf_value_declared_later_and_values_chain():
    rules = perfrules.compile("""
input a: number
input b: number
let 两倍 = 乙.value * 2
indicator 甲 weight 100 {
  indicator 乙 weight 50 { value a / b; score ratio(target: 1) }
  indicator 丙 weight 50 { value 乙.value + 1; score if 两倍 > 1 then full else 0 }
}
""")
    r = rules.evaluate_one({"a": "1", "b": "2"})
    assert r.indicator("丙").value == "1.5"
    assert r.score("丙") == Decimal("0.00")
    r = rules.evaluate_one({"a": "3", "b": "4"})
    assert r.score("丙") == Decimal("50.00")


def test_a_value_that_reads_itself_through_another_is_a_cycle():
    with pytest.raises(perfrules.CompileError) as err:
        perfrules.compile("""
input a: number
indicator 甲 weight 100 {
  indicator 乙 weight 50 { value 丙.value + a; score full }
  indicator 丙 weight 50 { value 乙.value; score full }
}
""")
    assert "PR207" in {d.code for d in err.value.diagnostics}


def test_mistyped_label_is_reported_once_not_also_as_uncovered():
    with pytest.raises(perfrules.CompileError) as err:
        perfrules.compile("""
input 等次: choice(优秀, 良好)
indicator 甲 weight 100 { score match 等次 { 优秀 -> 100, 良 -> 60 } }
""")
    codes = [d.code for d in err.value.diagnostics]
    assert codes == ["PR209"]


def test_given_and_expect_may_share_a_line():
    rules = perfrules.compile("""
input a: number
indicator 甲 weight 100 { value a; score ratio(target: 1) }
test "一行" { given { a = 0.5 } expect { 甲 = 50 } }
""")
    case = rules.program.tests[0]
    assert case.given == {"a": 0.5} or str(case.given["a"]) == "1/2"
    assert len(case.expects) == 1
