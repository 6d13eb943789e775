"""Exact numbers: decimal text in, fractions inside, decimal text out; rounding done once."""
from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from fractions import Fraction

# Decimal arithmetic rounds to the context's precision (28 digits by default); shifting the
# point of an exact integer must not round, whatever its length.
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)

ROUNDING_MODES = ("half_up", "half_even", "truncate")


def round_scaled(x, places: int, mode: str = "half_up") -> int:
    """round_fraction(x, places, mode) × 10^places, as an int (places ≥ 0): integer arithmetic
    only, since this runs for every shown number."""
    num = x.numerator * 10**places
    den = x.denominator
    if num < 0:
        sign, num = -1, -num
    else:
        sign = 1
    whole, rest = divmod(num, den)
    if mode == "truncate":
        q = whole
    else:
        twice = 2 * rest
        if twice > den:
            q = whole + 1
        elif twice < den:
            q = whole
        elif mode == "half_up":
            q = whole + 1
        else:  # half_even
            q = whole + (whole & 1)
    return sign * q


def round_fraction(x: Fraction, places: int, mode: str = "half_up") -> Fraction:
    """Round an exact value to `places` decimals.

    half_up is 四舍五入 (ties away from zero, as finance documents mean it); half_even is
    GB/T 8170's 五成双; truncate drops the rest (toward zero).
    """
    if type(places) is int and places >= 0:
        return Fraction(round_scaled(x, places, mode), 10**places)
    scale = 10**places
    scaled = x * scale
    sign = -1 if scaled < 0 else 1
    mag = abs(scaled)
    whole, rest = divmod(mag.numerator, mag.denominator)
    if mode == "truncate":
        q = whole
    else:
        twice = 2 * rest
        if twice > mag.denominator:
            q = whole + 1
        elif twice < mag.denominator:
            q = whole
        elif mode == "half_up":
            q = whole + 1
        else:  # half_even
            q = whole + (whole & 1)
    return Fraction(sign * q, scale)


def scaled_decimal(q: int, places: int) -> Decimal:
    """q × 10^-places exactly, as a Decimal with `places` digits after the point."""
    return Decimal(q).scaleb(-places, EXACT)


def to_decimal(x: Fraction, places: int, mode: str = "half_up") -> Decimal:
    """The decimal with exactly `places` digits after the point (already rounded values stay)."""
    return scaled_decimal(round_scaled(x, places, mode), places)


def format_fixed(x: Fraction, places: int = 2, mode: str = "half_up") -> str:
    return f"{to_decimal(x, places, mode):f}"


def format_percent(x: Fraction, places: int = 2) -> str:
    return format_fixed(x * 100, places) + "%"


def format_plain(x: Fraction, max_places: int = 10) -> str:
    """Shortest decimal text for an exact value, up to max_places (then rounded half up)."""
    if x.denominator == 1:
        return str(x.numerator)
    d = to_decimal(x, max_places)
    text = f"{d:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def decimal_places(x: Fraction) -> int | None:
    """How many decimals x needs exactly (None if it is not a finite decimal)."""
    den = x.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    return max(twos, fives) if den == 1 else None
