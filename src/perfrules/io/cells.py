"""Cleaning of one raw cell value.

This module is on the hot path (it runs once per cell of every data file), so
it uses only the standard library, precompiled regular expressions and a
single ``str.translate`` per string.

Numbers are returned as exact :class:`fractions.Fraction` values: the scoring
rules must never see binary floats (see the project's number conventions).
Floats that arrive from XLSX or Parquet are converted through their shortest
``repr`` so that ``0.1`` becomes exactly ``1/10``.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
from decimal import Decimal
from fractions import Fraction

from .errors import DataError, short_repr

__all__ = [
    "CellError",
    "BLANK_MARKERS",
    "is_blank",
    "parse_decimal",
    "parse_bool",
    "parse_date",
    "parse_text",
]


class CellError(DataError):
    """A single cell could not be understood.

    Attributes:
        code: stable slug: ``not_a_number``, ``bad_grouping``, ``bad_percent``,
            ``number_out_of_range``, ``excel_error``, ``bad_bool``, ``bad_date``.
        raw: the raw cell value as it was read.
        message_zh / message_en: sentences quoting the raw value.
    """

    def __init__(self, code: str, raw: object, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en)
        self.raw = raw


# --- normalisation -----------------------------------------------------------

# Full-width ASCII block (U+FF01..U+FF5E) maps onto ASCII (U+0021..U+007E);
# this covers ０-９, ．，％＋－（）／Ｅ and full-width letters in one table.
_TRANSLATE: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
# Minus-like characters that Word/WPS substitute for "-".
_TRANSLATE.update({0x2212: "-", 0xFE63: "-"})
# Space-like characters that are not folded by the table above; all become
# an ASCII space, which the number grammar then treats as a separator.
for _cp in (0x00A0, 0x2007, 0x2009, 0x202F, 0x3000, 0x0009):
    _TRANSLATE[_cp] = " "
# Zero-width characters and a stray BOM carry no meaning in a cell.
for _cp in (0x200B, 0x200C, 0x200D, 0xFEFF):
    _TRANSLATE[_cp] = None  # type: ignore[assignment]
del _cp

_SPACES = re.compile(r"\s+")


def _normalise(text: str) -> str:
    """Fold full-width forms, unify spaces, collapse runs, strip the ends."""
    text = text.translate(_TRANSLATE)
    if "  " in text or "\n" in text or "\r" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


# --- blanks ------------------------------------------------------------------

#: Markers people type to mean "no value" (compared after full-width folding
#: and case folding, so "Ｎ/Ａ", "n/a" and "（空）" are all recognised).
BLANK_MARKERS: frozenset[str] = frozenset(
    {"(空)", "空", "-", "--", "—", "——", "/", "n/a", "na", "null", "none", "无数据"}
)


def is_blank(raw: object) -> bool:
    """Return True when ``raw`` means "no value".

    Blank: ``None``, float/Decimal NaN, pandas' ``NA`` and ``NaT`` (a missing cell of a
    nullable or datetime column, as evaluate_table reads them), the empty or whitespace-only
    string, and the markers in :data:`BLANK_MARKERS` (``（空）``, ``-``, ``N/A``, ``无数据`` …).
    """
    if raw is None:
        return True
    if type(raw).__name__ in ("NAType", "NaTType") and type(raw).__module__.startswith("pandas"):
        return True
    if isinstance(raw, str):
        if not raw:
            return True
        text = _normalise(raw)
        return not text or text.casefold() in BLANK_MARKERS
    if isinstance(raw, float):
        return raw != raw  # NaN is the only value not equal to itself
    if isinstance(raw, Decimal):
        return raw.is_nan()
    return False


# --- numbers -----------------------------------------------------------------

# Grammar of a number after normalisation.  The integer part is either plain
# digits or correctly grouped thousands (with "," or a space, not mixed).
_NUMBER = re.compile(
    r"""
    (?P<sign>[+-])?\ ?
    (?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?:\ \d{3})+|\d+)?
    (?:\.(?P<frac>\d*))?
    (?:[eE](?P<exp>[+-]?\d+))?
    (?:\ ?(?P<pct>%))?
    """,
    re.VERBOSE | re.ASCII,  # digits are 0-9 (full-width ones are folded first), not any script's
)
# Loose shape used only to pick a better error code after _NUMBER failed.
_LOOSE_NUMBER = re.compile(r"[+-]?[\d, ]*\.?\d*(?:[eE][+-]?\d+)?%?", re.ASCII)

_EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)

# Far beyond any amount or ratio in a budget; the cap stops "1e999999999"
# from building a gigantic integer.
_MAX_DIGITS = 400
_MAX_EXPONENT = 400


def _number_error(raw: object) -> CellError:
    q = short_repr(raw)
    return CellError("not_a_number", raw, f"无法识别为数字：{q}", f"not a number: {q}")


def _range_error(raw: object) -> CellError:
    q = short_repr(raw)
    return CellError(
        "number_out_of_range", raw, f"数字位数或指数过大：{q}", f"number too long or exponent too large: {q}"
    )


def _from_text(raw: str) -> tuple[Fraction, bool]:
    text = _normalise(raw)
    negative = False
    # Accountant negatives: "(1,234.00)" means -1234.00.
    if len(text) >= 2 and text[0] == "(" and text[-1] == ")":
        text = text[1:-1].strip()
        if text[:1] in ("+", "-"):
            raise _number_error(raw)
        negative = True

    m = _NUMBER.fullmatch(text)
    if m is None or not (m["int"] or m["frac"]):
        raise _classify_failure(raw, text)

    int_digits = (m["int"] or "").replace(",", "").replace(" ", "")
    frac_digits = m["frac"] or ""
    digits = int_digits + frac_digits
    exp = int(m["exp"]) if m["exp"] else 0
    if len(digits) > _MAX_DIGITS or abs(exp) > _MAX_EXPONENT:
        raise _range_error(raw)

    exp -= len(frac_digits)
    percent = m["pct"] is not None
    if percent:
        exp -= 2
    value = Fraction(int(digits))
    if exp > 0:
        value *= 10**exp
    elif exp < 0:
        value /= 10**-exp
    if (m["sign"] == "-") != negative:
        value = -value
    return value, percent


def _classify_failure(raw: str, text: str) -> CellError:
    """Choose the most helpful error for a string that is not a number."""
    q = short_repr(raw)
    if text.upper() in _EXCEL_ERRORS:
        return CellError("excel_error", raw, f"单元格是 Excel 错误值：{q}", f"cell holds an Excel error value: {q}")
    if "%" in text:
        return CellError(
            "bad_percent", raw, f"百分号位置不正确：{q}（应写在数字末尾，如 95%）",
            f"misplaced percent sign: {q} (write it after the number, e.g. 95%)",
        )
    if ("," in text or " " in text) and _LOOSE_NUMBER.fullmatch(text):
        return CellError(
            "bad_grouping", raw, f"千分位分隔不正确：{q}（应每三位一组，如 1,234.56；小数点请用“.”）",
            f"bad thousands grouping: {q} (groups of three, e.g. 1,234.56; use '.' as decimal point)",
        )
    return _number_error(raw)


def parse_decimal(raw: object) -> tuple[Fraction, bool] | None:
    """Parse a numeric cell into an exact value.

    Returns ``None`` for blanks, else ``(value, had_percent_sign)``; a value
    written with ``%``/``％`` is divided by 100 (``"95%"`` → ``(19/20, True)``).

    Accepted: ``int``, ``Decimal``, ``Fraction``, finite ``float`` (converted
    through ``repr`` so ``0.1`` → ``1/10``) and strings with full-width digits,
    ASCII/full-width/NBSP spaces, correctly grouped ``,``/``，``/space
    thousands separators, ``+``/``-``/``－``/``−`` signs, exponents
    (``1.2e3``), a trailing percent sign and accountant negatives
    (``(1,234.00)``).

    Raises:
        CellError: for anything else (``bool`` included), with ``code`` one of
            ``not_a_number``, ``bad_grouping``, ``bad_percent``,
            ``number_out_of_range``, ``excel_error``.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        if is_blank(raw):
            return None
        return _from_text(raw)
    if isinstance(raw, bool):
        raise _number_error(raw)
    if type(raw) is int:
        return Fraction(raw), False
    if isinstance(raw, float):
        if raw != raw:
            return None  # NaN is how pandas/Arrow spell a missing value
        if math.isinf(raw):
            raise _number_error(raw)
        # repr gives the shortest string that round-trips, i.e. what the
        # person typed into Excel, not the binary approximation.
        return Fraction(repr(float(raw))), False
    if isinstance(raw, Fraction):
        return raw, False
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            if raw.is_nan():
                return None
            raise _number_error(raw)
        if abs(raw.adjusted()) > _MAX_EXPONENT:
            raise _range_error(raw)
        return Fraction(raw), False
    if isinstance(raw, numbers.Integral):  # e.g. numpy.int64
        return Fraction(int(raw)), False
    if isinstance(raw, numbers.Rational):
        return Fraction(raw.numerator, raw.denominator), False
    if isinstance(raw, numbers.Real):  # e.g. numpy.float32: str() is its shortest form
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            raise _number_error(raw) from None
        return parse_decimal(value)
    raise _number_error(raw)


