"""Evaluating a data file: read records, match columns to inputs, score, flatten for output.

Nothing is lost: every record read becomes one output row, a result or an error row.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

from .api import Ruleset
from .io import ReaderError, load_mapping, open_records
from .models import EvaluationResult
from .report import LEVELS_ZH as _LEVEL_ZH

from .batch import DataProblem, date_key, input_specs, plan_problem as _plan_problem, record_id_of, resolve  # noqa: F401 - re-exported
from .flat import HEADERS, column_names as _column_names, flat_columns, flatten, sv

__all__ = ["DataProblem", "Summary", "evaluate_file", "flat_columns", "flatten", "input_specs", "HEADERS",
           "_column_names", "_plan_problem"]


_LEVEL_ORDER = {"severe": 0, "warning": 1, "info": 2}
# The flat alert column writes a level as its label ([预警] in Chinese): read it back as the level
# key, so the summary counts (and --summary-json) say severe/warning/info whatever the path or language.
_LEVEL_OF_LABEL = {**{label: level for level, label in _LEVEL_ZH.items()}, **{k: k for k in _LEVEL_ORDER}}


@dataclass
class Summary:
    records: int = 0
    results: int = 0
    errors: int = 0
    grades: Counter = field(default_factory=Counter)
    alerts: Counter = field(default_factory=Counter)
    skipped: int = 0  # rows of the file with no value at all: not records (blank lines, empty sheet rows)
    # the grade names in the order the rule files declare them (优, 良, 中, 差), for `text`
    order: list = field(default_factory=list)
    # the evaluation date (--as-of, ISO), and the alerts that read it and so were not judged
    # without one: in --summary-json, where "alerts": {} would otherwise read as "none fired"
    as_of: str | None = None
    alerts_not_judged: list = field(default_factory=list)
    own_dates: bool = False  # the data gave each record its own evaluation date (no --as-of)

    def dates_from(self, columns, as_of) -> None:
        """Note whether the data gives each record its own evaluation date (no --as-of given)."""
        if as_of is None and date_key(columns) is not None:
            self.own_dates = True

    def grades_in_order(self, rulesets) -> "Summary":
        """Show grades in the order `grade by total` lists them (优 1，良 2，中 1), not by code point."""
        for rs in rulesets:
            for g in rs.program.grades:
                if g.target == "total":
                    self.order.extend(b.name for b in g.bands if b.name not in self.order)
        return self

    def add_batch(self, batch, lang: str) -> None:
        """Count a batch of flat results (see perfrules.flat)."""
        import pyarrow.compute as pc

        h = HEADERS[lang]
        n = batch.num_rows
        if not n:
            return
        ok = pc.equal(batch.column(h["status"]), sv(h["ok"])).fill_null(False)
        good = int(pc.sum(ok).as_py() or 0)
        self.records += n
        self.results += good
        self.errors += n - good
        grades = pc.fill_null(batch.column(h["grade"]).filter(ok), sv("—"))
        for item in pc.value_counts(grades).to_pylist():
            self.grades[item["values"]] += item["counts"]
        alerts = pc.list_flatten(batch.column(h["alerts"]))
        if len(alerts):
            levels = pc.extract_regex(alerts, r"^\[(?P<level>[^\]]*)\]").field("level")
            for item in pc.value_counts(levels).to_pylist():
                self.alerts[_LEVEL_OF_LABEL.get(item["values"], item["values"])] += item["counts"]

    def watch(self, batches, lang: str):
        """Pass flat result batches through, counting them."""
        for b in batches:
            self.add_batch(b, lang)
            yield b

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
                "grades": dict(self.grades),
                "alerts": {k: self.alerts[k] for k in sorted(self.alerts, key=lambda k: (_LEVEL_ORDER.get(k, 9), k))}, "skipped_empty_rows": self.skipped,
                "as_of": self.as_of, "alerts_not_judged": list(self.alerts_not_judged)}

    def text(self, lang: str) -> str:
        zh = lang == "zh"
        ungraded = "未定级" if zh else "no grade"
        rank = {name: i for i, name in enumerate(self.order)}
        grades = "，".join(f"{ungraded if k == '—' else k} {v}" for k, v in sorted(
            self.grades.items(), key=lambda kv: (kv[0] == "—", rank.get(kv[0], len(rank)), kv[0]))) or "—"
        levels = sorted(self.alerts, key=lambda k: (_LEVEL_ORDER.get(k, 9), k))
        alerts = "，".join(f"{_LEVEL_ZH.get(k, k) if zh else k} {self.alerts[k]}" for k in levels) or "0"
        if zh:
            skipped = f"（另有 {self.skipped} 个空行，不是记录）" if self.skipped else ""
            return (f"共 {self.records} 条记录{skipped}：评分 {self.results} 条，错误 {self.errors} 条；"
                    f"等级分布：{grades}；预警信息：{alerts}")
        grades = grades.replace("，", ", ")
        alerts = alerts.replace("，", ", ")
        skipped = f" ({self.skipped} empty rows skipped)" if self.skipped else ""
        return (f"{self.records} records{skipped}: {self.results} scored, {self.errors} errors; grades: {grades}; "
                f"alerts: {alerts}")


def evaluate_file(ruleset: Ruleset, path: str, *, fmt=None, encoding=None, sheet=None, mapping_path=None,
                  id_column: str | None = None, as_of: date | None = None, backend: str = "row",
                  summary: "Summary | None" = None) -> Iterator[EvaluationResult]:
    """Yield one result per record of the file. Raises DataProblem before any work if the file
    cannot be read or required columns are missing (all of them are named at once). `summary`
    is told the rows skipped as empty once the file is read (as the streaming runner tells it)."""
    try:
        source = open_records(path, fmt=fmt, encoding=encoding, sheet=sheet)
    except ReaderError as err:
        raise DataProblem("PR804", err.message_zh, err.message_en) from None
    mapping = load_mapping(mapping_path) if mapping_path else None
    by_input = resolve(ruleset, source.columns, mapping, id_column, source=source)
    return _results(ruleset, source, by_input, id_column, as_of, backend, summary)


def _results(ruleset, source, by_input, id_column, as_of, backend, summary=None):
    from .models import RecordError

    own_date = date_key(source.columns) if as_of is None else None  # (as evaluate_one reads it)
    if summary is not None:
        summary.dates_from(source.columns, as_of)
    with source:
        records, pop = source, None
        if ruleset.has_population:
            # population functions (rank, max_of, …) range over the whole file: read it all first
            records = list(source)
            pop = _population_stats(ruleset, records, by_input, as_of, backend, own_date)
        for rec in records:
            rid = record_id_of(rec, id_column)
            if rec.values is None:
                yield EvaluationResult(record_id=rid, row=rec.row, ok=False, ruleset=ruleset.info,
                                       error=RecordError(code="PR804", message=rec.error or "", message_en=rec.error_en or ""))
                continue
            values = {name: rec.values.get(col) for name, col in by_input.items()}
            if own_date is not None:
                values.setdefault(own_date, rec.values.get(own_date))
            yield ruleset.evaluate_one(values, as_of=as_of, record_id=rid, row=rec.row, backend=backend, pop=pop)
        if summary is not None:
            summary.skipped += source.skipped


def _population_stats(ruleset, records, by_input, as_of, backend, own_date=None):
    """Phase 1 of population functions over every record of the file that can be scored."""
    from .runtime.convert import convert_record

    from .api import _record_date
    from .runtime.population import collect, merge_all

    values = []
    for rec in records:
        if rec.values is None:
            continue
        env, errors = convert_record(ruleset.inputs, {name: rec.values.get(col) for name, col in by_input.items()})
        day = as_of
        if own_date is not None:  # each record's own date, as the record is then scored
            day, bad = _record_date(rec.values, rec.values.get(own_date))
            errors = errors or ([bad] if bad is not None else [])
        if not errors:
            values.append(ruleset.population_values(env, as_of=day, backend=backend))
    return merge_all([collect(values, len(ruleset.program.populations))])
