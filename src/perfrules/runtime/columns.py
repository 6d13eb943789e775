"""Input columns → column values for the columnar backend: the vectorised twin of convert.py.

A column arrives as a pyarrow array (CSV columns as strings, Parquet/Arrow typed) or as a list
of raw cells (XLSX, JSON). The common clean case is converted with array operations: plain
decimal strings ('12.50', '95%', ' 7 ', '1,234.56'), floats, integers. Every other cell goes
through convert.convert_value — the very function the row path uses — once per distinct raw
value, so odd cells ('（空）', full-width digits, '(1,234.00)') give the same value and a bad cell
the same error, naming the field.

Numbers become float64 plus a decimal-place bound. A number that is not a decimal of at most
15 significant digits (or an integer beyond 2**53) cannot be carried safely in a float: its row
is marked *exact* and is evaluated by the reference evaluator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import numpy as np

from .convert import FieldError, _ABSENT, convert_value
from .missing import Missing
from .numbers import decimal_places

_PLAIN = r"^-?[0-9]+(\.[0-9]+)?%?$"
_GROUPED = r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?%?$"
_MAX_DIGITS = 15
_TWO53 = 2.0**53
_CENTS_SAFE = 1e13  # |x| below this: x·100 is exact enough to tell 2-place decimals (< 1e15)
U = 2.0**-52


@dataclass
class Converted:
    """The converted inputs of a chunk."""

    n: int
    values: dict = field(default_factory=dict)  # 'in:NAME' → Num | Text | Bool | Date
    errors: dict = field(default_factory=dict)  # row → [FieldError, …] in input order
    exact: np.ndarray | None = None  # rows that must be evaluated exactly

    def mark_exact(self, rows: np.ndarray) -> None:
        self.exact = rows if self.exact is None else (self.exact | rows)

    def add_error(self, row: int, err: FieldError, order: int) -> None:
        self.errors.setdefault(row, []).append((order, err))


def convert_columns(specs, columns: dict, n: int, reason_of) -> Converted:
    """Convert the columns feeding each input. `columns[name]` is an Arrow array, a list of raw
    cells, or None when the data has no such column. `reason_of(name)` is the reason id of the
    input's missing value."""
    out = Converted(n)
    for order, spec in enumerate(specs):
        col = columns.get(spec.name)
        out.values["in:" + spec.name] = _convert(spec, col, n, reason_of(spec.name), out, order)
    for row, errs in out.errors.items():
        out.errors[row] = [e for _, e in sorted(errs, key=lambda t: t[0])]
    return out


def _convert(spec, col, n, rid, out: Converted, order: int):
    from ..backends.colvalues import kind_of

    kind = kind_of(spec.type)
    if col is None:
        value = spec.default if spec.has_default else Missing("input_missing", spec.name)
        return _constant(kind, value, rid)
    arr = _as_arrow(col)
    if kind == "num":
        return _numbers(spec, arr, col, n, rid, out, order)
    return _by_unique(spec, kind, arr, col, n, rid, out, order)


def _as_arrow(col):
    """An Arrow array for a list of cells when its values share one type, else None."""
    import pyarrow as pa

    if isinstance(col, (pa.Array, pa.ChunkedArray)):
        if isinstance(col, pa.ChunkedArray):
            col = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()  # one chunk: no copy
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        return col
    try:
        return pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
        return None


def _cells(arr, col, idx: np.ndarray) -> list:
    """Raw cells of the rows idx, as the row path would have seen them."""
    if isinstance(col, list):
        return [col[i] for i in idx]
    return arr.take(idx).to_pylist()


# ---- constants and defaults
def _constant(kind: str, value, rid: int):
    from ..backends import colnum as cn
    from ..backends.colvalues import Bool, Date, Text

    if isinstance(value, Missing):
        from ..backends.colvalues import missing_of

        return missing_of(kind, rid)
    if kind == "num":
        return cn.const(Fraction(value))
    if kind == "text":
        return Text(0, (value,), 0)
    if kind == "bool":
        return Bool(bool(value), 0)
    return Date(value.toordinal(), 0)