def widen_short_floats(col):
    """A float32 or float16 Arrow column as float64 holding the decimal each value shows —
    the shortest decimal that rounds to it (95231.47f, not its binary 95231.46875) — as a
    spreadsheet or numpy prints it and as the figure was most likely entered. Any other column
    (or a list of raw cells) is returned as it is. Arrow's float32 → string cast gives that
    shortest form; float16 (rare) goes through numpy's."""
    import numpy as np
    import pyarrow as pa

    kind = getattr(col, "type", None)  # lists of raw cells (XLSX, JSON) pass through
    if kind == pa.float32():
        return col.cast(pa.string()).cast(pa.float64())
    if kind == pa.float16():
        cells = col.to_pylist()
        text = [None if v is None else str(np.float16(v)) for v in cells]
        return pa.array(text, pa.string()).cast(pa.float64())
    return col


# --- booleans ----------------------------------------------------------------

_TRUE = frozenset({"是", "有", "true", "yes", "y", "1", "√", "✓", "✔"})
_FALSE = frozenset({"否", "无", "false", "no", "n", "0", "×", "x", "✗", "✘"})


def parse_bool(raw: object) -> bool | None:
    """Parse a yes/no cell.

    Accepts 是/否, 有/无, true/false, yes/no, y/n, 1/0, √/×, ✓ (case-insensitive,
    full-width folded) and the numbers 1 and 0. Blank → ``None``.

    Raises:
        CellError: code ``bad_bool``.
    """
    if isinstance(raw, bool):
        return raw
    if is_blank(raw):
        return None
    if isinstance(raw, str):
        key = _normalise(raw).casefold()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    elif isinstance(raw, (int, float, Decimal, Fraction)):
        if raw == 1:
            return True
        if raw == 0:
            return False
    q = short_repr(raw)
    raise CellError(
        "bad_bool", raw, f"无法识别为“是/否”：{q}（可填 是/否、有/无、√/×、1/0）",
        f"not a yes/no value: {q} (use 是/否, yes/no, true/false, 1/0)",
    )


