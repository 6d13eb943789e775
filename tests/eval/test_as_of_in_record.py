"""evaluate_one takes the evaluation date from the record too, as a test's `given` does."""
from decimal import Decimal

import pytest

import perfrules

RULES = """
input 支出: amount
input 预算: amount
indicator 进度 weight 100 {
  value 支出 / 预算 - time_progress(as_of)
  score bands { >= 0 -> full; otherwise -> 50 }
}
"""


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_as_of_from_the_record_or_the_keyword(backend):
    rules = perfrules.compile(RULES)
    rec = {"支出": "60", "预算": "100"}
    assert rules.evaluate_one({**rec, "as_of": "2024-06-30"}, backend=backend).total == Decimal("100.00")
    assert rules.evaluate_one({**rec, "评价时点": "2024-12-31"}, backend=backend).total == Decimal("50.00")
    # the keyword wins over the record
    assert rules.evaluate_one({**rec, "as_of": "2024-12-31"}, as_of="2024-06-30", backend=backend).total == Decimal("100.00")
    assert rules.evaluate_one(rec, backend=backend).total == Decimal("0.00")  # no date: missing, scored 0


@pytest.mark.parametrize("spelling", ["2024-06-30", "2024/6/30", "2024.06.30", "2024年6月30日", "20240630"])
def test_as_of_takes_every_date_spelling_a_date_cell_takes(spelling):
    # It used to be date.fromisoformat only: 评价时点 = 2024年6月30日 raised a bare ValueError.
    rules = perfrules.compile(RULES)
    rec = {"支出": "50", "预算": "100"}
    assert rules.evaluate_one({**rec, "评价时点": spelling}).total == Decimal("100.00")
    assert rules.evaluate_one(rec, as_of=spelling).total == Decimal("100.00")
    assert rules.evaluate([rec], as_of=spelling)[0].total == Decimal("100.00")
    pa = pytest.importorskip("pyarrow")
    table = rules.evaluate_table(pa.Table.from_pylist([rec]), as_of=spelling)
    assert str(table.column("总分")[0].as_py()) == "100.00"


def test_as_of_that_is_no_date_is_a_value_error():
    rules = perfrules.compile(RULES)
    with pytest.raises(ValueError, match="2024-02-30"):
        rules.evaluate_one({"支出": "50", "预算": "100"}, as_of="2024-02-30")


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_evaluate_reads_each_records_date_on_every_backend(backend):
    # evaluate(records) gave 100.00 / 50.00 on the row backend (it calls evaluate_one) and 0.00
    # / 0.00 on rowfraction and reference, which ignored the records' own dates
    rules = perfrules.compile(RULES)
    rec = {"支出": "60", "预算": "100"}
    got = rules.evaluate([{**rec, "as_of": "2024-06-30"}, {**rec, "评价时点": "2024-12-31"}, rec], backend=backend)
    assert [r.total for r in got] == [Decimal("100.00"), Decimal("50.00"), Decimal("0.00")]


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
@pytest.mark.parametrize("key", ["as_of", "评价时点"])
def test_a_records_date_that_is_no_date_is_an_error_record_naming_it(backend, key):
    # It raised CellError out of evaluate_one, and out of evaluate(records): one bad date in a
    # service's batch lost every other record's result.
    rules = perfrules.compile(RULES)
    rec = {"支出": "60", "预算": "100"}
    one = rules.evaluate_one({**rec, key: "2024-02-30"}, backend=backend)
    assert not one.ok and [f.field for f in one.error.fields] == [key]
    assert "2024-02-30" in one.error.message
    many = rules.evaluate([{**rec, "as_of": "2024-06-30"}, {**rec, key: "下周一"}, {**rec, "支出": "六十", key: "x"}],
                          backend=backend)
    assert [r.ok for r in many] == [True, False, False]
    assert [f.field for f in many[2].error.fields] == ["支出", key]  # every problem of the record
