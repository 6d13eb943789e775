"""Keyword vocabularies and 'did you mean' suggestions."""
from __future__ import annotations

import difflib

from ..diagnostics import Bi, Hint

TYPE_NAMES = {
    "number": "number", "数值": "number", "数字": "number",
    "amount": "amount", "金额": "amount",
    "count": "count", "计数": "count", "个数": "count",
    "percent": "percent", "百分比": "percent", "比率": "percent",
    "bool": "bool", "是否": "bool",
    "text": "text", "文本": "text",
    "date": "date", "日期": "date",
    "choice": "choice", "选项": "choice",
}
ROUNDING = {"half_up": "half_up", "四舍五入": "half_up", "half_even": "half_even", "五成双": "half_even",
            "truncate": "truncate", "截断": "truncate",
            # as GB/T 8170 and the documents name them (the hint offered 五成双 for 四舍六入五成双)
            "四舍六入五成双": "half_even", "四舍六入": "half_even", "截尾": "truncate", "去尾": "truncate"}
MISSING_MODES = {"zero": "zero", "零分": "zero", "exclude": "exclude", "不适用": "exclude", "error": "error", "报错": "error"}
TIME_PROGRESS = {"by_month": "by_month", "按月": "by_month", "by_day": "by_day", "按日": "by_day",
                 "by_day365": "by_day365", "quarters": "quarters", "按季": "quarters", "按天": "by_day", "按季度": "quarters",
                 "completed_months": "completed_months", "按整月": "completed_months"}
LEVELS = {"info": "info", "提醒": "info", "warning": "warning", "预警": "warning", "severe": "severe", "严重": "severe"}
COUNTING = {"continuous": "continuous", "连续": "continuous", "whole": "whole", "整数": "whole",
            "started": "started", "不足1按1": "started"}
EITHER_MODES = {"available": "available", "better": "better", "择优": "better"}


def suggestions(word: str, candidates) -> list[str]:
    """The closest candidate names (at most 3), for 'did you mean …?'."""
    candidates = list(dict.fromkeys(candidates))  # an input and an indicator may share a name
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.5)
    if not close:
        # Chinese names often differ by one character: try containment too.
        close = [c for c in candidates if len(word) >= 2 and (word in c or c in word)][:3]
    return close


def suggest(word: str, candidates) -> Hint | None:
    """'did you mean …?' for the closest candidate names, if any are close."""
    close = suggestions(word, candidates)
    if not close:
        return None
    zh = "是否想写 " + "、".join(close) + "？"
    en = "did you mean " + ", ".join(close) + "?"
    return Hint(zh, en)


# Words authors bring from other tools or from the colours of monitoring sheets, for keywords
# that do not look like them (integer → count, 黄 → warning): the hint of PR206
SYNONYMS = {
    "integer": "count", "int": "count", "整数": "count", "float": "number", "decimal": "number",
    "小数": "number", "string": "text", "str": "text", "字符串": "text", "boolean": "bool",
    "布尔": "bool", "money": "amount", "货币": "amount", "ratio": "percent", "rate": "percent",
    "green": "info", "blue": "info", "绿": "info", "绿色": "info", "蓝": "info", "蓝色": "info",
    "yellow": "warning", "orange": "warning", "黄": "warning", "黄色": "warning",
    "red": "severe", "error": "severe", "红": "severe", "红色": "severe",
    "绿灯": "info", "蓝灯": "info", "黄灯": "warning", "橙灯": "warning", "红灯": "severe",  # 监控预警的灯色
}


def suggest_word(word: str, vocab: dict) -> Hint | None:
    """'did you mean …?' for a mode or type word: a known synonym first, else the closest words."""
    meant = SYNONYMS.get(word.lower())
    if meant is not None and meant in vocab and word not in vocab:
        return Hint(f"是否想写 {meant}？", f"did you mean {meant}?")
    return suggest(word, vocab)


def choices_text(vocab: dict) -> Bi:
    """The words a setting, mode or type takes: in English the keywords, in Chinese each with
    its Chinese words (half_up（四舍五入）), which a Chinese message listed none of."""
    groups: dict = {}
    for k, v in vocab.items():
        ascii_, chinese = groups.setdefault(v, ([], []))
        (ascii_ if k.isascii() else chinese).append(k)
    en = ", ".join(w for a, _ in groups.values() for w in a[:1])
    zh = "、".join(a[0] + (f"（{'、'.join(c)}）" if c else "") for a, c in groups.values() if a)
    return Bi(zh, en)


def pick(sink, word: str, span, vocab: dict, what, default: str) -> str:
    """The canonical value of a mode word (counting, either, time progress …); an unknown word
    is reported as PR206 with the choices and a suggestion, and the default is used."""
    if word in vocab:
        return vocab[word]
    sink.error("PR206", span, suggest_word(word, vocab), what=what, word=word or "?", choices=choices_text(vocab))
    return default
