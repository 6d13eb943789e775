"""time_progress convention completed_months (按整月): months completed by the date / 12.

numbers-and-monitoring.md §4.1 quotes 2024-07-15 as "XS-M 58.33%, XS-D 53.83%, completed months
50.00%"; the third figure could not be written with by_month/by_day/by_day365/quarters (and the
language has no day() to build it). A month counts once its last day is reached.
"""
import pyarrow as pa
import pytest

import perfrules

RULES = """
settings { total 1
  time_progress completed_months }
input d: date
indicator 占位 weight 1 { score full }
output 默认 = round(time_progress(d) * 100, 2)
output 中文 = round(time_progress(d, 按整月) * 100, 2)
output 时点 = round(time_progress(as_of, completed_months) * 100, 2)
"""

CASES = [
    ("2024-07-15", "50.00"), ("2024-06-30", "50.00"), ("2024-06-29", "41.67"),
    ("2024-02-29", "16.67"), ("2024-02-28", "8.33"), ("2023-02-28", "16.67"),
    ("2024-01-01", "0.00"), ("2024-01-31", "8.33"), ("2024-12-30", "91.67"), ("2024-12-31", "100.00"),
]


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_row_backends(backend):
    rules = perfrules.compile(RULES)
    for d, want in CASES:
        r = rules.evaluate_one({"d": d}, as_of="2024-07-15", backend=backend)
        assert (str(r.outputs["默认"]), str(r.outputs["中文"]), str(r.outputs["时点"])) == (want, want, "50.00"), d


def test_columnar():
    rules = perfrules.compile(RULES)
    out = rules.evaluate_table(pa.table({"d": [c[0] for c in CASES]}), as_of="2024-07-15").to_pylist()
    assert [str(r["默认"]) for r in out] == [c[1] for c in CASES]
    assert [str(r["中文"]) for r in out] == [c[1] for c in CASES]
