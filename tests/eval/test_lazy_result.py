"""evaluate_one returns a result whose indicator models are built on first access
(perfrules.lazyresult). Whatever is done with it first, it must behave exactly like the eagerly
built EvaluationResult: same dump, JSON, ==, repr, pickling, copying, attribute values."""
from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

import perfrules
from perfrules.lazyresult import LazyEvaluationResult, materialize
from perfrules.models import EvaluationResult

ROOT = Path(__file__).resolve().parents[2]
RECORD = {
    "年初预算数": 92000.0, "调整后预算数": 0, "实际支出": "95231.47", "本年三公经费": 88.12, "上年三公经费": None,
    "重点项目支出": 41850, "项目总支出": 48900, "结转结余数": 3328.53, "达成目标项目数": 37, "项目总数": 40,
    "创新工作最高层级": "省级", "区政府综合考评等次": "良好", "市卫健委业务考评名次": 4, "处置不当事件数": 9,
    "群众满意样本数": 873, "群众有效样本数": 1000,
}
BACKENDS = ("row", "reference", "rowfraction")


@pytest.fixture(scope="module")
def health():
    return perfrules.load(ROOT / "rulesets" / "health" / "health.rules")


def eager(rules, backend="reference", **kw) -> EvaluationResult:
    r = rules.evaluate_one(RECORD, backend=backend, **kw)
    materialize(r)
    assert type(r) is EvaluationResult
    return r


@pytest.mark.parametrize("backend", BACKENDS)
def test_fresh_result_is_lazy_until_read(health, backend):
    r = health.evaluate_one(RECORD, backend=backend, record_id="x", row=3)
    assert type(r) is LazyEvaluationResult and isinstance(r, EvaluationResult)
    assert (r.record_id, r.row, r.ok) == ("x", 3, True)
    assert str(r.total) == str(eager(health, record_id="x", row=3).total)
    assert type(r) is LazyEvaluationResult  # the eager fields did not build the indicators
    assert r.indicators  # now it did
    assert type(r) is EvaluationResult


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("first", ["dump", "json", "eq", "eq_reflected", "repr", "str", "pickle", "copy", "deepcopy",
                                   "iter", "indicator", "alerts", "outputs", "group_grades", "model_copy"])
def test_any_first_use_gives_the_eager_result(health, backend, first):
    want = eager(health)
    r = health.evaluate_one(RECORD, backend=backend)
    assert type(r) is LazyEvaluationResult
    if first == "dump":
        assert r.model_dump() == want.model_dump()
    elif first == "json":
        assert r.model_dump_json() == want.model_dump_json()
    elif first == "eq":
        assert r == want
    elif first == "eq_reflected":
        assert want == r
    elif first == "repr":
        assert repr(r) == repr(want)
    elif first == "str":
        assert str(r) == str(want)
    elif first == "pickle":
        back = pickle.loads(pickle.dumps(r))
        assert type(back) is EvaluationResult and back == want
    elif first == "copy":
        assert copy.copy(r) == want
    elif first == "deepcopy":
        assert copy.deepcopy(r) == want
    elif first == "iter":
        assert dict(r) == dict(want)
    elif first == "indicator":
        assert r.indicator("A2.1") == want.indicator("A2.1")
    elif first == "model_copy":
        assert r.model_copy() == want
    else:
        assert getattr(r, first) == getattr(want, first)
    assert r == want and repr(r) == repr(want) and r.model_dump_json() == want.model_dump_json()
    assert type(r) is EvaluationResult


def test_two_lazy_results_compare_equal_and_unequal(health):
    a, b = health.evaluate_one(RECORD), health.evaluate_one(RECORD)
    assert a == b
    c = health.evaluate_one({**RECORD, "创新工作最高层级": "无"})
    assert a != c
    assert health.evaluate_one(RECORD) != health.evaluate_one(RECORD, row=2)


def test_setting_a_lazy_field_first_keeps_it(health):
    r = health.evaluate_one(RECORD)
    r.outputs = {"x": "1"}
    assert r.outputs == {"x": "1"}
    assert len(r.indicators) == 59
    assert r.outputs == {"x": "1"}


def test_error_records_are_plain_models(health):
    r = health.evaluate_one({**RECORD, "项目总数": "-1"})
    assert type(r) is EvaluationResult and not r.ok and r.error.code == "PR801"
