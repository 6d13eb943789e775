"""A bytes cell reads as its UTF-8 text on the row paths too, as a binary Arrow column does in
evaluate_table (batches.unview_column: Parquet text written without the UTF8 annotation). It was
an error there ("无法识别为数字：b'95.5'") and the text b'甲' in a text input."""
from decimal import Decimal

import pyarrow as pa
import pytest

import perfrules

RULES = """
settings { total 1 }
input 单位: text
input 支出: amount
input 完成率: percent
indicator 执行 weight 1 {
  value 支出 * 完成率
  score ratio(target: 100)
}
output 单位名 = 单位
"""


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_bytes_cells_read_as_the_binary_column_reads(backend):
    rules = perfrules.compile(RULES)
    rec = {"单位": "甲".encode(), "支出": b"95.5", "完成率": bytearray(b"80%")}
    one = rules.evaluate_one(rec, backend=backend)
    assert one.ok and one.total == Decimal("0.76") and one.outputs["单位名"] == "甲"
    table = pa.table({k: pa.array([bytes(v)], pa.binary()) for k, v in rec.items()})
    row = rules.evaluate_table(table).to_pylist()[0]
    assert (row["总分"], row["单位名"]) == (one.total, "甲")


def test_bytes_that_are_no_number_name_the_field():
    rules = perfrules.compile(RULES)
    res = rules.evaluate_one({"单位": "甲", "支出": b"\xff95", "完成率": "1"})
    assert not res.ok and [f.field for f in res.error.fields] == ["支出"]
