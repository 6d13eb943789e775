"""Vector numbers of the columnar backend: float64 with certified error and denominator bounds.

A numeric column value (Num) holds per row

    f  the float64 approximation of the exact value;
    m  a missing-reason id (0: present), an index into the chunk's reason table;

and bounds that hold for every present row:

    |f − exact| ≤ e + r·|f|     (e, r: the error bound, absolute and relative parts)
    den(exact)  ≤ d             (d: a bound on the exact value's denominator)

Values are computed in two tiers. In the *fast* tier e, r and d are chunk-wide scalars (built
from the chunk's largest magnitudes), so tracking them costs almost nothing; a decision — a
comparison, a rounding, floor/ceil, a test for division by zero — uses them only to find the
*suspect* rows whose float margin is within the bound. The interpreter re-evaluates just the
suspects' operands in the *precise* tier, where e, r and d are per-row arrays, and decides each
row in one of three ways:

* the float margin exceeds the error bound: the float answer is the exact one;
* margin plus error is below the smallest non-zero distance the denominator allows (1/d): the
  exact value lies exactly ON the boundary (a tie: 0.975 → 0.98, 5 <= 5);
* neither: the row is *residual* and is evaluated by the exact reference evaluator.

Data are short decimals and counts with small denominators, so suspects are the exact ties (a
few per cent of rows) and residual rows are very rare.
"""
from __future__ import annotations

import math
import threading
from fractions import Fraction

import numpy as np

from ..runtime.numbers import decimal_places

U = 2.0**-52  # twice the unit roundoff: one rounding plus slack for the bound arithmetic itself
_TIGHTEN = 2.0**36  # a carried max-|f| bound times the decision's scale beyond this: use the real max
SLACK = 1.0 + 2.0**-40
BIG = 2.0**52  # beyond this a float no longer holds every integer (and half-integer)
INF = math.inf


def is_scalar(x) -> bool:
    return not isinstance(x, np.ndarray) or x.ndim == 0


def zero(x) -> bool:
    """True when x is the scalar 0 (the common 'exact' / 'present' case)."""
    return is_scalar(x) and x == 0


def first(a, b):
    """The first missing reason of two (reason ids; 0 = present)."""
    if a is b:
        return a
    if is_scalar(a):
        return b if a == 0 else a
    if zero(b):
        return a
    if is_scalar(b):
        return np.where(a != 0, a, b)
    # missing rows are few: patch them by index (a bool mask first: numpy's nonzero on an
    # int32 array is several times slower than on the mask)
    idx = np.flatnonzero(a != 0)
    if idx.size == 0:
        return b
    out = b.copy()
    out[idx] = a[idx]
    return out


_SCRATCH = threading.local()


def scratch(n: int, dtype) -> np.ndarray:
    """A temporary array of n values, reused by the next caller on this thread: for a pass
    whose result is read once and dropped (a fresh array of a chunk's size costs its pages'
    faults and cache misses). It must not escape its caller, nor live across a call to another
    user of a scratch array of the same dtype."""
    key = np.dtype(dtype).char
    buf = getattr(_SCRATCH, key, None)
    if buf is None or len(buf) < n:
        buf = np.empty(n, dtype=dtype)
        setattr(_SCRATCH, key, buf)
    return buf[:n]


def _nan_to_inf(x):
    return INF if x != x else x


