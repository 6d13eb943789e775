"""Readable text reports for the terminal: an indicator table for one record, a list for many."""
from __future__ import annotations

from .models import EvaluationResult
from .source import display_width

_WORDS = {
    "zh": {"indicator": "指标", "code": "编码", "weight": "分值", "value": "值", "score": "得分", "note": "说明",
           "total": "总分", "grade": "等级", "record": "记录", "row": "行", "error": "错误", "alerts": "预警",
           "outputs": "输出", "excluded": "不适用", "rescaled": "不计入总分（总分按其余分值折算）"},
    "en": {"indicator": "indicator", "code": "code", "weight": "points", "value": "value", "score": "score",
           "note": "note", "total": "total", "grade": "grade", "record": "record", "row": "row", "error": "error",
           "alerts": "alerts", "outputs": "outputs", "excluded": "n/a",
           "rescaled": "left out of the total (rescaled over the rest)"},
}
LEVELS_ZH = {"severe": "严重", "warning": "预警", "info": "提醒"}  # alert levels as rule authors say them


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = max(0, width - display_width(text))
    return (" " * gap + text) if right else (text + " " * gap)


def table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(display_width(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(_pad(h, widths[i], i in right) for i, h in enumerate(header)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(_pad(str(c), widths[i], i in right) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)


def detail(r: EvaluationResult, lang: str = "zh", title: str = "") -> str:
    """The indicator tree of one record with value, score and why."""
    w = _WORDS[lang]
    head = title or r.ruleset.title or r.ruleset.id
    who = f"{w['record']} {r.record_id}" if r.record_id else (f"{w['row']} {r.row}" if r.row else "")
    out = [f"{head}  {who}".rstrip()]
    if not r.ok and not r.indicators:
        out.append(f"{w['error']}: {r.error.message if lang == 'zh' else r.error.message_en}")
        return "\n".join(out)
    rows = []
    for ind in r.indicators:
        name = "  " * (ind.level - 1) + ind.name
        notes = "; ".join(f.message if lang == "zh" else f.message_en for f in ind.flags)
        score = "" if ind.score is None else str(ind.score)
        if ind.excluded and ind.leaf:
            score, notes = w["excluded"], f"{w['rescaled']}: {notes}" if notes else w["rescaled"]
        rows.append([name, ind.code or "", _num(ind.weight), ind.display or "", score, notes])
    out.append(table([w["indicator"], w["code"], w["weight"], w["value"], w["score"], w["note"]], rows, {2, 3, 4}))
    out.append(f"{w['total']}: {r.total if r.total is not None else '—'}    {w['grade']}: {r.grade or '—'}")
    if r.group_grades:
        out.append("  ".join(f"{k}: {v or '—'}" for k, v in r.group_grades.items()))
    for a in r.alerts:
        level = LEVELS_ZH.get(a.level, a.level) if lang == "zh" else a.level
        out.append(f"{w['alerts']} [{level}] {a.name}: {a.message}")
    if r.outputs:
        out.append(f"{w['outputs']}: " + ", ".join(f"{k} = {'—' if v is None else v}" for k, v in r.outputs.items()))
    if r.error is not None:
        out.append(f"{w['error']}: {r.error.message if lang == 'zh' else r.error.message_en}")
    return "\n".join(out)


def listing(results: list[EvaluationResult], lang: str = "zh") -> str:
    """One line per record: id, total, grade, alerts, and the error for error rows."""
    w = _WORDS[lang]
    rows = []
    for r in results:
        who = r.record_id or (str(r.row) if r.row is not None else "")
        if r.ok:
            alerts = ", ".join(a.name for a in r.alerts)
            rows.append([who, str(r.total) if r.total is not None else "—", r.grade or "—", alerts])
        else:
            msg = r.error.message if lang == "zh" else r.error.message_en
            rows.append([who, "—", "—", f"{w['error']}: {msg}"])
    return table([w["record"], w["total"], w["grade"], w["alerts"] + " / " + w["error"]], rows, {1})


def _num(d) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
