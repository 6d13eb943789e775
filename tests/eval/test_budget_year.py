"""`settings { year N }`: 序时进度 belongs to the budget year, not to the calendar year of the date.

A year-end self-evaluation is dated the next spring (--as-of 2025-03-31 for the 2024 budget);
without a budget year, time_progress took 2025's own progress (25% by month) and a department
that spent 94% looked ahead of schedule. With the setting, dates after the year are 100% and
dates before it 0%, on every backend; inside the year nothing changes.
"""
from datetime import date
from fractions import Fraction

import pyarrow as pa
import pytest

import perfrules
from perfrules.runtime.timeprogress import time_progress

RULES = """
settings { year 2024
  time_progress by_month }
input d: date
input 执行率: percent
indicator 执行 weight 100 {
  value 执行率
  score ratio(target: 100%)
}
output 按月 = round(time_progress(d) * 100, 2)
output 按日 = round(time_progress(d, by_day) * 100, 2)
output 按季 = round(time_progress(d, quarters) * 100, 2)
output 时点 = round(time_progress(as_of, by_day365) * 100, 2)
alert 低于序时进度 warning when 执行率 < time_progress(as_of) { message "x" }
"""

CASES = [  # d, by_month, by_day, quarters
    ("2023-12-31", "0.00", "0.00", "0.00"),
    ("2024-01-01", "8.33", "0.27", "0.00"),
    ("2024-02-29", "16.67", "16.39", "0.00"),
    ("2024-06-30", "50.00", "49.73", "50.00"),
    ("2024-12-31", "100.00", "100.00", "100.00"),
    ("2025-01-01", "100.00", "100.00", "100.00"),
    ("2025-03-31", "100.00", "100.00", "100.00"),
]


def test_function():
    assert time_progress(date(2025, 3, 31), "by_month", 2024) == 1
    assert time_progress(date(2023, 12, 31), "by_day", 2024) == 0
    assert time_progress(date(2024, 6, 30), "by_day", 2024) == Fraction(182, 366)
    assert time_progress(date(2025, 3, 31), "by_month") == Fraction(1, 4)  # no year: the date's own


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_dates_outside_the_budget_year(backend):
    rules = perfrules.compile(RULES)
    for d, m, day, q in CASES:
        r = rules.evaluate_one({"d": d, "执行率": "94%"}, as_of="2025-03-31", backend=backend)
        assert (str(r.outputs["按月"]), str(r.outputs["按日"]), str(r.outputs["按季"])) == (m, day, q), d
        assert str(r.outputs["时点"]) == "100.00"
        assert [a.name for a in r.alerts] == ["低于序时进度"]  # 94% < 100% at the year-end review


def test_columnar_agrees():
    rules = perfrules.compile(RULES)
    table = pa.table({"d": [c[0] for c in CASES], "执行率": ["94%"] * len(CASES)})
    out = rules.evaluate_table(table, as_of="2025-03-31").to_pylist()
    got = [(str(r["按月"]), str(r["按日"]), str(r["按季"])) for r in out]
    assert got == [c[1:] for c in CASES]
    assert all(r["预警"] and "低于序时进度" in r["预警"][0] for r in out)


def test_year_setting_is_checked():
    with pytest.raises(perfrules.CompileError):
        perfrules.compile("settings { year 24.5 }\ninput x: number\nindicator a weight 100 { score full }\n")