# --- dates -------------------------------------------------------------------

# An optional time part is accepted and dropped: exports often write
# "2024-06-30 00:00:00" for a date column.
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_SEP = re.compile(r"(\d{4})(?P<sep>[-/.])(\d{1,2})(?P=sep)(\d{1,2})" + _TIME, re.ASCII)
_DATE_ZH = re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]" + _TIME, re.ASCII)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)

# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the
# non-existent 1900-02-29 kept for Lotus compatibility, so serials from 61
# count from 1899-12-30 and earlier ones from 1899-12-31.
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def _date_error(raw: object) -> CellError:
    q = short_repr(raw)
    return CellError(
        "bad_date", raw, f"无法识别为日期：{q}（请写成 2024-06-30 或 2024年6月30日）",
        f"not a date: {q} (write e.g. 2024-06-30)",
    )


def _make_date(raw: object, y: int, m: int, d: int) -> _dt.date:
    try:
        return _dt.date(y, m, d)
    except ValueError:
        q = short_repr(raw)
        raise CellError("bad_date", raw, f"日期不存在：{q}", f"no such date: {q}") from None


def _from_serial(raw: object, serial: float) -> _dt.date:
    if not (1 <= serial < _EXCEL_MAX_SERIAL + 1) or int(serial) == 60:
        raise _date_error(raw)
    days = int(serial)  # a fractional part is the time of day
    if days < 60:
        days += 1
    return _EXCEL_EPOCH + _dt.timedelta(days=days)


def parse_date(raw: object, *, allow_serial: bool = False) -> _dt.date | None:
    """Parse a date cell.

    Accepts ``date``/``datetime`` objects and the strings ``2024-06-30``,
    ``2024/6/30``, ``2024.6.30``, ``2024年6月30日`` and ``20240630`` (a
    trailing time such as `` 00:00:00`` is dropped). An 8-digit integer is read
    as ``YYYYMMDD``. Other numbers are Excel serial day numbers, but only when
    ``allow_serial`` is true (set it for numeric cells that came from XLSX).
    Blank → ``None``.

    Raises:
        CellError: code ``bad_date`` for unknown shapes and impossible dates
            such as 2024-02-30.
    """
    if isinstance(raw, _dt.datetime):
        return raw.date()
    if isinstance(raw, _dt.date):
        return raw
    if is_blank(raw):
        return None
    if isinstance(raw, str):
        text = _normalise(raw)
        m = _DATE_SEP.fullmatch(text) or _DATE_ZH.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
        if m is None:
            raise _date_error(raw)
        if m.re is _DATE_SEP:
            y, mo, d = m.group(1), m.group(3), m.group(4)
        else:
            y, mo, d = m.group(1), m.group(2), m.group(3)
        return _make_date(raw, int(y), int(mo), int(d))
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if math.isfinite(raw) and raw == int(raw) and 10000101 <= raw <= 99991231:
            n = int(raw)
            return _make_date(raw, n // 10000, n // 100 % 100, n % 100)
        if allow_serial and math.isfinite(raw):
            return _from_serial(raw, raw)
    raise _date_error(raw)


# --- text --------------------------------------------------------------------

_STRIP_CHARS = "\ufeff\u200b"


def parse_text(raw: object) -> str | None:
    """Return the cell as text with surrounding whitespace removed.

    Full-width spaces, NBSP, zero-width spaces and a stray BOM are stripped
    too. Blank (including the markers of :func:`is_blank`) → ``None``.
    Non-string values are converted: whole floats lose their ``.0`` (an XLSX
    code cell ``1001`` arrives as ``1001.0``), dates use ISO format.
    """
    if is_blank(raw):
        return None
    if isinstance(raw, str):
        # str.strip() already removes U+3000 and U+00A0 (they are whitespace).
        return raw.strip().strip(_STRIP_CHARS).strip() or None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        if raw.is_integer():
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, Decimal):
        return format(raw, "f")
    if isinstance(raw, (_dt.date, _dt.time)):
        return raw.isoformat()
    return str(raw)