class Num:
    """A numeric column value (see the module docstring). `dp`, when known, bounds the decimal
    places of the exact value (den divides 10^dp), so it can be read off the float; `k`, on
    inputs only, holds each row's decimal places, from which the precise tier takes per-row
    bounds; `mx`, when the maker knows it, is max |f| or a bound on it — every use is as an upper
    bound — (else computed when first needed)."""

    __slots__ = ("f", "e", "r", "d", "m", "k", "dp", "_mx", "_loose", "_zero")

    def __init__(self, f, e=0.0, r=0.0, d=1.0, m=0, k=None, dp=None, mx=None):
        self.f, self.e, self.r, self.d, self.m, self.k = f, e, r, d, m, k
        self.dp = dp  # the exact value is a decimal with at most dp places (None: unknown)
        self._mx = mx
        self._loose = mx is not None  # a bound given by the maker, not the reduction's max
        self._zero = None  # is_zero_fast's answer: a divisor (a budget column) serves many ratios

    def maxabs(self, scale: float = 1.0) -> float:
        """max |f| over the rows (f is finite everywhere: garbage rows hold 0 or a finite value),
        or a bound on it, for error bounds of decisions at `scale` (rounding to p places: 10^p).
        A bound carried from the operands (a ratio of counts: |a / b| ≤ max |a|) can be far
        above the max; where it is so large that U·bound·scale would make rows undecidable
        (values shown to 10 places), the real max replaces it."""
        if self._mx is None or (self._loose and self._mx * scale >= _TIGHTEN and not is_scalar(self.f)):
            self._mx, self._loose = _maxabs_of(self.f), False
        return self._mx

    def exact(self) -> bool:
        return zero(self.e) and zero(self.r)

    def take(self, idx: np.ndarray) -> "Num":
        """The rows idx, with per-row bounds where the value knows them (inputs)."""
        def t(x):
            return x if is_scalar(x) else x[idx]

        if self.k is not None:
            k = self.k[idx] if not is_scalar(self.k) else np.full(len(idx), self.k)
            f = t(self.f)
            return Num(f, 0.0, np.where(k == 0, 0.0, U), np.power(10.0, k), t(self.m), dp=self.dp)
        return Num(t(self.f), t(self.e), t(self.r), t(self.d), t(self.m), dp=self.dp)


class Scaled(Num):
    """An exact decimal q / 10^places held by its integer q (float64 holding integers, |q| ≤
    qmax < 2^53): a rounded score. Groups and the total add the integers (add_scores), exactly
    and with no bound to track; f is computed only if something reads it."""

    __slots__ = ("q", "places", "qmax", "_f")

    def __init__(self, q, places: int, qmax: float):
        s = 10.0**places
        self.q, self.places, self.qmax, self._f = q, places, qmax, None
        self.e, self.r, self.d, self.m, self.k, self.dp = 0.0, (U if places else 0.0), s, 0, None, places
        self._mx, self._loose, self._zero = qmax / s * (1 + U), True, None

    @property
    def f(self):
        if self._f is None:
            self._f = self.q / 10.0**self.places
        return self._f


def add_scores(a: Num, b: Num, minus: bool = False) -> Num:
    """a ± b for scores: the integers of two Scaled of the same places, else add()."""
    if type(a) is Scaled and type(b) is Scaled and a.places == b.places and a.qmax + b.qmax < BIG:
        return Scaled(a.q - b.q if minus else a.q + b.q, a.places, a.qmax + b.qmax)
    return add(a, b, minus)


def sum_scores(terms) -> Num:
    """Σ ±score over (score, minus) pairs, in order. Scaled scores of one grid are added into a
    single fresh array (one allocation, not one per term: a fresh chunk-sized array costs its
    pages); anything else pairwise by add_scores."""
    (acc, minus), rest = terms[0], terms[1:]
    if minus:
        acc = neg_score(acc)
    if not rest:
        return acc
    if (type(acc) is Scaled and all(type(x) is Scaled and x.places == acc.places for x, _ in rest)
            and acc.qmax + sum(x.qmax for x, _ in rest) < BIG):
        q, qmax, ours = acc.q, acc.qmax, False
        for x, minus in rest:
            op = np.subtract if minus else np.add
            if ours and np.shape(x.q) in (q.shape, ()):
                op(q, x.q, out=q)
            else:
                q = op(q, x.q)
                ours = not is_scalar(q)  # a new array: the next terms go into it
            qmax += x.qmax
        return Scaled(q, acc.places, qmax)
    for x, minus in rest:
        acc = add_scores(acc, x, minus)
    return acc


