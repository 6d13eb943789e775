"""Evaluating a data file: read records, match columns to inputs, score, flatten for output.

Nothing is lost: every record read becomes one output row, a result or an error row.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

from .api import Ruleset
from .io import InputSpec, ReaderError, load_mapping, open_records, resolve_columns
from .models import EvaluationResult

HEADERS = {
    "zh": {"id": "记录", "row": "行号", "status": "状态", "error": "错误", "total": "总分", "grade": "等级",
           "value": "值", "alerts": "预警", "flags": "说明", "ok": "正常", "failed": "错误"},
    "en": {"id": "id", "row": "row", "status": "status", "error": "error", "total": "total", "grade": "grade",
           "value": "value", "alerts": "alerts", "flags": "flags", "ok": "ok", "failed": "error"},
}


class DataProblem(Exception):
    """The data file cannot be evaluated at all (unreadable, or required columns missing)."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class Summary:
    records: int = 0
    results: int = 0
    errors: int = 0
    grades: Counter = field(default_factory=Counter)
    alerts: Counter = field(default_factory=Counter)

    def add(self, r: EvaluationResult) -> None:
        self.records += 1
        if r.ok:
            self.results += 1
            self.grades[r.grade or "—"] += 1
        else:
            self.errors += 1
        for a in r.alerts:
            self.alerts[a.level] += 1

    def to_dict(self) -> dict:
        return {"records": self.records, "results": self.results, "errors": self.errors,
                "grades": dict(self.grades), "alerts": dict(self.alerts)}

    def text(self, lang: str) -> str:
        grades = "，".join(f"{k} {v}" for k, v in sorted(self.grades.items())) or "—"
        alerts = "，".join(f"{k} {v}" for k, v in sorted(self.alerts.items())) or "0"
        if lang == "zh":
            return f"共 {self.records} 条记录：评分 {self.results} 条，错误 {self.errors} 条；等级分布：{grades}；预警：{alerts}"
        grades = grades.replace("，", ", ")
        alerts = alerts.replace("，", ", ")
        return f"{self.records} records: {self.results} scored, {self.errors} errors; grades: {grades}; alerts: {alerts}"


def input_specs(ruleset: Ruleset) -> list[InputSpec]:
    return [InputSpec(s.name, tuple(s.aliases), required=not s.has_default) for s in ruleset.inputs]


def evaluate_file(ruleset: Ruleset, path: str, *, fmt=None, encoding=None, sheet=None, mapping_path=None,
                  id_column: str | None = None, as_of: date | None = None, backend: str = "row") -> Iterator[EvaluationResult]:
    """Yield one result per record of the file. Raises DataProblem before any work if the file
    cannot be read or required columns are missing (all of them are named at once)."""
    try:
        source = open_records(path, fmt=fmt, encoding=encoding, sheet=sheet)
    except ReaderError as err:
        raise DataProblem("PR804", err.message_zh, err.message_en) from None
    mapping = load_mapping(mapping_path) if mapping_path else None
    plan = resolve_columns(source.columns, input_specs(ruleset), mapping)
    if not plan.ok:
        raise DataProblem("PR802", *_plan_problem(plan))
    if id_column is not None and id_column not in source.columns:
        raise DataProblem("PR802", f"找不到记录标识列 {id_column}（--id）", f"no id column {id_column} (--id)")
    by_input = plan.by_input
    return _results(ruleset, source, by_input, id_column, as_of, backend)


def _results(ruleset, source, by_input, id_column, as_of, backend):
    from .models import RecordError

    with source:
        records, pop = source, None
        if ruleset.has_population:
            # population functions (rank, max_of, …) range over the whole file: read it all first
            records = list(source)
            pop = _population_stats(ruleset, records, by_input, as_of, backend)
        for rec in records:
            rid = None
            if rec.values is not None and id_column is not None:
                v = rec.values.get(id_column)
                rid = None if v is None else str(v)
            if rec.values is None:
                yield EvaluationResult(record_id=rid, row=rec.row, ok=False, ruleset=ruleset.info,
                                       error=RecordError(code="PR804", message=rec.error or "", message_en=rec.error_en or ""))
                continue
            values = {name: rec.values.get(col) for name, col in by_input.items()}
            yield ruleset.evaluate_one(values, as_of=as_of, record_id=rid, row=rec.row, backend=backend, pop=pop)


