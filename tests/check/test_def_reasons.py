"""A division by zero inside a `def` names the argument written at the call site, not the
def's parameter: `def 比率(分子, 分母) = 分子 / 分母` called as `比率(支出, 预算)` says
"预算 = 0", on every backend."""
from __future__ import annotations

from collections import UserDict

import pyarrow as pa
import pytest

import perfrules

RULES = """\
settings { total 50 }
input 支出: amount
input 预算: amount
input 调整: amount = 0
def 比率(分子, 分母) = 分子 / 分母
def 外层(a, b) = 比率(a, b)
def 加一(分子, 分母) = 分子 / (分母 + 调整)
def 两倍(x, y) = x / (y * 2)
indicator 执行率 weight 10 { value 比率(支出, 预算); score ratio(target: 100%) }
indicator 差额率 weight 10 { value 比率(支出, 预算 - 调整); score ratio(target: 100%) }
indicator 套用 weight 10 { value 外层(支出, 预算); score ratio(target: 100%) }
indicator 括号 weight 10 { value 加一(支出, 预算); score ratio(target: 100%) }
indicator 整体 weight 10 { value 两倍(支出, 预算 - 调整); score ratio(target: 100%) }
"""

EXPECTED = {
    "执行率": ["预算 = 0，无法相除"],
    "差额率": ["预算 - 调整 = 0，无法相除"],
    "套用": ["预算 = 0，无法相除"],
    "括号": ["预算 + 调整 = 0，无法相除"],
    "整体": ["(预算 - 调整) * 2 = 0，无法相除"],
}


@pytest.mark.parametrize("backend", ["row", "reference"])
@pytest.mark.parametrize("mapping", [dict, UserDict], ids=["dict", "mapping"])
def test_evaluate_one_names_the_argument(backend, mapping):
    rules = perfrules.compile(RULES)
    r = rules.evaluate_one(mapping({"支出": "5", "预算": "0"}), backend=backend)
    assert {i.name: [f.message for f in i.flags] for i in r.indicators} == EXPECTED


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_evaluate_table_names_the_argument(backend):
    rules = perfrules.compile(RULES)
    table = pa.table({"支出": ["5", "5"], "预算": ["0", "10"]})
    out = rules.evaluate_table(table, backend=backend).to_pylist()
    flags = " ".join(str(v) for k, v in out[0].items() if "说明" in k or "flag" in k.lower())
    for messages in EXPECTED.values():
        assert messages[0] in flags, (backend, out[0])
    assert "分母" not in flags