def neg_score(a: Num) -> Num:
    return Scaled(-a.q, a.places, a.qmax) if type(a) is Scaled else neg(a)


def const(c: Fraction) -> Num:
    """A constant: the correctly rounded float, its exact relative error, its denominator."""
    f = float(c)
    err = abs(Fraction(f) - c)
    r = 0.0 if err == 0 else float(err / abs(c)) * SLACK + 2.0**-1070
    return Num(f, 0.0, r, float(c.denominator) if c.denominator < BIG else INF, 0, dp=decimal_places(c))




def _dp_max(a, b):
    return None if a.dp is None or b.dp is None else max(a.dp, b.dp)


def _mag(x: Num, precise: bool):
    """A bound on |f| for the error formulas: per row (precise) or the chunk's largest (fast)."""
    return np.abs(x.f) if precise else x.maxabs()


def _bound(x: Num, precise: bool, scale: float = 1.0):
    """The absolute error bound, per row (precise) or the chunk's largest (fast; `scale`: of
    the decision it serves, see Num.maxabs)."""
    if zero(x.r):
        return x.e if precise or is_scalar(x.e) else float(np.max(x.e))
    return x.e + x.r * _mag(x, precise) if precise else (_smax(x.e) + x.r * x.maxabs(scale))


def _smax(x):
    return x if is_scalar(x) else float(np.max(x)) if x.size else 0.0


def den_sum(da, db):
    """A denominator bound for a ± b."""
    if is_scalar(da) and is_scalar(db):
        if da == 1:
            return db
        if db == 1:
            return da
        if da < BIG and db < BIG and da == int(da) and db == int(db):
            return float(math.lcm(int(da), int(db)))
        return da * db
    return da * db


def _int_exact(a: Num, b: Num) -> bool:
    """Both exact integers (counts): their sum, difference and product are exact below 2**53."""
    return a.exact() and b.exact() and is_scalar(a.d) and is_scalar(b.d) and a.d == 1 and b.d == 1


def _mx_known(x: Num):
    """max |f| of x (or a bound on it) when known without a pass over it, else None."""
    if x._mx is not None:
        return x._mx
    return _nan_to_inf(abs(float(x.f))) if is_scalar(x.f) else None


def _mx_sum(a: Num, b: Num):
    """Both operands' known bounds (for a ± b and a · b), or None."""
    ma, mb = _mx_known(a), _mx_known(b)
    return None if ma is None or mb is None else (ma, mb)


def _mx_max(a: Num, b: Num):
    """The bound of a value each of whose rows is a's or b's: None unless both are known."""
    known = _mx_sum(a, b)
    return None if known is None else max(known)


# ---- arithmetic (decides nothing except division by zero). Each result carries a bound on
# its max |f| from its operands' (mx) where they know theirs: the error bounds of the next
# decision need it, and a bound costs no pass over the column (a reduction costs two).
def add(a: Num, b: Num, minus: bool = False, precise: bool = False) -> Num:
    if _is_const(b, 0.0):  # deduct … over 0: value − 0, no pass
        return a
    f = a.f - b.f if minus else a.f + b.f
    if _int_exact(a, b) and a.maxabs() + b.maxabs() < BIG:
        return Num(f, 0.0, 0.0, 1.0, first(a.m, b.m), dp=0, mx=a.maxabs() + b.maxabs())
    e = a.e + b.e
    if not zero(a.r):
        e = e + a.r * _mag(a, precise)
    if not zero(b.r):
        e = e + b.r * _mag(b, precise)
    known = _mx_sum(a, b)
    return Num(f, e * SLACK, U, den_sum(a.d, b.d), first(a.m, b.m), dp=_dp_max(a, b),
               mx=None if known is None else (known[0] + known[1]) * SLACK)


def _is_const(b: Num, c: float) -> bool:
    """b is the exact constant c (present in every row)."""
    return is_scalar(b.f) and b.f == c and b.exact() and zero(b.m)


def _is_one(b: Num) -> bool:
    return _is_const(b, 1.0)


