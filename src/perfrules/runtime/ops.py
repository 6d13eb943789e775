"""Exact operations with missing propagation. Every backend calls these, or mirrors them and is
tested against them, so that the numbers cannot drift between backends."""
from __future__ import annotations

import math
from fractions import Fraction

from .missing import Missing
from .numbers import round_fraction
from .timeprogress import time_progress as _time_progress

M = Missing


def add(a, b):
    if type(a) is M:
        return a
    if type(b) is M:
        return b
    return a + b


def sub(a, b):
    if type(a) is M:
        return a
    if type(b) is M:
        return b
    return a - b


def mul(a, b):
    if type(a) is M:
        return a
    if type(b) is M:
        return b
    return a * b


def div(a, b, subject: str = ""):
    """Exact division; by zero it gives missing with the divisor as the reason, never infinity."""
    if type(a) is M:
        return a
    if type(b) is M:
        return b
    if b == 0:
        return M("div_zero", subject)
    return Fraction(a) / b


def neg(a):
    return a if type(a) is M else -a


def cmp(op: str, a, b):
    """A comparison; with missing on either side the answer is missing (no band matches it)."""
    if type(a) is M:
        return a
    if type(b) is M:
        return b
    if op == ">=":
        return a >= b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == "<":
        return a < b
    if op == "==":
        return a == b
    return a != b


def and_(a, b):
    if a is False or b is False:
        return False
    if type(a) is M:
        return a
    if type(b) is M:
        return b
    return True


def or_(a, b):
    if a is True or b is True:
        return True
    if type(a) is M:
        return a
    if type(b) is M:
        return b
    return False


def not_(a):
    return a if type(a) is M else (not a)


def first_missing(values):
    for v in values:
        if type(v) is M:
            return v
    return None


def fn_min(*xs):
    m = first_missing(xs)
    return m if m is not None else min(xs)


def fn_max(*xs):
    m = first_missing(xs)
    return m if m is not None else max(xs)


def fn_abs(x):
    return x if type(x) is M else abs(x)


def fn_round(x, places, mode: str = "half_up"):
    if type(x) is M:
        return x
    if type(places) is M:
        return places
    return round_fraction(Fraction(x), int(places), mode)


def fn_floor(x):
    return x if type(x) is M else Fraction(math.floor(x))


def fn_ceil(x):
    return x if type(x) is M else Fraction(math.ceil(x))


def coalesce(*xs):
    for x in xs:
        if type(x) is not M:
            return x
    return xs[-1]


def is_missing(x):
    return type(x) is M


def fn_time_progress(d, convention: str = "by_day", year: int | None = None):
    if type(d) is M:
        return d
    return _time_progress(d, convention, year)


def fn_year(d):
    return d if type(d) is M else Fraction(d.year)


def fn_month(d):
    return d if type(d) is M else Fraction(d.month)


FUNCTIONS = {
    "min": fn_min,
    "max": fn_max,
    "abs": fn_abs,
    "round": fn_round,
    "floor": fn_floor,
    "ceil": fn_ceil,
    "coalesce": coalesce,
    "is_missing": is_missing,
    "time_progress": fn_time_progress,
    "year": fn_year,
    "month": fn_month,
}
