"""序时进度 (time progress) under the conventions finance bureaus use."""
from __future__ import annotations

import calendar
from datetime import date
from fractions import Fraction

CONVENTIONS = ("by_month", "by_day", "by_day365", "quarters", "completed_months")


def time_progress(d: date, convention: str = "by_day", year: int | None = None) -> Fraction:
    """Share of the year elapsed at date d (Fraction in [0, 1]).

    With `year` (the ruleset's budget year, `settings { year 2024 }`), a date before that year
    is 0 and a date after it is 1 (a year-end review dated the next spring is 100%, not a few
    percent of the following year); without it the year is d's own.

    by_month: month / 12 (the month of d counts as complete);
    by_day: days elapsed including 1 January and d / days in the year (leap-aware);
    by_day365: the same days / 365, capped at 1;
    quarters: 25% for each quarter end (3-31, 6-30, 9-30, 12-31) reached on or before d;
    completed_months: months completed by d / 12 (d's month counts once its last day is reached:
    2024-07-15 → 6/12, 2024-06-30 → 6/12, 2024-06-29 → 5/12).
    """
    if year is not None and d.year != year:
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown time progress convention {convention!r}")
        return Fraction(0) if d.year < year else Fraction(1)
    if convention == "by_month":
        return Fraction(d.month, 12)
    day_of_year = d.timetuple().tm_yday
    if convention == "by_day":
        return Fraction(day_of_year, 366 if calendar.isleap(d.year) else 365)
    if convention == "by_day365":
        return min(Fraction(day_of_year, 365), Fraction(1))
    if convention == "quarters":
        ends = [date(d.year, 3, 31), date(d.year, 6, 30), date(d.year, 9, 30), date(d.year, 12, 31)]
        return Fraction(sum(1 for e in ends if d >= e), 4)
    if convention == "completed_months":
        last_day = calendar.monthrange(d.year, d.month)[1]
        return Fraction(d.month if d.day == last_day else d.month - 1, 12)
    raise ValueError(f"unknown time progress convention {convention!r}")
