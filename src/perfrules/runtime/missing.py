"""Missing values: a value that could not be computed, carrying why."""
from __future__ import annotations

_TEXTS = {
    "input_missing": ("缺少数据：{s}", "no data for {s}"),
    "div_zero": ("{s} = 0，无法相除", "division by zero: {s} = 0"),
    "as_of_missing": ("未给出评价时点（--as-of）", "no evaluation date given (--as-of)"),
    "no_band": ("取值 {s} 不在任何一档中", "value {s} falls in no band"),
    "no_case": ("{s} 没有对应的分值", "no case for {s}"),
    "no_value": ("指标无法取值：{s}", "the indicator has no value: {s}"),
    "excluded": ("不适用，已从总分中剔除：{s}", "not applicable, excluded from the total: {s}"),
    "no_data": ("{s}", "{s}"),
    "population_empty": ("本批记录中没有可用于 {s} 的值", "no record of the batch has a value for {s}"),
    "population_pending": ("总体统计尚未计算：{s}", "population statistics not computed yet: {s}"),
}


class Missing:
    """An absent or uncomputable value. Arithmetic and comparisons on it give it back."""

    __slots__ = ("code", "subject")

    def __init__(self, code: str, subject: str = "") -> None:
        self.code = code
        self.subject = subject

    def __repr__(self) -> str:
        return f"Missing({self.code!r}, {self.subject!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Missing) and other.code == self.code and other.subject == self.subject

    def __hash__(self) -> int:
        return hash((self.code, self.subject))

    def __bool__(self) -> bool:  # a stray truth test on missing must not pass as true
        raise TypeError("truth value of a missing value")

    def text(self, lang: str = "zh") -> str:
        zh, en = _TEXTS.get(self.code, ("{s}", "{s}"))
        return (zh if lang == "zh" else en).format(s=self.subject)


def is_missing(x: object) -> bool:
    return type(x) is Missing
