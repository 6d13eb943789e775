"""A weight with more decimals than the rounding places (0.125 at 2 places): at full marks the
leaf rounds to 0.13 and is clamped back to 0.125 — full marks, not a clamp to report. Only raw
points beyond the weight are flagged. Every backend agrees."""
import pyarrow as pa
import pytest

import perfrules

RULES = """
settings { total 1 }
input 甲: percent
indicator 一 weight 0.125 { value 甲; score value * full }
indicator 二 weight 0.875 { value 甲; score value * full }
"""


@pytest.fixture(scope="module")
def rules():
    return perfrules.compile(RULES)


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
@pytest.mark.parametrize("share, flagged", [("100%", False), ("120%", True), ("50%", False)])
def test_only_raw_points_beyond_the_weight_are_flagged(rules, backend, share, flagged):
    r = rules.evaluate_one({"甲": share}, backend=backend)
    leaves = {i.name: i for i in r.indicators}
    assert bool(leaves["一"].flags) is flagged and bool(leaves["二"].flags) is flagged
    if share != "50%":
        assert str(r.total) == "1.00"


def test_columnar_flags_like_the_reference(rules):
    table = pa.table({"甲": ["100%", "120%", "50%", "112.5%"]})
    flags = rules.evaluate_table(table).column("说明").to_pylist()
    assert flags == rules.evaluate_table(table, backend="reference").column("说明").to_pylist()
    assert flags[0] is None and flags[1] and flags[2] is None and flags[3]