# ---- numbers
def _numbers(spec, arr, col, n: int, rid: int, out: Converted, order: int):
    """(f, e, d, m) for a numeric input: vectorised when clean, per distinct raw value otherwise."""
    import pyarrow as pa

    fast = _clean_numbers(spec, arr, n, rid)
    if fast is not None:
        return fast
    f = np.zeros(n)
    places = np.zeros(n, dtype=np.int64)  # decimal places of the exact value
    pct = np.zeros(n, dtype=bool)  # written with a percent sign
    blank = np.zeros(n, dtype=bool)
    odd = np.zeros(n, dtype=bool)  # goes through convert_value
    if arr is None:
        odd[:] = True
    elif pa.types.is_floating(arr.type):
        x = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        blank = np.isnan(x)  # null → NaN; NaN is blank too
        odd = np.isinf(x)
        f, places, unsafe = _float_places(np.where(blank | odd, 0.0, x))
        odd |= unsafe & ~blank  # see below: convert_value checks them and marks them exact
    elif pa.types.is_integer(arr.type):
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        blank = ~valid
        xi = arr.cast(pa.int64()).fill_null(0).to_numpy() if not pa.types.is_uint64(arr.type) else None
        if xi is None:
            odd[:] = ~blank
        else:
            f = xi.astype(np.float64)
            odd = (np.abs(f) >= _TWO53) & valid  # as below
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        f, places, pct, blank, odd, unsafe = _strings(arr, n)
        # Cells beyond a float's 15 digits go through convert_value like odd ones: their float
        # (and places, set to 0) cannot show that '3.0000000000000000001' is no count or that
        # '100.0000000000000001' is outside in [0, 100]; marked exact without that check, the
        # exact evaluator met a conversion error the columnar one had not reported (a crash).
        odd |= unsafe
    elif pa.types.is_null(arr.type):
        blank[:] = True
    else:
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        blank = ~valid
        odd = valid.copy()
    if odd.any():
        _odd_numbers(spec, arr, col, np.flatnonzero(odd), f, places, pct, blank, out, order)
    return _number_value(spec, f, places, pct, blank, odd, rid, out, order, arr, col)


def _clean_numbers(spec, arr, n: int, rid: int):
    """The Num of a typed Arrow column that needs no per-cell care — no NaN or infinities, no
    range to check, an amount/number (or a count of whole non-negative values) whose floats are
    decimals of at most 15 significant digits; nulls are blanks — in a few whole-column passes,
    without the general path's per-row bookkeeping. None for anything else."""
    import pyarrow as pa

    from ..backends.colnum import scratch

    kind = spec.type.kind
    if arr is None or n == 0 or spec.range is not None or kind not in ("amount", "number", "count"):
        return None
    blank = _nulls(arr) if arr.null_count else None
    places = None
    # (Casting through Arrow's kernels, into Arrow's pool, was faster on one thread but slower
    # on two: 1.51 → 1.68 s CPU for 1M rows, columns="total".)
    if pa.types.is_integer(arr.type) and not pa.types.is_uint64(arr.type):
        slots = _slots(arr)
        f = slots.astype(np.float64)
        if blank is not None:
            np.copyto(f, 0.0, where=blank)
        # Non-negative slots (counts) in one pass instead of min and max: their bitwise or is
        # negative iff some slot is, and bounds every slot (a null's slot too: at worst a
        # looser bound, or the min and max below).
        top = int(np.bitwise_or.reduce(slots))
        lo, hi = (0.0, float(top)) if top >= 0 else (float(f.min()), float(f.max()))
        if max(-lo, hi) >= _TWO53 or (kind == "count" and lo < 0):  # ≥ 2^53 also when rounded
            return None
        kmax = 0
    elif arr.type == pa.float64():
        x = arr.to_numpy(zero_copy_only=False) if blank is None else np.where(blank, 0.0, _slots(arr))
        lo, hi = float(x.min()), float(x.max())
        if not (-_CENTS_SAFE < lo and hi < _CENTS_SAFE):  # also NaN and infinities
            return None
        y = np.multiply(x, 100.0, out=scratch(n, np.float64))
        np.rint(y, out=y)
        y /= 100.0
        same = np.equal(y, x, out=scratch(n, np.bool_))
        if same.all():  # every value a decimal of at most 2 places (most money)
            f, places, kmax = x, 2, 2
        else:
            f, places, unsafe = _float_places(x)
            if unsafe.any():
                return None
            kmax = int(places.max())
        if kind == "count" and (lo < 0 or (kmax and (np.rint(x) != x).any())):
            return None
    else:
        return None
    return _number_num(spec, f, places, kmax, blank, rid, maxabs=max(-lo, hi), blank_zero=True)


