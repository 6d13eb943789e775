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

_PLAIN = r"^-?[0-9]+(\.[0-9]+)?%?$"
_GROUPED = r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?%?$"
_MAX_DIGITS = 15
_TWO53 = 2.0**53
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
    from ..backends.columnar import kind_of

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
            col = col.combine_chunks()
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
    from ..backends.columnar import Bool, Date, Text

    if isinstance(value, Missing):
        from ..backends.columnar import missing_of

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
    import pyarrow.compute as pc

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
        out_exact = unsafe & ~blank & ~odd
        if out_exact.any():
            out.mark_exact(out_exact)
    elif pa.types.is_integer(arr.type):
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        blank = ~valid
        xi = arr.cast(pa.int64()).fill_null(0).to_numpy() if not pa.types.is_uint64(arr.type) else None
        if xi is None:
            odd[:] = ~blank
        else:
            f = xi.astype(np.float64)
            big = np.abs(f) >= _TWO53
            if big.any():
                out.mark_exact(big & valid)
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        f, places, pct, blank, odd, unsafe = _strings(arr, n)
        if unsafe.any():
            out.mark_exact(unsafe)
    elif pa.types.is_null(arr.type):
        blank[:] = True
    else:
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        blank = ~valid
        odd = valid.copy()
    if odd.any():
        _odd_numbers(spec, arr, col, np.flatnonzero(odd), f, places, pct, blank, out, order)
    return _number_value(spec, f, places, pct, blank, odd, rid, out, order, arr, col)


def _float_places(x: np.ndarray):
    """For floats read as numbers: the decimal the row path would see (repr's shortest form).

    x is the correctly rounded float of a decimal with k places and ≤ 15 significant digits iff
    rint(x·10^k)/10^k == x for that k; then that decimal is also repr(x). Returns (x, places,
    unsafe): places bounds each row's decimal places (2 is tried first: most figures are money);
    unsafe rows have no such decimal (the row path gets a 16–17 digit value)."""
    n = len(x)
    places = np.full(n, 2, dtype=np.int64)
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


def _strings(arr, n: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    t = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(pc.utf8_length(t), 0).fill_null(True).to_numpy(zero_copy_only=False)
    grouped = pc.match_substring_regex(t, _GROUPED).fill_null(False)
    if pc.any(grouped).as_py():
        t = pc.if_else(grouped, pc.replace_substring(t, ",", ""), t)
    plain = pc.match_substring_regex(t, _PLAIN).fill_null(False).to_numpy(zero_copy_only=False)
    blank = ~valid | (empty & valid)
    odd = valid & ~empty & ~plain
    pct = np.zeros(n, dtype=bool)
    f = np.zeros(n)
    places = np.zeros(n, dtype=np.int64)
    unsafe = np.zeros(n, dtype=bool)
    if plain.any():
        body = pc.if_else(pa.array(plain), t, _zero_text())
        pct = pc.ends_with(body, "%").to_numpy(zero_copy_only=False)
        if pct.any():
            body = pc.replace_substring(body, "%", "")
        dot = pc.find_substring(body, ".").to_numpy(zero_copy_only=False)
        length = pc.utf8_length(body).to_numpy(zero_copy_only=False)
        places = np.where(dot >= 0, length - dot - 1, 0).astype(np.int64)
        digits = pc.replace_substring(body, ".", "")
        ndig = pc.utf8_length(pc.utf8_ltrim(pc.utf8_ltrim(digits, characters="-"), characters="0")).to_numpy(
            zero_copy_only=False)
        long = ndig > _MAX_DIGITS
        if long.any():
            # too many digits for a float: the row path gets the exact value
            unsafe = long & plain
            digits = pc.if_else(pa.array(long), _zero_text(), digits)
        r = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
        places = places + 2 * pct
        f = r / np.power(10.0, places)
    return f, places, pct, blank, odd, unsafe


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
    den = v.denominator
    k2 = k5 = 0
    while den % 2 == 0:
        den //= 2
        k2 += 1
    while den % 5 == 0:
        den //= 5
        k5 += 1
    if den != 1:
        return ("num", float(v), 0, False)
    k = max(k2, k5)
    r = v.numerator * 10**k // v.denominator
    safe = abs(r) < 10**_MAX_DIGITS
    return ("num", r / 10.0**k if safe else float(v), k, safe)


_POW10 = 10.0 ** np.arange(0, 40)


def _number_value(spec, f, places, pct, blank, odd, rid, out: Converted, order: int, arr, col):
    """Apply the type's checks (vectorised; suspects re-checked by convert_value) and build the Num."""
    from ..backends import colnum as cn
    from ..backends.colnum import Num

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
    m = np.where(blank, rid, 0).astype(np.int32) if any_blank else 0
    d = _POW10[kmax]
    if spec.has_default and any_blank:
        fill = blank.copy()
        if out.errors:
            fill[[r for r in out.errors if fill[r]]] = False
        c = cn.const(Fraction(spec.default))
        hit = _decimal_of(Fraction(spec.default))
        f = np.where(fill, c.f, f)
        places = np.where(fill, hit[2], places)
        kmax = max(kmax, hit[2])
        d = max(d, c.d)
        m = np.where(fill, 0, m).astype(np.int32)
        if not m.any():
            m = 0
    r = U if kmax else 0.0
    return Num(f, 0.0, r, d, m, places if kmax else None, dp=kmax if d == _POW10[kmax] else None)


# ---- bool, date, text and choice: once per distinct value
def _by_unique(spec, kind: str, arr, col, n: int, rid: int, out: Converted, order: int):
    from ..backends.columnar import Bool, Date, Text

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
