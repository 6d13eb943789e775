"""Input values → exact runtime values, by declared type. A value that cannot be understood is
a field error naming the field and why; a blank is missing (or the declared default)."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Mapping

from ..io.cells import CellError, is_blank, parse_bool, parse_date, parse_decimal, parse_text
from .missing import Missing
from .numbers import format_plain

# A percent input given as a bare number above this is almost surely "95" meaning 95%.
BARE_PERCENT_LIMIT = 10


class FieldError(ValueError):
    """A value of one field that cannot be understood."""

    def __init__(self, field: str, message_zh: str, message_en: str, raw: object = None):
        super().__init__(f"{field}: {message_en}")
        self.field, self.message_zh, self.message_en, self.raw = field, message_zh, message_en, raw

    def text(self, lang: str = "zh") -> str:
        return f"{self.field}：{self.message_zh}" if lang == "zh" else f"{self.field}: {self.message_en}"


_ABSENT = object()


def lookup(record: Mapping, spec) -> object:
    if spec.name in record:
        return record[spec.name]
    for alias in spec.aliases:
        if alias in record:
            return record[alias]
    return _ABSENT


def convert_value(spec, raw):
    """One input value: returns the runtime value, or raises FieldError."""
    t = spec.type
    # a numpy scalar (a cell of an array): its Python value, as np.bool_ and np.datetime64 were
    # not understood; not floats (a float32's Python float is its binary value, 95231.46875 for
    # 95231.47: cells.parse_number reads it by its shortest text instead)
    mod = type(raw).__module__
    if mod == "numpy" and getattr(raw, "ndim", 0):
        # an array (a cell of an object column holding one), not a scalar: a list, refused as one
        # (.item() raised "can only convert an array of size 1"; a 1-element array passed as its element)
        raw = raw.tolist()
    elif mod == "numpy" and raw.dtype.kind != "f":
        if raw.dtype.kind == "M":
            raw = raw.astype("datetime64[us]")  # (.item() of a nanosecond datetime64 is an int)
        raw = raw.item()
    elif mod.startswith("pyarrow") and hasattr(raw, "as_py"):
        # a pyarrow scalar (batch[i] of a column, a StructScalar row): its Python value — it was
        # "not a number: <pyarrow.Int64Scalar: 100>"; float32/16 as numpy's, read by their text
        kind = str(raw.type)
        raw = raw.as_py()
        if raw is not None and kind in ("float", "halffloat"):
            import numpy as np

            raw = (np.float32 if kind == "float" else np.float16)(raw)
    elif isinstance(raw, (bytes, bytearray, memoryview)):
        # its UTF-8 text, as a binary Arrow column reads (io.batches.unview_column): it was
        # "not a number: b'95.5'" here, or the text "b'甲'"
        raw = bytes(raw).decode("utf-8", "replace")
    if raw is _ABSENT or is_blank(raw):
        return spec.default if spec.has_default else Missing("input_missing", spec.name)
    try:
        if t.numeric:
            value = _number(spec, raw)
        elif t.kind == "bool":
            value = parse_bool(raw)
        elif t.kind == "date":
            value = parse_date(raw, allow_serial=isinstance(raw, (int, float)) and not isinstance(raw, bool))
        else:
            if isinstance(raw, _NESTED):  # str() of it is no text a clerk wrote
                raise _nested_error(spec.name, raw)
            value = parse_text(raw)
            if t.kind == "choice" and value not in t.choices:
                raise FieldError(spec.name, f"{value!r} 不是可选值（{'、'.join(t.choices)}）",
                                 f"{value!r} is not one of {', '.join(t.choices)}", raw)
    except CellError as err:
        raise FieldError(spec.name, err.message_zh, err.message_en, raw) from None
    if value is None:
        return spec.default if spec.has_default else Missing("input_missing", spec.name)
    return value


_NESTED = (list, tuple, dict, set, frozenset)


def _nested_error(field: str, raw) -> FieldError:
    """A list or an object where a text (or a choice) is wanted: a JSON record's ["甲"], a list or
    struct column of an Arrow table."""
    what_zh, what_en = ("对象", "an object") if isinstance(raw, dict) else ("列表", "a list")
    return FieldError(field, f"应为一段文字，不是{what_zh}：{_shown(raw)}", f"expected text, not {what_en}: {_shown(raw)}", raw)


def _shown(raw) -> str:
    """A raw value for a message: exact numbers (a test's `given`, Decimal from the API) as
    decimals, like `eval` shows them; anything else (a cell's text) quoted."""
    if isinstance(raw, Decimal) and raw.is_finite() and abs(raw.adjusted()) > 30:
        return f"{raw:.6E}"  # 1E+400 as 1.000000E+400, not 401 digits
    if isinstance(raw, (Fraction, Decimal)):
        text = format_plain(Fraction(raw))
        return text if len(text) <= 40 else f"{text[:30]}…"  # shown in zh and en messages alike
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:50]}…"


_KIND_ZH = {"amount": "金额", "count": "计数"}


def _number(spec, raw) -> Fraction:
    kind = spec.type.kind
    parsed = _float_cents(raw) if type(raw) is float else None
    if parsed is None:
        parsed = parse_decimal(raw)
    if parsed is None:
        return None
    value, had_pct = parsed
    if had_pct and kind in ("amount", "count"):
        # the clerk reads the type as the reference names it in Chinese (金额, 计数), not `amount`
        raise FieldError(spec.name, f"{_KIND_ZH[kind]}不能写成百分数：{_shown(raw)}",
                         f"a {kind} cannot be a percentage: {_shown(raw)}", raw)
    if kind == "percent" and not had_pct and abs(value) > BARE_PERCENT_LIMIT:
        raise FieldError(spec.name, f"{_shown(raw)} 看起来漏了 %：百分比请写 0.95 或 95%",
                         f"{_shown(raw)} looks like a percentage without %: write 0.95 or 95%", raw)
    if kind == "count" and (value < 0 or value.denominator != 1):
        raise FieldError(spec.name, f"{_shown(raw)} 不是非负整数", f"{_shown(raw)} is not a whole number ≥ 0", raw)
    if spec.range is not None:
        lo, hi, closed = spec.range
        if value < lo or value > hi or (not closed and value == hi):
            end = "]" if closed else ")"
            raise FieldError(spec.name, f"{_shown(raw)} 超出范围 [{format_plain(lo)}, {format_plain(hi)}{end}",
                             f"{_shown(raw)} is outside [{format_plain(lo)}, {format_plain(hi)}{end}", raw)
    return value


def _float_cents(x: float):
    """parse_decimal's value for a float with at most two decimals, without going through its
    repr: x is the correctly rounded float of the decimal r/100 (≤ 15 significant digits) iff
    r/100 == x for r = round(x·100), and then that decimal is also repr(x)."""
    if not -1e13 < x < 1e13:  # also NaN and infinities
        return None
    r = round(x * 100)
    if -_LIMIT < r < _LIMIT and r / 100 == x:
        return Fraction(r, 100), False
    return None


_LIMIT = 10**15


def convert_record(inputs, record: Mapping) -> tuple[dict, list[FieldError]]:
    """All inputs of a record: (env with 'in:NAME' keys, every field error found)."""
    env, errors = {}, []
    for spec in inputs:
        try:
            env["in:" + spec.name] = convert_value(spec, lookup(record, spec))
        except FieldError as err:
            errors.append(err)
    return env, errors