def mul(a: Num, b: Num, precise: bool = False) -> Num:
    if _is_one(b):
        return a
    if _is_one(a):
        return b
    f = a.f * b.f
    m = first(a.m, b.m)
    d = a.d * b.d
    dp = None if a.dp is None or b.dp is None else a.dp + b.dp
    if _int_exact(a, b) and a.maxabs() * b.maxabs() < BIG:
        return Num(f, 0.0, 0.0, 1.0, m, dp=0, mx=a.maxabs() * b.maxabs())
    known = _mx_sum(a, b)
    mx = None if known is None else known[0] * known[1] * SLACK
    r = (a.r + b.r + a.r * b.r) * (1 + U) + U
    e = 0.0
    if not zero(b.e):
        e = e + _mag(a, precise) * b.e * (1 + a.r)
    if not zero(a.e):
        e = e + _mag(b, precise) * a.e * (1 + b.r)
        if not zero(b.e):
            e = e + a.e * b.e
    return Num(f, e * SLACK if not zero(e) else 0.0, r * SLACK, d, m, dp=dp, mx=mx)


def div(a: Num, b: Num, isz, reason_id: int, precise: bool = False) -> Num:
    """a / b, where `isz` (decided by the caller: is_zero_fast / is_zero_precise) says b is
    exactly zero: there the result is missing with `reason_id`."""
    if _is_one(b):  # ratio(target: 100%) divides by 1: no pass, no rounding
        return a
    f = np.divide(a.f, b.f)
    zrows = None  # rows dividing by zero (isz an array): few, so set by index
    if not is_scalar(isz):
        zrows = np.flatnonzero(isz)
        if zrows.size:
            f[zrows] = 0.0  # keep garbage finite (f is a fresh array here)
        isz = False
    elif isz:
        f = np.where(isz, 0.0, f)
    if zero(a.e) and zero(b.e):
        r = ((a.r + b.r) / (1 - b.r)) * (1 + U) + U
        r = np.where(b.r < 0.5, r, INF) if not is_scalar(r) else (r if b.r < 0.5 else INF)
        e = 0.0
    else:
        # |a/b − fa/fb| ≤ (ea + |q|·eb)/((1 − rb)|fb| − eb) + |q|·(ra + rb)/(1 − rb − eb/|fb|)
        low_b = np.abs(b.f) if precise else _min_nonzero(b)
        mq = np.abs(f) if precise else _maxabs_of(f)
        low = (1 - b.r) * low_b - b.e
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.divide(a.e + mq * b.e, low)
            r = np.divide(a.r + b.r, 1 - b.r - np.divide(b.e, low_b)) * (1 + U) + U
        if precise:
            e = np.where(low > 0, e, INF)
            r = np.where(np.isfinite(r) & (r >= 0), r, INF)
        else:
            e = e if low > 0 else INF
            r = r if (r == r and r >= 0) else INF
    mb = np.abs(b.f) if precise else b.maxabs()
    d = np.maximum(a.d * b.d * (mb * (1 + b.r) + _bound(b, precise)), 1.0)
    m = first(a.m, b.m)
    if isz:
        m = first(m, reason_id)
    elif zrows is not None and zrows.size:
        if not is_scalar(m):
            if m is a.m or m is b.m:  # else first() made it: ours to patch
                m = m.copy()
            m[zrows[m[zrows] == 0]] = reason_id
        elif m == 0:
            m = np.zeros(f.shape, dtype=np.int32)
            m[zrows] = reason_id
    return Num(f, e, r, d, m, mx=_div_mx(a, b))


def _div_mx(a: Num, b: Num):
    """A bound on max |fl(a / b)| (rows dividing by zero hold 0): by a constant, or by exact
    integers (|b| ≥ 1 where b ≠ 0, so |a / b| ≤ |a|); None otherwise."""
    ma = _mx_known(a)
    if ma is None:
        return None
    if is_scalar(b.f):
        return ma / abs(float(b.f)) * SLACK if b.f != 0 else 0.0
    if b.exact() and is_scalar(b.d) and b.d == 1:
        return ma
    return None


