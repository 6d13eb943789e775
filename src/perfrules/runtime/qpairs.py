"""Runtime of the fast row evaluator (backends/rowfast.py): exact numbers as integer pairs.

The generated code holds every exact number as two ints, a numerator n and a denominator d > 0,
never reduced (no gcd on the hot path). A missing number is the pair (Missing, 0). These helpers
are the parts that are not worth inlining: turning input cells into pairs, the rare rounding
modes, and pairs back into the Fractions and texts of the other backends.

Input conversion takes a fast path only for cells whose value convert.convert_value is known to
give (ints, floats of at most 15 significant digits, plain decimal strings); every other cell
goes through convert_value itself, so defaults, blanks, type checks and error messages are the
same by construction.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .convert import FieldError, convert_value
from .missing import Missing
from .numbers import format_plain, round_scaled, scaled_decimal
from .scoring import format_value

# |x| · 10^k below this (2^51 with a margin) keeps x's shortest decimal unique among decimals of k places and the
# float product x · 10^k within 1/2 of it (see float_pair).
_EXACT = EXACT = float(2**50)
_POW10 = tuple(10**k for k in range(7))
_POW10F = tuple(float(p) for p in _POW10)


def float_pair(x: float):
    """(n, 10^k) with n / 10^k the decimal repr(x) shows, for k ≤ 6; None when x needs more
    places or is too large (or NaN/inf): then the caller takes convert_value's path.

    Why this equals Fraction(repr(x)): if |x|·10^k < 2^51 the float spacing at x is below
    10^-k / 2, so at most one decimal of k places rounds to x, and repr's shortest decimal
    (which also rounds to x) has at most k places whenever one of k places does. n/10^k == x is
    the exact test that the decimal n·10^-k rounds to x (n and 10^k are exact floats)."""
    for k in range(7):
        p = _POW10F[k]
        y = x * p
        if not -_EXACT < y < _EXACT:
            return None
        n = round(y)
        if n / p == x:
            return n, _POW10[k]
    return None


_PLAIN = re.compile(r"(-?)([0-9]{1,18})(?:\.([0-9]{1,18}))?").fullmatch


def str_pair(s: str):
    """(n, 10^k) for a plain ASCII decimal '-12.50' (no spaces, signs other than '-', grouping,
    exponent or percent); None for anything else."""
    m = _PLAIN(s)
    if m is None:
        return None
    sign, whole, frac = m.groups()
    if frac:
        n, d = int(whole + frac), 10 ** len(frac)
    else:
        n, d = int(whole), 1
    return (-n if sign else n), d


def slow_number(spec, raw, errs: list):
    """convert_value for a numeric input, as a pair; a field error is appended to errs."""
    try:
        v = convert_value(spec, raw)
    except FieldError as err:
        errs.append(err)
        return None, 0
    if type(v) is Missing:
        return v, 0
    return v.numerator, v.denominator


def slow_value(spec, raw, errs: list):
    """convert_value for a bool, text, choice or date input; a field error is appended to errs."""
    try:
        return convert_value(spec, raw)
    except FieldError as err:
        errs.append(err)
        return None


def round_pair(t: int, d: int, mode: str) -> int:
    """round_scaled(Fraction(t, d), 0, mode) for d > 0, without building the Fraction."""
    if t < 0:
        sign, t = -1, -t
    else:
        sign = 1
    whole, rest = divmod(t, d)
    if mode != "truncate":
        twice = 2 * rest
        if twice > d or (twice == d and (mode == "half_up" or whole & 1)):
            whole += 1
    return sign * whole


def pair_of(x):
    """A runtime value (Fraction or Missing, e.g. from time_progress) as a pair."""
    if type(x) is Missing:
        return x, 0
    return x.numerator, x.denominator


def fraction(n, d):
    """A pair back as the other backends' value: a Fraction, or the Missing (d == 0)."""
    if not d:
        return n
    return Fraction(n, d)


def show_pair(n, d) -> str:
    """common.show of a numeric value given as a pair."""
    if not d:
        return str(n)
    return format_plain(Fraction(n, d), 4)


def format_pair(n, d, fmt: str, kind: str) -> str:
    """scoring.format_value of a numeric value given as a pair (alert messages)."""
    return format_value(fraction(n, d), fmt, kind)


__all__ = ["float_pair", "str_pair", "slow_number", "slow_value", "round_pair", "pair_of", "fraction",
           "show_pair", "format_pair", "round_scaled", "plain_text", "fixed_text", "percent_text"]


# ---- texts of a pair, as runtime.numbers gives them for Fraction(n, d) (half up, as there)


def plain_text(n: int, d: int, max_places: int = 10) -> str:
    """numbers.format_plain(Fraction(n, d), max_places)."""
    if n % d == 0:
        return str(n // d)
    text = f"{scaled_decimal(round_pair(n * 10**max_places, d, 'half_up'), max_places):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fixed_text(n: int, d: int, places: int = 2) -> str:
    """numbers.format_fixed(Fraction(n, d), places)."""
    return f"{scaled_decimal(round_pair(n * 10**places, d, 'half_up'), places):f}"


def percent_text(n: int, d: int, places: int = 2) -> str:
    """numbers.format_percent(Fraction(n, d), places)."""
    return fixed_text(n * 100, d, places) + "%"
