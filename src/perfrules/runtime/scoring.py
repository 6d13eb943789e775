"""Scoring arithmetic shared by all backends: ratio, linear, deduct, leaf finishing, grades,
message templates."""
from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

from .missing import Missing
from .numbers import format_fixed, format_percent, format_plain, round_fraction

M = Missing


def ratio(value, target, full, reverse: bool, subject: str = "target"):
    """SM01/SM02: proportional to the target and capped at full."""
    if type(value) is M:
        return value
    if type(target) is M:
        return target
    if reverse:
        if value <= target:
            return full
        if value == 0:  # only when the target is negative: target / 0 has no value
            return M("div_zero", "value")
        return Fraction(target) / value * full
    if target == 0:
        return M("div_zero", subject)
    return min(Fraction(value) / target, Fraction(1)) * full


def linear(value, xs, ps):
    """SM13: piecewise linear through (xs[i], ps[i]), flat beyond the ends."""
    if type(value) is M:
        return value
    for v in (*xs, *ps):
        if type(v) is M:
            return v
    if value <= xs[0]:
        return ps[0]
    if value >= xs[-1]:
        return ps[-1]
    for i in range(len(xs) - 1):
        x0, x1 = xs[i], xs[i + 1]
        if x0 <= value <= x1:
            return ps[i] + (Fraction(value) - x0) * (ps[i + 1] - ps[i]) / (x1 - x0)
    return ps[-1]  # unreachable when xs increase


def deduct(value, points, unit, direction: str, threshold, counting: str, full, subject: str = "per"):
    """SM08: 每超过 unit 扣 points 分. n = deviation / unit, counted continuous, whole or started."""
    for v in (value, points, unit, threshold):
        if type(v) is M:
            return v
    dev = (value - threshold) if direction == "over" else (threshold - value)
    if dev <= 0:
        return full
    if unit == 0:
        return M("div_zero", subject)
    n = Fraction(dev) / unit
    if counting == "whole":
        n = Fraction(math.floor(n))
    elif counting == "started":
        n = Fraction(math.ceil(n))
    return full - n * points


def finish(raw: Fraction, lo: Fraction, hi: Fraction, places: int, mode: str, round_leaf: bool):
    """Round once (unless only the total is rounded), then clamp to [lo, hi].
    Returns (score, clamped) where clamped is '', 'low' or 'high' — not 'high' when only the
    rounding went past hi (a weight of 0.125 at 2 places: 0.125 → 0.13 → 0.125 is full marks,
    nothing to report)."""
    s = round_fraction(raw, places, mode) if round_leaf else Fraction(raw)
    if s < lo:
        return lo, "low"
    if s > hi:
        return hi, "high" if raw > hi else ""
    return s, ""


def pick_grade(score: Fraction, bands) -> str | None:
    """First band that holds; bands are ir.GradeBand."""
    for b in bands:
        if b.op == "otherwise":
            return b.name
        x = b.bound
        if (
            (b.op == ">=" and score >= x)
            or (b.op == ">" and score > x)
            or (b.op == "<=" and score <= x)
            or (b.op == "<" and score < x)
            or (b.op == "==" and score == x)
            or (b.op == "!=" and score != x)
        ):
            return b.name
    return None


def format_value(v, fmt: str = "", type_kind: str = "") -> str:
    """How a value shows in a message or report: `pct` → 96.62%, `N` → N decimals, default by type."""
    if type(v) is M:
        return "—"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        return v
    if fmt.startswith("pct"):
        places = int(fmt[3:]) if fmt[3:].isdigit() else 2
        return format_percent(Fraction(v), places)
    if fmt.isdigit():
        return format_fixed(Fraction(v), int(fmt))
    if fmt == "amount":
        text = format_fixed(Fraction(v), 2)
        whole, _, frac = text.partition(".")
        sign = "-" if whole.startswith("-") else ""
        whole = whole.lstrip("-")
        return f"{sign}{int(whole):,}.{frac}"
    if type_kind == "percent":
        return format_percent(Fraction(v), 2)
    return format_plain(Fraction(v), 4)


def round_total(x: Fraction, places: int, mode: str) -> Fraction:
    return round_fraction(x, places, mode)