def _maxabs_of(f) -> float:
    """max |f| (infinity when f holds a NaN); two reductions, no temporary array."""
    if is_scalar(f):
        return _nan_to_inf(abs(float(f)))
    if not f.size:
        return 0.0
    return _nan_to_inf(max(float(f.max()), -float(f.min())))


def _min_nonzero(b: Num) -> float:
    f = b.f
    if is_scalar(f):
        return abs(f) if f != 0 else INF
    a = np.abs(f)
    a = a[a != 0]
    return float(a.min()) if a.size else INF


def neg(a: Num) -> Num:
    return Num(-a.f, a.e, a.r, a.d, a.m, dp=a.dp, mx=_mx_known(a))


def absolute(a: Num) -> Num:
    return Num(np.abs(a.f), a.e, a.r, a.d, a.m, dp=a.dp, mx=_mx_known(a))


def minmax(a: Num, b: Num, is_max: bool, precise: bool = False) -> Num:
    """min or max. The result is one of the arguments, or — where they are closer than their
    errors — within the larger error of both (min and max are 1-Lipschitz in the max norm)."""
    f = np.maximum(a.f, b.f) if is_max else np.minimum(a.f, b.f)
    m = first(a.m, b.m)
    mx = _mx_max(a, b)  # each row's f is a's or b's
    if a.exact() and b.exact():
        d = a.d if (is_scalar(a.d) and is_scalar(b.d) and a.d == b.d) else np.maximum(a.d, b.d)
        if precise and not (is_scalar(a.d) and is_scalar(b.d)):
            pick_a = (a.f >= b.f) if is_max else (a.f <= b.f)
            d = np.where(pick_a, a.d, b.d)
        return Num(f, 0.0, 0.0, d, m, dp=_dp_max(a, b), mx=mx)
    if precise:
        ea, eb = _bound(a, True), _bound(b, True)
        pick_a = (a.f >= b.f) if is_max else (a.f <= b.f)
        clear = np.abs(a.f - b.f) > ea + eb
        e = np.where(clear, np.where(pick_a, ea, eb), np.maximum(ea, eb))
        d = np.where(clear, np.where(pick_a, a.d, b.d), np.maximum(a.d, b.d))
        return Num(f, e, 0.0, d, m, dp=_dp_max(a, b), mx=mx)
    rmax = max(a.r, b.r)
    grow = 1 + 4 * rmax
    e = max(_smax(a.e), _smax(b.e)) * grow
    return Num(f, e, rmax * grow, max(_smax(a.d), _smax(b.d)), m, dp=_dp_max(a, b), mx=mx)


def pick(mask, x, y):
    """np.where(mask, x, y) for a bool array mask, merged by index: np.where branches per
    element and is several times slower on the mixed masks of band and case choices."""
    xs, ys = is_scalar(x), is_scalar(y)
    if xs and ys and x == y:
        return x
    if not ((xs or (type(x) is np.ndarray and x.shape == mask.shape))
            and (ys or (type(y) is np.ndarray and y.shape == mask.shape))):
        return np.where(mask, x, y)
    dtype = np.result_type(x, y)
    k = np.count_nonzero(mask)
    if k == 0 and not ys and y.dtype == dtype:
        return y
    if k == mask.size and not xs and x.dtype == dtype:
        return x
    if 2 * k <= mask.size:
        base, patch, idx = y, x, np.flatnonzero(mask)
    else:
        base, patch, idx = x, y, np.flatnonzero(~mask)
    out = np.full(mask.shape, base, dtype) if is_scalar(base) else base.astype(dtype)
    out[idx] = patch if is_scalar(patch) else patch[idx]
    return out