def _slots(arr) -> np.ndarray:
    """The value slots of a fixed-width Arrow array as a read-only numpy view (null slots hold
    anything: callers overwrite them)."""
    values = arr.buffers()[1]
    dtype = np.dtype(arr.type.to_pandas_dtype())
    return np.frombuffer(values, dtype=dtype, count=arr.offset + len(arr))[arr.offset:]


def _nulls(arr) -> np.ndarray:
    """The null mask of an Arrow array, unpacked straight from its validity bitmap."""
    validity = arr.buffers()[0]
    if validity is None:  # a null-typed (or otherwise bitmap-less) array: ask Arrow
        return ~arr.is_valid().to_numpy(zero_copy_only=False)
    # only the bytes this (possibly sliced) array covers: a chunk of a big table must not pay
    # for unpacking the whole table's bitmap
    first, skip = divmod(arr.offset, 8)
    bits = np.frombuffer(validity, dtype=np.uint8, count=(arr.offset + len(arr) + 7) // 8 - first, offset=first)
    return np.unpackbits(~bits, bitorder="little", count=skip + len(arr))[skip:].view(bool)


def _float_places(x: np.ndarray):
    """For floats read as numbers: the decimal the row path would see (repr's shortest form).

    x is the correctly rounded float of a decimal with k places and ≤ 15 significant digits iff
    rint(x·10^k)/10^k == x for that k; then that decimal is also repr(x). Returns (x, places,
    unsafe): places bounds each row's decimal places (2 is tried first: most figures are money);
    unsafe rows have no such decimal (the row path gets a 16–17 digit value)."""
    n = len(x)
    places = np.full(n, 2, dtype=np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.rint(x * 100.0)
    ok = (np.abs(r) < 1e15) & (r / 100.0 == x)
    if ok.all():
        return x, places, np.zeros(n, dtype=bool)
    todo = np.flatnonzero(~ok)
    xs = x[todo]
    for k in range(_MAX_DIGITS + 1):
        if len(todo) == 0:
            break
        scale = _POW10[k]
        with np.errstate(over="ignore", invalid="ignore"):  # huge values overflow: not decimals
            r = np.rint(xs * scale)
        ok = (np.abs(r) < 1e15) & (r / scale == xs)
        places[todo[ok]] = k
        todo, xs = todo[~ok], xs[~ok]
    unsafe = np.zeros(n, dtype=bool)
    unsafe[todo] = True
    places[todo] = 0
    return x, places, unsafe


def _zero_text():
    from ..flat import sv

    return sv("0")


_CLEAN = r"^-?[0-9]+(\.[0-9]+)?%?$"


_BYTE_CLASS = np.full(256, 3, dtype=np.uint8)  # 0 digit, 1 '.', 2 '-', 3 anything else
_BYTE_CLASS[48:58] = 0
_BYTE_CLASS[46] = 1
_BYTE_CLASS[45] = 2
_POW10_15 = 10.0 ** np.arange(0, 17)


def _ascii_decimals(arr, n: int):
    """The common case straight from the Arrow buffers: every cell empty or '-?digits[.digits]'
    in ASCII (checked byte by byte with a lookup table), parsed by Arrow's correctly rounded
    cast. Returns (f, places, blank, odd, unsafe) like _strings, or None when some cell holds
    anything else (the caller then uses the general kernels)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..flat import sv

    if arr.type != pa.string() or n == 0:
        return None
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset:arr.offset + n + 1]
    base, top = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(bufs[2], dtype=np.uint8)[base:top] if bufs[2] is not None else np.zeros(0, np.uint8)
    cls = _BYTE_CLASS[data]
    if (cls == 3).any():
        return None
    starts = offsets[:-1] - base
    length = np.diff(offsets)
    minus_at = np.flatnonzero(cls == 2)
    if minus_at.size and not np.isin(minus_at, starts[length > 1]).all():
        return None  # a minus that is not a sign
    dot_at = np.flatnonzero(cls == 1)
    dot_row = np.searchsorted(starts, dot_at, side="right") - 1
    if dot_at.size and (np.bincount(dot_row, minlength=n) > 1).any():
        return None
    blank = length == 0
    if arr.null_count:
        blank |= ~arr.is_valid().to_numpy(zero_copy_only=False)
    cells = pc.if_else(pc.equal(pc.binary_length(arr), 0), sv("0"), arr) if blank.any() else arr
    try:
        f = pc.cast(cells.fill_null(sv("0")) if arr.null_count else cells, pa.float64()).to_numpy(
            zero_copy_only=False, writable=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # '-', '.', '-.' and such: the general path words them
    places = np.zeros(n, dtype=np.int64)
    if dot_at.size:
        places[dot_row] = offsets[1:][dot_row] - base - dot_at - 1
    digits = length.astype(np.int64)  # characters, less the sign and the point
    if minus_at.size:
        digits[np.searchsorted(starts, minus_at, side="right") - 1] -= 1
    if dot_at.size:
        digits[dot_row] -= 1
    unsafe = digits > 15
    if unsafe.any():  # leading zeros do not count: count exactly for the long ones
        for i in np.flatnonzero(unsafe):
            text = arr[int(i)].as_py().lstrip("-").replace(".", "").lstrip("0")
            unsafe[i] = len(text) > 15
    long_places = places > 22  # 10^places no longer exact in a float (as _decimal_of)
    if long_places.any():
        unsafe |= long_places
    places[unsafe] = 0  # those rows go to the exact evaluator; their places bound nothing
    f[blank] = 0.0
    return f, places, blank, np.zeros(n, dtype=bool), unsafe


def _pa_string():
    import pyarrow as pa

    return pa.string()


def _strings(arr, n: int):
    """Plain decimal strings ('12.50', '95%', ' 7 ', '1,234.56') parsed with Arrow kernels:
    Arrow's string → float64 cast is correctly rounded, as float() is. Returns (f, places, pct,
    blank, odd, unsafe); odd cells go through convert_value, unsafe ones (more than 15
    significant digits) through the exact path."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..flat import sv

    fast = _ascii_decimals(arr, n)
    if fast is not None:
        f, places, blank, odd, unsafe = fast
        return f, places, np.zeros(n, dtype=bool), blank, odd, unsafe
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    t = pc.utf8_trim(arr, characters=_TRIM)
    if pc.any(pc.match_substring(t, ",")).as_py():
        grouped = pc.match_substring_regex(t, _GROUPED)
        t = pc.if_else(grouped, pc.replace_substring(t, ",", ""), t)
    plain = pc.match_substring_regex(t, _CLEAN).fill_null(False)
    length = pc.utf8_length(t).fill_null(0).to_numpy(zero_copy_only=False)
    plain_np = plain.to_numpy(zero_copy_only=False)
    blank = ~valid | (length == 0)
    odd = valid & (length > 0) & ~plain_np
    pct = np.zeros(n, dtype=bool)
    f = np.zeros(n)
    places = np.zeros(n, dtype=np.int64)
    unsafe = np.zeros(n, dtype=bool)
    if plain_np.any():
        body = pc.if_else(plain, t, sv("0"))
        if pc.any(pc.ends_with(body, "%")).as_py():
            pct = pc.ends_with(body, "%").to_numpy(zero_copy_only=False)
            body = pc.replace_substring(body, "%", "")
            length = length - pct
        dot = pc.find_substring(body, ".").to_numpy(zero_copy_only=False)
        places = np.where(dot >= 0, length - dot - 1, 0).astype(np.int64)
        f = pc.cast(body, pa.float64()).to_numpy(zero_copy_only=False, writable=True)
        # at most 15 significant digits: certain below 16 characters, else counted exactly
        long = plain_np & (length - (dot >= 0) > 15)
        if long.any():
            for i in np.flatnonzero(long):
                text = body[int(i)].as_py().lstrip("-").replace(".", "").lstrip("0")
                if len(text) > 15:
                    unsafe[i] = True
        if pct.any():
            f = _percent(body, pct, f, places)
            places = places + 2 * pct
    return f, places, pct, blank, odd, unsafe


def _percent(body, pct, f, places):
    """Percent cells: the decimal divided by 100 with one correctly rounded step, as the row
    path's exact value is (r / 10^(k+2))."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.cast(pc.replace_substring(body, ".", ""), pa.float64()).to_numpy(zero_copy_only=False)
    return np.where(pct, digits / np.power(10.0, places + 2), f)


_TRIM = " \t\n\r\x0b\x0c\u3000\u00a0\u2007\u2009\u202f"


def _odd_numbers(spec, arr, col, idx, f, places, pct, blank, out: Converted, order: int) -> None:
    """Cells that are not plain: convert_value once per distinct raw value."""
    cells = _cells(arr, col, idx)
    cache: dict = {}
    exact = np.zeros(len(f), dtype=bool)
    for i, raw in zip(idx, cells):
        key = (type(raw), raw) if _hashable(raw) else None
        hit = cache.get(key) if key is not None else None
        if hit is None:
            try:
                v = convert_value(spec, raw)
            except FieldError as err:
                hit = ("error", err)
            else:
                hit = _decimal_of(v)
            if key is not None:
                cache[key] = hit
        if hit[0] == "error":
            out.add_error(i, hit[1], order)
            blank[i] = True
        elif hit[0] == "missing":
            blank[i] = True
        else:
            _, fv, k, safe = hit
            f[i], places[i] = fv, k
            pct[i] = False  # convert_value already applied the checks
            if not safe:
                exact[i] = True
    if exact.any():
        out.mark_exact(exact)


def _hashable(raw) -> bool:
    try:
        hash(raw)
    except TypeError:
        return False
    return True


def _decimal_of(v):
    """('num', float, places, safe) for an exact value, or ('missing',)."""
    if isinstance(v, Missing) or v is None:
        return ("missing",)
    v = Fraction(v)
    k = decimal_places(v)
    if k is None:
        return ("num", float(v), 0, False)
    r = v.numerator * 10**k // v.denominator
    safe = abs(r) < 10**_MAX_DIGITS and k <= 22  # 10^k exact in a float (1e-308 has 308 places)
    if not safe:  # the row goes to the exact evaluator; its places bound nothing
        return ("num", _float_or_zero(v), 0, False)
    return ("num", r / 10.0**k, k, True)


def _float_or_zero(v: Fraction) -> float:
    try:
        return float(v)
    except OverflowError:
        return 0.0


_POW10 = 10.0 ** np.arange(0, 40)


def _number_value(spec, f, places, pct, blank, odd, rid, out: Converted, order: int, arr, col):
    """Apply the type's checks (vectorised; suspects re-checked by convert_value) and build the Num."""
    from ..backends import colnum as cn

    kind = spec.type.kind
    kmax = int(places.max()) if len(places) else 0
    any_blank = bool(blank.any())
    any_odd = bool(odd.any())
    clean = ~(blank | odd) if (any_blank or any_odd) else None
    bad = None

    def flag(mask):
        nonlocal bad
        if clean is not None:
            mask = mask & clean
        bad = mask if bad is None else (bad | mask)

    if kind in ("amount", "count") and pct.any():
        flag(pct)
    checks = []
    if kind == "percent":
        checks.append((None if not pct.any() else ~pct, (">", Fraction(10)), ("<", Fraction(-10))))
    if kind == "count":
        neg = f < 0
        if kmax > 0:
            scale = _POW10[places]
            neg |= (places > 0) & (np.rint(f * scale) % scale != 0)
        if neg.any():
            flag(neg)
    if spec.range is not None:
        lo, hi, closed = spec.range
        checks.append((None, ("<", lo), (">" if closed else ">=", hi)))
    if checks:
        x = cn.Num(f, 0.0, U if kmax else 0.0, _POW10[kmax], 0)
        for rows, *tests in checks:
            for op, c in tests:
                hit, resid = cn.compare(op, x, cn.const(c))
                if resid is not None:
                    hit = hit | resid
                if rows is not None:
                    hit = hit & rows
                if np.any(hit):
                    flag(hit)
    if bad is not None and bad.any():
        # a suspect cell: the row path decides (and words the error)
        idx = np.flatnonzero(bad)
        blank = blank.copy()
        exact = np.zeros(len(f), dtype=bool)
        for i, raw in zip(idx, _cells(arr, col, idx)):
            try:
                v = convert_value(spec, raw)
            except FieldError as err:
                out.add_error(i, err, order)
                blank[i] = True
                continue
            hit = _decimal_of(v)
            if hit[0] == "missing":
                blank[i] = True
            else:
                f[i], places[i] = hit[1], hit[2]
                exact[i] = not hit[3]
        if exact.any():
            out.mark_exact(exact)
        any_blank = bool(blank.any())
        kmax = int(places.max())
    if not any_blank:
        blank = None
    return _number_num(spec, f, places, kmax, blank, rid, out.errors)


def _number_num(spec, f, places, kmax: int, blank, rid: int, errors=None, maxabs: float | None = None,
                blank_zero: bool = False):
    """The Num of converted numbers: `places` bounds each row's decimal places (an array, a
    scalar, or None when all are whole), `blank` marks the blanks (or None; blank_zero: f is 0
    there). A blank takes the input's default if it has one — not on rows whose other fields
    are errors — else it is missing with reason `rid`."""
    from ..backends import colnum as cn

    m, d = 0, _POW10[kmax]
    if blank is not None:
        fill = None
        if spec.has_default:
            fill = blank
            if errors:
                fill = blank.copy()
                fill[[r for r in errors if fill[r]]] = False
            c = cn.const(Fraction(spec.default))
            k_default = _decimal_of(Fraction(spec.default))[2]
            if not (blank_zero and c.f == 0.0):  # (a default of 0: the blanks hold it)
                f = np.where(fill, c.f, f)
            if maxabs is not None:
                maxabs = max(maxabs, abs(c.f))
            if kmax or k_default:
                places = np.where(fill, k_default, 0 if places is None else places)
            kmax, d = max(kmax, k_default), max(d, c.d)
        still = blank if fill is None else (blank & ~fill)
        if still.any():
            m = np.multiply(still, rid, dtype=np.int32)
    r = U if kmax else 0.0
    # max |f| is known from the conversion's range check: one reduction less per use
    return cn.Num(f, 0.0, r, d, m, places if kmax else None, dp=kmax if d == _POW10[kmax] else None,
                  mx=None if maxabs is None else float(maxabs))


def _nested_type(t) -> bool:
    import pyarrow as pa

    return pa.types.is_nested(t) or pa.types.is_union(t)


# ---- bool, date, text and choice: once per distinct value
def _by_unique(spec, kind: str, arr, col, n: int, rid: int, out: Converted, order: int):
    from ..backends.colvalues import Bool, Date, Text

    if arr is not None and _nested_type(arr.type):
        # list, struct, map, union: no dictionary_encode kernel (ArrowNotImplementedError); each
        # cell as the row path sees it (convert_value refuses it, naming the field)
        arr, col = None, arr.to_pylist()
    if arr is not None:
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(arr)
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        uniques = enc.dictionary.to_pylist()
        # nulls have code -1
        raw_of = uniques
    else:
        index: dict = {}
        codes = np.empty(n, dtype=np.int64)
        raw_of = []
        for i, raw in enumerate(col):
            key = (type(raw), raw) if _hashable(raw) else ("id", id(raw))
            j = index.get(key)
            if j is None:
                j = index[key] = len(raw_of)
                raw_of.append(raw)
            codes[i] = j
    results = []
    for raw in raw_of:
        try:
            v = convert_value(spec, raw)
        except FieldError as err:
            results.append(err)
            continue
        results.append(v)
    null_value = _safe_convert(spec, None)
    results.append(null_value)  # code -1 (null)
    codes = np.where(codes < 0, len(results) - 1, codes)
    is_err = np.array([isinstance(r, FieldError) for r in results])
    is_missing = np.array([isinstance(r, Missing) for r in results])
    err_rows = np.flatnonzero(is_err[codes])
    for i in err_rows:
        out.add_error(int(i), results[codes[i]], order)
    m = np.where(is_missing[codes] | is_err[codes], rid, 0).astype(np.int32)
    if not m.any():
        m = 0
    if kind == "text":
        cats, lut = [], []
        seen: dict = {}
        for r in results:
            if isinstance(r, str):
                if r not in seen:
                    seen[r] = len(cats)
                    cats.append(r)
                lut.append(seen[r])
            else:
                lut.append(0)
        return Text(np.array(lut, dtype=np.int32)[codes], tuple(cats) or ("",), m)
    if kind == "bool":
        lut = np.array([r is True for r in results])
        return Bool(lut[codes], m)
    lut = np.array([r.toordinal() if isinstance(r, date) else 0 for r in results], dtype=np.int64)
    return Date(lut[codes], m)


def _safe_convert(spec, raw):
    try:
        return convert_value(spec, raw if raw is not None else _ABSENT)
    except FieldError as err:  # pragma: no cover - a blank never fails
        return err