def _population_stats(ruleset, records, by_input, as_of, backend):
    """Phase 1 of population functions over every record of the file that can be scored."""
    from .runtime.convert import convert_record

    envs = []
    for rec in records:
        if rec.values is None:
            continue
        env, errors = convert_record(ruleset.inputs, {name: rec.values.get(col) for name, col in by_input.items()})
        if not errors:
            envs.append(env)
    return ruleset.population_stats(envs, as_of=as_of, backend=backend)


def _plan_problem(plan) -> tuple[str, str]:
    zh, en = [], []
    if plan.missing_required:
        zh.append("缺少必需的列：" + "、".join(plan.missing_required))
        en.append("missing required columns: " + ", ".join(plan.missing_required))
    for name, cols in plan.ambiguous:
        zh.append(f"输入项 {name} 可对应多列：{'、'.join(cols)}（用 --map 指定）")
        en.append(f"input {name} matches several columns: {', '.join(cols)} (use --map)")
    for col, names in plan.conflicts:
        zh.append(f"列 {col} 同时对应 {'、'.join(names)}（用 --map 指定）")
        en.append(f"column {col} matches {', '.join(names)} (use --map)")
    return "；".join(zh), "; ".join(en)


def flat_columns(ruleset: Ruleset, lang: str = "zh") -> list[str]:
    h = HEADERS[lang]
    cols = [h["id"], h["row"], h["status"], h["error"], h["total"], h["grade"]]
    names = _column_names(ruleset)
    for ind in ruleset.program.indicators:
        cols.append(names[ind.id])
        if ind.is_leaf and ind.value is not None:
            cols.append(f"{names[ind.id]}.{h['value']}")
    cols += [f"{g.label}.{h['grade']}" for g in ruleset.program.grades if g.target != "total"]
    cols += [o.name for o in ruleset.program.outputs]
    cols += [h["alerts"], h["flags"]]
    return cols


def _column_names(ruleset: Ruleset) -> dict[int, str]:
    """An indicator's column: its name if unique, else its path."""
    counts = Counter(i.name for i in ruleset.program.indicators)
    return {i.id: (i.name if counts[i.name] == 1 else i.dotted) for i in ruleset.program.indicators}


def flatten(ruleset: Ruleset, r: EvaluationResult, lang: str = "zh") -> dict:
    """One output row: strings for exact decimals, so nothing is lost to floats."""
    h = HEADERS[lang]
    row = {h["id"]: r.record_id, h["row"]: r.row, h["status"]: h["ok"] if r.ok else h["failed"],
           h["error"]: None if r.error is None else (r.error.message if lang == "zh" else r.error.message_en),
           h["total"]: None if r.total is None else str(r.total), h["grade"]: r.grade}
    names = _column_names(ruleset)
    by_path = {i.path: i for i in r.indicators}
    flags = []
    for ind in ruleset.program.indicators:
        res = by_path.get(ind.dotted)
        col = names[ind.id]
        row[col] = None if res is None or res.score is None else str(res.score)
        if ind.is_leaf and ind.value is not None:
            row[f"{col}.{h['value']}"] = None if res is None else res.value
        if res is not None:
            for f in res.flags:
                flags.append(f"{col}: {f.message if lang == 'zh' else f.message_en}")
    for g in ruleset.program.grades:
        if g.target != "total":
            row[f"{g.label}.{h['grade']}"] = r.group_grades.get(g.label)
    for o in ruleset.program.outputs:
        row[o.name] = r.outputs.get(o.name)
    row[h["alerts"]] = "; ".join(f"[{a.level}] {a.name}: {a.message}" for a in r.alerts) or None
    row[h["flags"]] = "; ".join(flags) or None
    return row