def select(mask, a: Num, b: Num, precise: bool = False) -> Num:
    """Row-wise a where mask else b (mask: bool array or scalar)."""
    if is_scalar(mask):
        return a if mask else b

    def w(x, y):
        return pick(mask, x, y)

    if precise:
        return Num(w(a.f, b.f), w(_bound(a, True), _bound(b, True)), 0.0, w(a.d, b.d), w(a.m, b.m),
                   dp=_dp_max(a, b), mx=_mx_max(a, b))
    return Num(w(a.f, b.f), max(_smax(a.e), _smax(b.e)), max(a.r, b.r), max(_smax(a.d), _smax(b.d)),
               w(a.m, b.m), dp=_dp_max(a, b), mx=_mx_max(a, b))


# ---- decisions, fast tier: (answer, suspect row indices or None)
def _suspects(mask, m):
    """Indices of the rows in `mask` that are present (m == 0), or None."""
    if is_scalar(mask):
        if not mask or not (is_scalar(m) and m == 0):
            return None
        raise ValueError("scalar suspect")  # pragma: no cover - callers pass arrays
    idx = np.flatnonzero(mask)
    if idx.size and not is_scalar(m):
        idx = idx[m[idx] == 0]
    elif idx.size and m != 0:
        return None
    return idx if idx.size else None


def _sign_exact(b: Num) -> bool:
    """With a purely relative error bound (|f − x| ≤ r·|f|, r < 1) f and x have the same sign,
    and f is 0 exactly when x is."""
    return zero(b.e) and (is_scalar(b.r) and b.r < 1)


def is_zero_fast(b: Num):
    if b._zero is None:
        b._zero = _is_zero_fast(b)
    return b._zero


def _is_zero_fast(b: Num):
    if b.exact() or _sign_exact(b):
        z = b.f == 0
        return (False if not is_scalar(z) and not z.any() else z), None  # scalar: div patches nothing
    E = _bound(b, False)
    ab = np.abs(b.f)
    if is_scalar(ab):
        return (ab == 0) and E == 0, (None if ab > E else "scalar")
    return ab == 0, _suspects(ab <= E, b.m)


def compare_fast(op: str, a: Num, b: Num):
    """The comparison (garbage where missing) and the rows too close to call. Rows closer than
    the chunk's denominator bound allows for unequal values are certainly equal (ties)."""
    if a.exact() and b.exact():
        return _cmp_op(op, a.f, b.f), None
    if (b.exact() and is_scalar(b.f) and b.f == 0 and _sign_exact(a)) or (a.exact() and is_scalar(a.f) and a.f == 0 and _sign_exact(b)):
        return _cmp_op(op, a.f, b.f), None  # against 0, the sign of a relative-error float is exact
    diff = a.f - b.f
    E = (_bound(a, False) + _bound(b, False)) * SLACK + U * (a.maxabs() + b.maxabs())
    if is_scalar(diff):
        return _cmp_op(op, diff, 0.0), (None if abs(diff) > E else "scalar")
    out = _cmp_op(op, diff, 0.0)
    dist = np.abs(diff, out=diff)  # diff is ours: only its size matters from here
    close = np.flatnonzero(np.less_equal(dist, E, out=scratch(dist.size, np.bool_)))
    if close.size == 0:
        return out, None
    gap = 1.0 / _smax(den_sum(a.d, b.d))
    tie = dist[close] + E < gap
    if tie.any():  # exactly equal: decide as equal
        out = np.array(out)
        out[close[tie]] = op in (">=", "<=", "==")
    rest = close[~tie]
    m = first(a.m, b.m)
    if rest.size and not is_scalar(m):
        rest = rest[m[rest] == 0]
    elif rest.size and m != 0:
        rest = rest[:0]
    return out, (rest if rest.size else None)


