"""A rule file's own columns never share a name with a fixed result column (说明, 预警, 总分 …)
or with each other: an output named 说明, an indicator named 总分 or an output named like an
indicator got a second column of the same name — an internal error on the row backend and in
Parquet/XLSX/JSON files, an ambiguous CSV header on the columnar one, and on the row backend the
later column's value overwrote the earlier one (乙.值 showed the output's 4, not the value 3)."""
import pyarrow as pa
import pytest

import perfrules
from perfrules import flat

RULES = """
settings { total 10 }
input 甲: number
indicator 说明 weight 5 { value 甲; score min(value, full) }
indicator 乙 weight 5 { value 甲; score min(value, full) }
grade by 乙 { 好 >= 3; 差 otherwise }
output 预警 = 甲
output 乙 = 甲 + 1
output `乙.值` = 甲 + 2
output `乙.等级` = "x"
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    path = tmp_path_factory.mktemp("names") / "names.rules"
    path.write_text(RULES, encoding="utf-8")
    return perfrules.load(path)


TABLE = pa.table({"甲": [3]})


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_columns_are_unique_and_hold_their_own_figure(rules, backend):
    batch = rules.evaluate_table(TABLE, backend=backend)
    names = batch.schema.names
    assert len(names) == len(set(names))
    (row,) = batch.to_pylist()
    assert row["说明（指标）"] == 3 and row["说明（指标）.值"] == 3
    assert row["乙"] == 3 and row["乙.值"] == 3 and row["乙.等级"] == "好"
    assert row["预警（输出）"] == 3 and row["乙（输出）"] == 4
    assert row["乙.值（输出）"] == 5 and row["乙.等级（输出）"] == "x"
    assert row["预警"] is None and row["说明"] is None


def test_english_names_and_row_flatten(rules):
    assert flat.flat_columns(rules, "en")[6:8] == ["说明", "说明.value"]
    row = flat.flatten(rules, rules.evaluate_one({"甲": 3}))
    assert row["乙.值"] == "3" and row["乙.值（输出）"] == "5"


def test_total_column_set_names_alike(rules):
    assert "乙（输出）" in flat.flat_columns(rules, "zh", "total")
