"""Run the `test` blocks of a compiled ruleset through the public API.

A small stand-in used by the docs and rulesets tests: each block's `given` is scored with
`Ruleset.evaluate_one` and every expectation is compared. Scores, totals and outputs must match
exactly; a `.value` expectation is compared after rounding the exact value (half up) to the
decimals written in the expectation (`96.62%` → 4 decimals of the fraction 0.9662).
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from perfrules.runtime.numbers import decimal_places, round_fraction


def _frac(x) -> Fraction | None:
    if x is None:
        return None
    if isinstance(x, Fraction):
        return x
    try:
        return Fraction(Decimal(str(x)))
    except Exception:  # noqa: BLE001 - not a number
        return None


def run_case(ruleset, case) -> list[str]:
    """The failures of one test case (empty when it passes)."""
    res = ruleset.evaluate_one(case.given, as_of=case.as_of)
    by_id = {ind.id: ind for ind in ruleset.program.indicators}
    fails = []
    alerts = {a.name for a in res.alerts}
    for kind, target, expected, _span in case.expects:
        if kind == "error":
            got = res.error.code if res.error is not None else None
            if got != target:
                fails.append(f"error: expected {target}, got {got}")
            continue
        if kind == "alert":
            if target not in alerts:
                fails.append(f"alert {target}: did not fire (fired: {sorted(alerts)})")
            continue
        if kind == "no_alert":
            if target in alerts:
                fails.append(f"no alert {target}: it fired")
            continue
        if not res.ok:
            fails.append(f"{kind} {target}: record is an error: {res.error.message}")
            continue
        if kind == "grade":
            if res.grade != expected:
                fails.append(f"grade: expected {expected}, got {res.grade}")
        elif kind == "total":
            if _frac(res.total) != _frac(expected):
                fails.append(f"total: expected {expected}, got {res.total}")
        elif kind == "output":
            got = res.outputs.get(target)
            ok = got == expected if isinstance(expected, str) else _frac(got) == _frac(expected)
            if not ok:
                fails.append(f"output {target}: expected {expected!r}, got {got!r}")
        else:
            ind = by_id[target]
            r = res.indicator(ind.dotted)
            if kind == "score":
                if _frac(r.score) != _frac(expected):
                    fails.append(f"{ind.dotted}: expected score {_show(expected)}, got {r.score}")
            else:  # value
                got = _frac(r.value)
                if isinstance(expected, Fraction):
                    places = decimal_places(expected) or 0
                    if got is None or round_fraction(got, places) != expected:
                        fails.append(f"{ind.dotted}.value: expected {_show(expected)}, got {r.value}")
                elif r.value != expected:
                    fails.append(f"{ind.dotted}.value: expected {expected!r}, got {r.value!r}")
    return fails


def run_all(ruleset) -> dict[str, list[str]]:
    """{test name: failures} for every test block of the ruleset."""
    return {case.name: run_case(ruleset, case) for case in ruleset.program.tests}


def _show(x) -> str:
    if isinstance(x, Fraction):
        from perfrules.runtime.numbers import format_plain
        return format_plain(x)
    return repr(x)