def round_fast(a: Num, places: int, mode: str = "half_up"):
    """Rounding to `places` decimals: rint of the float (right for every row that is not a tie),
    exact ties certified by the chunk's denominator bound, and the rows left too close to call."""
    s = 10.0**places
    if s == 1.0 or is_scalar(a.f):
        y = a.f * s if s != 1.0 else a.f
    else:  # read once more below, then dropped: a scratch array
        y = np.multiply(a.f, s, out=scratch(a.f.size, np.float64))
    q = np.rint(y)
    E = (_bound(a, False, s) * s + U * a.maxabs(s) * s) * SLACK
    if a.maxabs(s) * s >= BIG:
        return q, _suspects(np.ones(np.shape(y), dtype=bool), a.m) if not is_scalar(y) else "scalar"
    if a.dp is not None and a.dp <= places and E < 0.25:
        return q, None  # already on the grid (points of a band, a decimal input): rint is exact
    if is_scalar(y):
        return q, (None if abs(abs(y - q) - 0.5) > E else "scalar")
    # |y − q| in a scratch array (y's own when y is one): a fresh array costs its page faults
    dist = np.subtract(y, q, out=y if y is not a.f else scratch(y.size, np.float64))
    np.abs(dist, out=dist)
    close = np.flatnonzero(np.greater_equal(dist, 0.5 - E, out=scratch(dist.size, np.bool_)))
    if close.size == 0:
        return q, None
    yc = a.f[close] * s if s != 1.0 else a.f[close]  # y again, for the few close rows
    tie = np.abs(np.abs(yc - np.trunc(yc)) - 0.5) + E < 0.5 / _smax(a.d)
    if tie.any():
        t = close[tie]
        yt = yc[tie]
        w = np.floor(np.abs(yt))
        up = np.ones(t.size, dtype=bool) if mode == "half_up" else (np.fmod(w, 2.0) == 1.0)
        q[t] = np.copysign(w + up, yt)
    rest = close[~tie]
    if rest.size and not is_scalar(a.m):
        rest = rest[a.m[rest] == 0]
    elif rest.size and a.m != 0:
        rest = rest[:0]
    return q, (rest if rest.size else None)


def trunc_fast(a: Num, places: int):
    """Truncation (and floor/ceil with places 0): the rows near an integer are suspects."""
    s = 10.0**places
    y = a.f * s if s != 1.0 else a.f  # floor and ceil: no scaling pass
    E = (_bound(a, False, s) * s + U * a.maxabs(s) * s) * SLACK
    if a.maxabs(s) * s >= BIG:
        return y, _suspects(np.ones(np.shape(y), dtype=bool), a.m) if not is_scalar(y) else "scalar"
    if is_scalar(y):
        return y, (None if abs(y - np.rint(y)) > E else "scalar")
    near = np.rint(y)  # |y − rint(y)| in one buffer
    np.subtract(y, near, out=near)
    np.abs(near, out=near)
    return y, _suspects(near <= E, a.m)


# ---- decisions, precise tier: (answer, residual mask or None)
def _present(m):
    return True if is_scalar(m) and m == 0 else (m == 0)


def _residual(bad, m):
    if is_scalar(bad) and not bad:
        return None
    r = bad & _present(m)
    if is_scalar(r):
        return None if not r else r
    return r if r.any() else None


def is_zero_precise(b: Num):
    """(b == 0 exactly, residual rows)."""
    if b.exact() or _sign_exact(b):
        return b.f == 0, None
    E = _bound(b, True)
    ab = np.abs(b.f)
    certain = ab > E
    tie = np.logical_and(~np.asarray(certain), ab + E < 1.0 / b.d)
    bad = ~(np.asarray(certain) | tie)
    return tie, _residual(bad, b.m)


def compare(op: str, a: Num, b: Num):
    """The comparison, precisely: (bool array, residual rows)."""
    if a.exact() and b.exact():
        return _cmp_op(op, a.f, b.f), None
    diff = a.f - b.f
    ad = np.abs(diff)
    E = (_bound(a, True) + _bound(b, True) + U * ad) * SLACK
    certain = np.asarray(ad > E)
    tie = ~certain & np.asarray(ad + E < 1.0 / den_sum(a.d, b.d))
    resid = _residual(~(certain | tie), first(a.m, b.m))
    if op == "==":
        out = tie
    elif op == "!=":
        out = ~tie
    elif op == ">=":
        out = tie | (diff > 0)
    elif op == ">":
        out = certain & (diff > 0)
    elif op == "<=":
        out = tie | (diff < 0)
    else:
        out = certain & (diff < 0)
    return out, resid


