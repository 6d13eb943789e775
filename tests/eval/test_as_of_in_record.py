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
