"""Numbers shown as text by the columnar backend: each is a rounding point, certified like any
other decision, so residual rows are known before any result is built.

`certify` rounds every number a result will show (values and outputs at 10 places as
`format_plain(v, 10)`, scores and the total at the ruleset's places, clamped raw points at 4,
alert message parts as their format says) and stores the integers in the ChunkResult.
`qtext` and friends turn those integers into the runtime's exact texts.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from ..runtime.missing import Missing
from . import colnum as cn
from .colnum import Num

VALUE_PLACES = 10  # format_plain's default: values and outputs are shown to 10 places


def qtext(q: int, places: int) -> str:
    """to_decimal's text for the integer q = value × 10^places (runtime.numbers.format_fixed)."""
    if places <= 0:
        return str(q)
    s = str(abs(q)).rjust(places + 1, "0")
    return ("-" if q < 0 else "") + s[:-places] + "." + s[-places:]


def plain_text(q: int, places: int) -> str:
    """format_plain's text: fixed places with trailing zeros (and a bare point) removed."""
    t = qtext(q, places)
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return "0" if t in ("-0", "") else t


def amount_text(q: int) -> str:
    """format_value(v, 'amount'): two places with thousands separators."""
    text = qtext(q, 2)
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{frac}"


def part_places(fmt: str, kind: str) -> tuple[int, str]:
    """(decimal places to round the value to, how to print) for a message part {expr:fmt}."""
    if fmt.startswith("pct"):
        places = int(fmt[3:]) if fmt[3:].isdigit() else 2
        return places + 2, "pct"
    if fmt.isdigit():
        return int(fmt), "fixed"
    if fmt == "amount":
        return 2, "amount"
    if kind == "percent":
        return 4, "pct"
    return 4, "plain"


def render_number(q: int, places: int, how: str) -> str:
    if how == "pct":
        return qtext(q, places - 2) + "%"
    if how == "fixed":
        return qtext(q, places)
    if how == "amount":
        return amount_text(q)
    return plain_text(q, places)


def certify(ev, run, res, columns: str = "all") -> None:
    """Round every number the results will show (flat.COLUMN_SETS: values only for 'all',
    scores and the clamp flags' figures not for 'total'); store the integers on res (…_q)."""
    s = ev.s
    n = run.n
    if columns == "all":
        for leaf, val in res.values.items():
            if isinstance(val, Num):
                res.value_q[leaf] = _full(run.decimal(val, ev.p.indicators[leaf].value, VALUE_PLACES), n)
    for ind, score in res.scores.items():
        if ind not in res.score_q and columns != "total":
            res.score_q[ind] = _full(run.decimal(score, None, s.places, s.rounding), n)
    for leaf, (low, high) in res.clamped.items():
        if columns != "total" and ((low | high) & ~res.missing[leaf]).any():
            res.clamp_q[leaf] = _full(run.decimal(res.raw[leaf], ev.raw_expr[leaf], 4), n)
    for out in ev.p.outputs:
        val = res.outputs[out.name]
        if isinstance(val, Num):
            res.output_q[out.name] = _full(run.decimal(val, out.expr, VALUE_PLACES), n)
    for a, (alert, fired) in enumerate(zip(ev.p.alerts, res.alerts)):
        qs = []
        for part, val in zip(alert.message, res.alert_parts[a]):
            if part.expr is not None and isinstance(val, Num) and fired.any():
                places, how = part_places(part.fmt, part.expr.type.kind)
                qs.append((_full(run.decimal(val, part.expr, places), n), places, how))
            else:
                qs.append(None)
        res.alert_q.append(qs)


def _full(q, n):
    return np.broadcast_to(q, (n,))


def show_values(ev, value, idx: np.ndarray, reasons, run) -> list[str]:
    """backends.common.show for the rows idx (numbers to 4 places, else str())."""
    from .colvalues import Bool, Date, Text, take

    out = []
    v = take(value, idx)
    m = np.broadcast_to(v.m, (len(idx),))
    q = None
    if isinstance(v, Num):
        q, resid = cn.round_q(v, 4)
        if resid is not None:
            full = np.zeros(run.n, dtype=bool)
            full[idx[np.broadcast_to(resid, (len(idx),))]] = True
            run.note(full)
        q = np.broadcast_to(q, (len(idx),))
    for j in range(len(idx)):
        if m[j] != 0:
            out.append(str(reasons.items[m[j]]))
        elif isinstance(v, Num):
            out.append(plain_text(int(q[j]), 4))
        elif isinstance(v, Text):
            out.append(v.cats[int(np.broadcast_to(v.c, (len(idx),))[j])])
        elif isinstance(v, Bool):
            out.append("是" if np.broadcast_to(v.v, (len(idx),))[j] else "否")
        elif isinstance(v, Date):
            out.append(date.fromordinal(int(np.broadcast_to(v.v, (len(idx),))[j])).isoformat())
        else:  # pragma: no cover
            out.append("?")
    return out