def _cmp_op(op, x, y):
    if op == ">=":
        return x >= y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    if op == "<":
        return x < y
    if op == "==":
        return x == y
    return x != y


def round_q(a: Num, places: int, mode: str = "half_up"):
    """Round to `places` decimals exactly as runtime.numbers.round_fraction does.

    Returns (q, residual): q is float64 holding the integer value·10^places."""
    s = 10.0**places
    y = a.f * s
    ay = np.abs(y)
    ey = (_bound(a, True) * s + U * ay) * SLACK
    w = np.floor(ay)
    fr = ay - w
    if mode == "truncate":
        t0 = np.minimum(fr, 1.0 - fr)
        certain = t0 > ey
        tie = ~certain & (t0 + ey < 1.0 / a.d)
        qm = np.where(certain | (fr < 0.5), w, w + 1.0)
    else:
        t = fr - 0.5
        at = np.abs(t)
        certain = at > ey
        tie = ~certain & (at + ey < 0.5 / a.d)
        if mode == "half_up":
            up = ~certain | (t > 0)
        else:
            up = np.where(certain, t > 0, np.fmod(w, 2.0) == 1.0)
        qm = w + up
    bad = ~(certain | tie) | (ay >= BIG)
    return np.copysign(qm, y), _residual(bad, a.m)


def floor_ceil(a: Num, ceil: bool):
    """floor or ceil, precisely: (Num of the exact integer, residual)."""
    w = np.floor(a.f)
    fr = a.f - w
    E = _bound(a, True)
    t0 = np.minimum(fr, 1.0 - fr)
    certain = t0 > E
    tie = ~certain & (t0 + E < 1.0 / a.d)
    near = np.rint(a.f)
    if ceil:
        val = np.where(certain, w + (fr > 0), near)
    else:
        val = np.where(certain, w, near)
    bad = ~(certain | tie) | (np.abs(a.f) >= BIG)
    return Num(val, 0.0, 0.0, 1.0, a.m, dp=0), _residual(bad, a.m)


def from_q(q, places: int, m=0) -> Num:
    """The exact decimal q / 10^places as a Num."""
    f = q / 10.0**places
    return Num(f, 0.0, U if places else 0.0, 10.0**places, m, dp=places)


# ---- numbers shown as text
def snap_q(a: Num, places: int):
    """For a value whose denominator is a power of ten no greater than 10^places (decimal
    inputs, rounded scores): its exact integer value × 10^places, read off the float.
    Returns (q as int64 — or Python ints where that overflows —, rows where snapping is not
    certain), or None when the value is not known to be such a decimal."""
    if a.dp is None or a.dp > places:
        return None
    k = a.dp
    d = 10.0**k
    y = a.f * d
    n = np.rint(y)
    if _bound(a, False, d) * d < 0.25 and a.maxabs(d) * d < BIG:
        return _scale_int(n, 10 ** (places - k)), None
    ok = (_bound(a, True) * d < 0.25) & (np.abs(y) < BIG)
    return _scale_int(np.where(ok, n, 0.0), 10 ** (places - k)), ~ok


def _power_of_ten(d: float) -> bool:
    if d < 1 or d > 1e22:
        return False
    k = round(math.log10(d))
    return 10.0**k == d


_I64_SAFE = 2**62


def _scale_int(n, factor: int):
    """n (float64 holding integers) × factor as int64, or as Python ints when that overflows."""
    n = np.asarray(n)
    ni = n.astype(np.int64)
    if factor == 1:
        return ni
    if n.size == 0 or float(np.max(np.abs(n))) * factor < _I64_SAFE:
        return ni * factor
    if ni.ndim == 0:  # a constant (max_of, a literal output)
        return np.array(int(ni) * factor, dtype=object)
    return np.array([int(v) * factor for v in ni], dtype=object)
