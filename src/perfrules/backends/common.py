"""Result bookkeeping shared by the backends: flags for missing, excluded and clamped scores."""
from __future__ import annotations

from fractions import Fraction

from .. import ir
from ..runtime.missing import Missing
from ..runtime.numbers import format_plain
from .result import RawResult


def flag_missing(res: RawResult, ind_id: int, name: str, mode: str, reason: Missing) -> None:
    """Apply the indicator's missing policy: zero (flag), exclude (drop from total), error."""
    if mode == "exclude":
        res.excluded.add(ind_id)
        res.flags.setdefault(ind_id, []).append(("excluded", reason.text("zh"), reason.text("en")))
        return
    res.flags.setdefault(ind_id, []).append(("missing", reason.text("zh"), reason.text("en")))
    if mode == "error" and res.error is None:
        res.error = ("PR803", f"{name}：{reason.text('zh')}", f"{name}: {reason.text('en')}")


def clamp_flag(raw: Fraction, score: Fraction, side: str) -> tuple[str, str, str]:
    shown = format_plain(Fraction(raw), 4)
    kept = format_plain(score)
    if side == "low":
        return ("clamped", f"计算得分 {shown} 低于 0，按 {kept} 计", f"computed score {shown} is below 0; counted as {kept}")
    return ("clamped", f"计算得分 {shown} 超过分值，按 {kept} 计", f"computed score {shown} exceeds the weight; counted as {kept}")


def excluded_weight(program: ir.Program, excluded: set) -> Fraction:
    """Points of the excluded leaves that count toward the total (not bonus or penalty)."""
    total = Fraction(0)
    for i in excluded:
        ind = program.indicators[i]
        if not ind.is_leaf:
            continue
        root = ind
        while root.parent is not None:
            root = program.indicators[root.parent]
        if root.kind == "normal":
            total += ind.weight
    return total


def show(v) -> str:
    """A value as a missing reason quotes it (no_band, no_case): numbers to 4 places, yes/no
    as 是/否 (as alert messages show them), text and dates as they are."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Fraction):
        return format_plain(v, 4)
    return str(v)
