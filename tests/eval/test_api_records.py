"""What evaluate_one says when it is not given a record (a mapping of input name → value)."""
import pytest

import perfrules

RULES = """
input 支出: amount
input 预算: amount
indicator 执行 weight 100 {
  value 支出 / 预算
  score ratio(target: 100%)
}
"""


@pytest.mark.parametrize("record", [None, [("支出", "60"), ("预算", "100")], "支出=60", 5, ("60", "100")])
@pytest.mark.parametrize("as_of", [None, "2024-06-30"])
def test_a_record_that_is_not_a_mapping_is_a_type_error(record, as_of):
    # With as_of= given, a list or a str was scored as a record of blanks (total 0.00, ok) and
    # None gave "argument of type 'NoneType' is not iterable" from inside the conversion.
    rules = perfrules.compile(RULES)
    with pytest.raises(TypeError, match="mapping"):
        rules.evaluate_one(record, as_of=as_of)
    with pytest.raises(TypeError, match="mapping"):
        rules.evaluate([record], as_of=as_of, backend="reference")
