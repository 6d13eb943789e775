"""Result files tell an indicator left out of the total (missing exclude, 不适用) from one that
scored 0, on every backend, and say why a record has no total."""
import pyarrow as pa
import pytest

import perfrules
from perfrules import flat

RULES = """
settings { total 10; missing exclude }
input 甲: percent
input 乙: percent
input 加: count = 0
indicator 组 weight 10 {
  weights share
  indicator 子一 weight 60% { value 甲; score ratio(target: 100%) }
  indicator 子二 weight 40% { value 乙; score ratio(target: 100%) }
}
bonus indicator 加分 max 1 { value 加; score value }
grade by total { 好 >= 6; 差 otherwise }
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    path = tmp_path_factory.mktemp("excl") / "excl.rules"
    path.write_text(RULES, encoding="utf-8")
    return perfrules.load(path)


TABLE = pa.table({"甲": [None, 0.5, 0.4], "乙": [None, None, 0.8], "加": [1, 0, 0]})


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_excluded_scores_are_blank_with_a_note(rules, backend):
    out = rules.evaluate_table(TABLE, backend=backend).to_pylist()
    none, one, both = out
    assert none["子一"] is None and none["子二"] is None and none["组"] is None
    assert none["总分"] is None and none["等级"] is None
    assert none["说明"] == ["子一: 不适用（不计入总分）：缺少数据：甲", "子二: 不适用（不计入总分）：缺少数据：乙",
                          "总分: 全部指标均不适用，不计总分"]
    assert str(one["子一"]) == "3.00" and one["子二"] is None and str(one["总分"]) == "5.00"
    assert one["说明"] == ["子二: 不适用（不计入总分）：缺少数据：乙"]
    assert str(both["子二"]) == "3.20" and both["说明"] is None


def test_backends_write_the_same_notes_in_english(rules):
    outs = [rules.evaluate_table(TABLE, backend=b, lang="en").to_pylist() for b in ("columnar", "row")]
    assert outs[0] == outs[1]
    assert outs[0][0]["flags"][-1] == "total: every indicator is not applicable; no total"
    assert outs[0][1]["flags"] == ["子二: not applicable (left out of the total): no data for 乙"]


def test_row_flatten_matches(rules):
    r = rules.evaluate_one({"甲": "50%", "乙": None})
    row = flat.flatten(rules, r)
    assert row["子二"] is None and row["说明"] == "子二: 不适用（不计入总分）：缺少数据：乙"
