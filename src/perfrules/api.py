"""The Python API: load → compile → evaluate. A facade over the pipeline; no logic of its own
beyond turning raw results into models."""
from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Mapping

from . import ir
from .backends.result import RawResult
from .compiler import Compilation, compile_source
from .diagnostics import Diagnostic, render_all
from .runtime.convert import FieldError, convert_record
from .runtime.missing import Missing
from .runtime.numbers import format_fixed, format_percent, format_plain, scaled_decimal, to_decimal
from .source import SourceFile


class CompileError(Exception):
    """Raised by compile()/load() when a rule file has errors; carries every diagnostic."""

    def __init__(self, compilation: Compilation, lang: str = "zh"):
        self.compilation = compilation
        self.diagnostics: list[Diagnostic] = compilation.diagnostics
        self.sources = compilation.sources
        super().__init__(render_all([d for d in self.diagnostics if d.is_error], self.sources, lang))


def compile(text: str, path: str | None = None) -> "Ruleset":  # noqa: A001 - the public name the issue gives
    """Compile rule text. Raises CompileError with all diagnostics if there are errors."""
    src = SourceFile(path or "<rules>", text)
    return _finish(compile_source(src, _file_loader))


def load(path: str | Path) -> "Ruleset":
    """Read and compile a rule file (and the files it extends or uses)."""
    return _finish(compile_source(SourceFile.read(path), _file_loader))


def check(path: str | Path) -> Compilation:
    """Compile without raising: the diagnostics, for `perfrules check` and editors."""
    return compile_source(SourceFile.read(path), _file_loader)


def _file_loader(path: str) -> SourceFile:
    return SourceFile.read(path)


def _finish(comp: Compilation) -> "Ruleset":
    if not comp.ok:
        raise CompileError(comp)
    return Ruleset(comp)


class Ruleset:
    """A compiled ruleset. Compile once, evaluate many times."""

    def __init__(self, comp: Compilation):
        self.program: ir.Program = comp.program
        self.diagnostics = comp.diagnostics  # warnings only
        self.sources = comp.sources
        from .models import RulesetInfo

        self.info = RulesetInfo(id=self.program.id, version=self.program.version,
                                content_hash=self.program.content_hash, title=self.program.title)
        self._row = None
        self._fast = None
        self._columnar = None

    def __getstate__(self) -> dict:
        # compiled evaluators hold generated code and caches: rebuilt on first use after unpickling
        state = dict(self.__dict__)
        state["_row"] = None
        state["_fast"] = None
        state["_columnar"] = None
        state.pop("_layout", None)
        state.pop("_fast_layout_cache", None)
        return state

    # ---- metadata
    @property
    def id(self) -> str:
        return self.program.id

    @property
    def version(self) -> str:
        return self.program.version

    @property
    def content_hash(self) -> str:
        return self.program.content_hash

    @property
    def inputs(self) -> list[ir.InputSpec]:
        return self.program.inputs

    @property
    def scores_use_as_of(self) -> bool:
        """Whether an indicator's value or score reads the evaluation date (as_of / 评价时点, e.g.
        through time_progress(as_of)): without a date those indicators are missing."""
        found = self.__dict__.get("_scores_use_as_of")
        if found is None:
            lets = {st.key: st.expr for st in self.program.steps if isinstance(st, ir.LetStep)}
            found = self.__dict__["_scores_use_as_of"] = ir.mentions_slot(self.program.indicators, "as_of", lets)
        return found

    # ---- evaluation
    @property
    def row_evaluator(self):
        """The compiled row evaluator (generated Python), built on first use."""
        if self._row is None:
            from .backends.rowwise import RowEvaluator
            self._row = RowEvaluator(self.program)
        return self._row

    @property
    def fast_evaluator(self):
        """The fast exact row evaluator (backends/rowfast.py: integer pairs, no Fractions), or
        None when the program uses something it does not generate; built on first use. It is
        what backend="row" runs for dict records; backend="rowfraction" forces the Fraction one."""
        fast = self.__dict__.get("_fast")
        if fast is None:
            from .backends.rowfast import FastRowEvaluator, Unsupported
            try:
                fast = FastRowEvaluator(self.program)
            except Unsupported as err:
                fast = False
                self.__dict__["_fast_unsupported"] = str(err)
            self.__dict__["_fast"] = fast
        return fast or None

    @property
    def columnar_evaluator(self):
        """The columnar evaluator, or None when the program uses something it does not support
        (then batch evaluation runs the row evaluator record by record)."""
        if self._columnar is None:
            from .backends.columnar import ColumnarEvaluator, Unsupported
            try:
                self._columnar = ColumnarEvaluator(self.program)
            except Unsupported:
                self._columnar = False
        return self._columnar or None

    def python_source(self, fast: bool = False) -> str:
        """The generated Python of the row evaluator (fast: of the fast exact one; None when the
        program is not supported by it)."""
        if fast:
            ev = self.fast_evaluator
            return None if ev is None else ev.source
        return self.row_evaluator.source

    def evaluate_raw(self, record: Mapping, *, as_of: date | None = None, backend: str = "row",
                     pop=None) -> tuple[RawResult | None, list[FieldError]]:
        """Score one record into a RawResult, or return its field errors. `pop`: the batch's
        population statistics (see population_stats); None scores the record as a batch of one.
        backend: "row" (the fast exact evaluator when it supports the rules, else the Fraction
        one), "rowfraction" (always the Fraction one) or "reference" (the interpreter)."""
        if backend == "row" and type(record) is dict:
            fast = self.fast_evaluator
            if fast is not None:
                out = fast.run(record, as_of)
                if type(out) is tuple:
                    return None, out[0]
                return fast.to_raw(out), []
        if pop is not None:
            from .runtime.population import check_given

            check_given(pop, len(self.program.populations))
        env, errors = convert_record(self.program.inputs, record)
        if errors:
            return None, errors
        return self._run(env, as_of, backend, pop), []

    def _run(self, env: dict, as_of, backend: str, pop) -> RawResult:
        if backend == "reference":
            from .backends.reference import evaluate
            return evaluate(self.program, env, as_of, pop)
        return self.row_evaluator(env, as_of, pop)

    def evaluate_one(self, record: Mapping, *, as_of: date | str | None = None, record_id: str | None = None,
                     row: int | None = None, backend: str = "row", pop=None) -> "EvaluationResult":
        """Score one record (a mapping of input name or alias → value).

        Values may be numbers, decimal strings, or '95%' strings for percent inputs. A value that
        cannot be understood makes the result an error record naming the field and why.
        Population functions (rank, max_of, …) see a batch of this one record unless `pop` gives
        the statistics of a larger batch (population_stats). The evaluation date is `as_of`, or
        the record's own "as_of" (or "评价时点") as in a test's `given`.
        """
        try:
            get = record.get
        except AttributeError:  # a list, a str, None, a namedtuple (df.itertuples()): checked also
            # when as_of= is given — a list or a str was then scored as a record of blanks
            raise _not_a_record(record) from None
        if as_of is None:
            as_of = get("as_of", get("评价时点"))
            if as_of is not None and type(as_of) is not date:
                as_of, bad = _record_date(record, as_of)
                if bad is not None:  # a record's date is data: an error record naming it, not a raise
                    return self.to_result(None, convert_record(self.program.inputs, record)[1] + [bad],
                                          record_id=record_id, row=row)
        if backend == "row" and type(record) is dict:
            fast = self._fast
            if fast is None:
                fast = self.fast_evaluator
            if fast:
                out = fast.run(record, as_of if as_of is None or type(as_of) is date else _as_date(as_of))
                if type(out) is tuple:
                    return self.to_result(None, out[0], record_id=record_id, row=row)
                err = out[1]
                if err is None:
                    return _lazy_result({"record_id": record_id, "row": row, "ok": True, "error": None,
                                        "total": fast.total_decimal(out), "grade": fast.grade(out),
                                        "ruleset": self.info}, self._fast_fields, out)
                return self._fast_result(fast, out, record_id, row)
        raw, errors = self.evaluate_raw(record, as_of=_as_date(as_of), backend=backend, pop=pop)
        return self.to_result(raw, errors, record_id=record_id, row=row)

    def evaluate(self, records: Iterable[Mapping], *, as_of: date | str | None = None, backend: str = "row") -> list["EvaluationResult"]:
        """Score a batch of records. Population functions (rank, max_of, …) range over the
        records of this batch that have no field errors."""
        d = _as_date(as_of)
        if backend == "row" and not self.has_population and self.fast_evaluator is not None:
            return [self.evaluate_one(r, as_of=d) for r in records]
        # each record's own date (as_of / 评价时点) when as_of= is not given, as evaluate_one reads it
        converted = []
        for r in records:
            if not hasattr(r, "get"):
                raise _not_a_record(r)
            env, errors = convert_record(self.program.inputs, r)
            day = d
            if day is None:
                day, bad = _record_date(r, r.get("as_of", r.get("评价时点")))
                if bad is not None:
                    errors.append(bad)
            converted.append((env, errors, day))
        pop = None
        if self.has_population:
            from .runtime.population import collect, merge_all

            pop = merge_all([collect((self.population_values(env, as_of=day, backend=backend)
                                      for env, errors, day in converted if not errors), len(self.program.populations))])
        return [self.to_result(None, errors) if errors else self.to_result(self._run(env, day, backend, pop), [])
                for env, errors, day in converted]

    # ---- population functions across a batch
    @property
    def has_population(self) -> bool:
        """Whether the rules use population functions, so that records must be scored as a batch."""
        return bool(self.program.populations)

    def population_values(self, env: dict, *, as_of: date | None = None, backend: str = "row") -> tuple:
        """Phase 1 for one converted record (convert_record's env): its value of every
        population argument, in program.populations order."""
        if backend == "reference":
            from .backends.reference import phase1
            return phase1(self.program, env, as_of)
        return self.row_evaluator.phase1(env, as_of)

    def population_stats(self, records: Iterable, *, as_of: date | None = None, backend: str = "row",
                         mapping: Mapping[str, str] | None = None) -> list:
        """The statistics (runtime.population.Stats, one per population argument) of a batch;
        pass them as `pop` to score the batch's records (evaluate_batches, evaluate_one).

        `records`: dicts of raw cells as evaluate_one takes them (a record with unreadable
        fields is left out, as batch runs leave out error rows), converted records
        (convert_record's env, keys 'in:NAME'), or pyarrow Tables/RecordBatches (columns matched
        as evaluate_table matches them, `mapping` included). Statistics of parts combine with
        Stats.merge (or runtime.population.merge_all)."""
        from .runtime.convert import convert_record
        from .runtime.population import collect, merge_all

        from .batch import _arrow

        def frame(x) -> bool:  # a pandas/Polars frame: iterating it gives columns, not records
            return type(x).__module__.startswith(("pandas", "polars"))

        if hasattr(records, "num_rows") or frame(records):  # one table, batch or frame
            records = [records]
        envs, tables = [], []
        for rec in records:
            if hasattr(rec, "num_rows") or frame(rec):
                tables.append(_arrow(rec))
            elif not isinstance(rec, Mapping):
                raise TypeError(f"population_stats takes records (dicts), pyarrow Tables/RecordBatches or "
                                f"pandas/Polars frames, got {type(rec).__name__}")
            elif any(isinstance(k, str) and k.startswith("in:") for k in rec):
                envs.append(rec)
            else:
                env, errors = convert_record(self.inputs, rec)
                if not errors:
                    envs.append(env)
        parts = [collect((self.population_values(env, as_of=as_of, backend=backend) for env in envs),
                         len(self.program.populations))]
        if tables:
            from .batch import Batcher, resolve

            for t in tables:
                b = Batcher(self, resolve(self, t.column_names, dict(mapping or {})), as_of=as_of,
                            backend="reference" if backend == "reference" else "columnar")
                parts.append(b.phase1(t))
        return merge_all(parts)

    def evaluate_table(self, table, *, as_of: date | str | None = None, lang: str = "zh", id_column: str | None = None,
                       mapping: Mapping[str, str] | None = None, backend: str = "columnar", chunk_rows: int | None = None,
                       columns: str = "all", threads: int | None = None, first_row: int = 1):
        """Score every row of a pyarrow Table or RecordBatch (or a pandas/polars DataFrame; a
        pandas frame's named index levels count as columns, df.set_index("单位名称") included).

        Columns match inputs by name, declared alias or `mapping` ({"data column": "input name"});
        missing required columns raise perfrules.batch.DataProblem naming all of them. Returns a
        pyarrow Table with one row per input row: the columns of `perfrules eval -o` (scores and
        the total as exact decimal128, values as decimal128 at 10 places, alerts and flags as
        lists of strings, other text as strings). Population functions range over the table.
        `columns`: "all" (default); "scores" without the leaves' values; "total" without any
        indicator's score or the flags (status, error, total, grades, outputs, alerts). Chunks
        of up to `chunk_rows` (default 131,072; 262,144 with columns="total") are evaluated on
        `threads` threads (default: 2, or 1 on one CPU). `first_row`: the record number of the
        table's first row, shown in 记录 and error rows (a part of a larger file: its offset + 1)."""
        from .batch import THREADS, evaluate_table
        return evaluate_table(self, table, as_of=as_of, lang=lang, id_column=id_column, mapping=dict(mapping or {}),
                              backend=backend, chunk_rows=chunk_rows, columns=columns,
                              threads=THREADS if threads is None else threads, first_row=first_row)

    def evaluate_batches(self, batches: Iterable, *, as_of: date | str | None = None, lang: str = "zh",
                         id_column: str | None = None, mapping: Mapping[str, str] | None = None,
                         backend: str = "columnar", chunk_rows: int = 32768, pop=None, columns: str = "all"):
        """Score a stream of pyarrow RecordBatches (or tables); yields one result RecordBatch per
        input batch, so memory stays bounded by the batch size. Rules with population functions
        need `pop`, the statistics of the whole stream (see population_stats). One Table or
        RecordBatch is a stream of one (iterating it would give its columns)."""
        from .batch import evaluate_batches

        if hasattr(batches, "num_rows"):
            batches = [batches]
        return evaluate_batches(self, batches, as_of=as_of, lang=lang, id_column=id_column, mapping=dict(mapping or {}),
                                backend=backend, chunk_rows=chunk_rows, pop=pop, columns=columns)

    # ---- results
    def to_result(self, raw: RawResult | None, errors: list[FieldError], record_id=None, row=None) -> "EvaluationResult":
        from .models import EvaluationResult, FieldProblem, RecordError

        if raw is None:
            err = RecordError(
                code="PR801",
                message="；".join(e.text("zh") for e in errors),
                message_en="; ".join(e.text("en") for e in errors),
                fields=[FieldProblem(field=e.field, message=e.message_zh, message_en=e.message_en,
                                     raw=None if e.raw is None else str(e.raw)) for e in errors],
            )
            return EvaluationResult(record_id=record_id, row=row, ok=False, error=err, ruleset=self.info)
        s = self.program.settings
        error = None
        if raw.error is not None:
            code, zh, en = raw.error
            error = RecordError(code=code, message=zh, message_en=en)
        scored = error is None  # an error record (missing error, PR803) is not scored: no total
        eager = {"record_id": record_id, "row": row, "ok": scored, "error": error,
                 "total": None if raw.total is None or not scored else to_decimal(raw.total, s.places, s.rounding),
                 "grade": raw.grades.get("total") if scored else None, "ruleset": self.info}
        return _lazy_result(eager, self._raw_fields, raw)

    def _fast_result(self, fast, out, record_id, row) -> "EvaluationResult":
        """The result of a fast evaluator run: the eager fields now, the rest when read."""
        err = out[1]
        error = None
        if err is not None:
            from .models import RecordError
            error = RecordError(code=err[0], message=err[1], message_en=err[2])
        scored = err is None  # an error record (missing error, PR803) is not scored: no total
        eager = {"record_id": record_id, "row": row, "ok": scored, "error": error,
                 "total": fast.total_decimal(out) if scored else None, "grade": fast.grade(out) if scored else None,
                 "ruleset": self.info}
        return _lazy_result(eager, self._fast_fields, out)

    def _fast_fields(self, out) -> dict:
        """_raw_fields of a fast evaluator run, read from its ints without building Fractions
        (the texts are those of runtime.numbers: tests compare them with the reference's)."""
        from .models import AlertResult, Flag, IndicatorResult
        from .runtime.qpairs import fixed_text, percent_text, plain_text

        fast = self._fast
        s = self.program.settings
        scaled = not fast.total_only and fast.D == fast.P  # scores are exact ints × 10^-places
        flags: dict = {}
        if out[2]:
            for i, f in fast.to_raw_flags(out[2]).items():
                flags[i] = [_construct(Flag, {"code": c, "message": zh, "message_en": en}) for c, zh, en in f]
        excluded = out[3] or ()
        inds = []
        for ind, const, display, vat, sat, pct, suffix in self._fast_layout():
            d = dict(const)
            if vat is None:
                d["value"] = d["display"] = None
            else:
                n, den = out[vat], out[vat + 1]
                if den is None or not den:  # not a number, or missing
                    d["value"] = _value_text(n)
                    d["display"] = display(n)
                else:
                    d["value"] = plain_text(n, den)
                    if pct:
                        d["display"] = percent_text(n, den, 2)
                    else:
                        d["display"] = (str(n // den) if n % den == 0 else fixed_text(n, den, 2)) + suffix
            if sat is None:
                d["score"] = None
            elif scaled:
                d["score"] = scaled_decimal(out[sat], s.places)
            elif fast.total_only:
                d["score"] = to_decimal(Fraction(out[sat], out[sat + 1]), s.places, s.rounding)
            else:
                d["score"] = to_decimal(Fraction(out[sat], fast.D), s.places, s.rounding)
            d["excluded"] = ind.id in excluded
            d["flags"] = flags.get(ind.id, [])
            inds.append(_construct(IndicatorResult, d))
        outputs = {}
        at = fast.outs_at
        for j, name in enumerate(fast.outputs):
            n, den = out[at + 2 * j], out[at + 2 * j + 1]
            k = fast.output_places.get(name)
            outputs[name] = _value_text(n) if den is None or not den else (
                plain_text(n, den) if k is None else fixed_text(n, den, k))
        if out[1] is not None:  # an error record: indicators for diagnosis, nothing scored
            return {"group_grades": {}, "indicators": inds, "alerts": [], "outputs": {}}
        return {
            "group_grades": {k: v for k, v in zip(fast.grade_labels, out[5:]) if k != "total"},
            "indicators": inds,
            "alerts": [AlertResult.model_construct(name=n, level=lv, message=m) for n, lv, m in out[4] or ()],
            "outputs": outputs,
        }

    def _fast_layout(self) -> list:
        """_result_layout plus where a fast run keeps each indicator's value and score, and how
        a numeric value is displayed (percent, unit suffix)."""
        layout = self.__dict__.get("_fast_layout_cache")
        if layout is None:
            fast = self._fast
            vat = {i: fast.vals_at + 2 * j for j, i in enumerate(fast.val_ids)}
            width = 2 if fast.total_only else 1
            sat = {i: fast.scores_at + width * j for j, i in enumerate(fast.score_ids)}
            layout = []
            for ind, const, display in self._result_layout():
                pct = ind.unit == "%" or (ind.value is not None and ind.value.type.kind == "percent")
                suffix = ind.unit if ind.unit and ind.unit != "%" else ""
                layout.append((ind, const, display, vat.get(ind.id), sat.get(ind.id), pct, suffix))
            self.__dict__["_fast_layout_cache"] = layout
        return layout

    def _raw_fields(self, raw: RawResult) -> dict:
        """The per-indicator part of a result (built when first read: see lazyresult)."""
        from .models import AlertResult, Flag, IndicatorResult

        s = self.program.settings
        inds = []
        values, scores, excluded, flags = raw.values, raw.scores, raw.excluded, raw.flags
        for ind, const, display in self._result_layout():
            value = values.get(ind.id)
            score = scores.get(ind.id)
            d = dict(const)
            d["value"] = _value_text(value)
            d["display"] = display(value)
            d["score"] = None if score is None else to_decimal(score, s.places, s.rounding)
            d["excluded"] = ind.id in excluded
            d["flags"] = [_construct(Flag, {"code": c, "message": zh, "message_en": en})
                          for c, zh, en in flags.get(ind.id, ())]
            inds.append(_construct(IndicatorResult, d))
        if raw.error is not None:  # an error record: indicators for diagnosis, nothing scored
            return {"group_grades": {}, "indicators": inds, "alerts": [], "outputs": {}}
        return {
            "group_grades": {k: v for k, v in raw.grades.items() if k != "total"},
            "indicators": inds,
            "alerts": [AlertResult.model_construct(name=n, level=lv, message=m) for n, lv, m in raw.alerts],
            "outputs": {o.name: _output_text(raw.outputs[o.name], o) for o in self.program.outputs
                        if o.name in raw.outputs},
        }

    def _result_layout(self) -> list:
        """Per indicator: the fields of its IndicatorResult that do not depend on the record, and
        how its value is displayed (computed once per ruleset)."""
        layout = self.__dict__.get("_layout")
        if layout is None:
            layout = []
            for ind in self.program.indicators:
                const = {"path": ind.dotted, "name": ind.name, "code": ind.code, "level": len(ind.path),
                         "kind": ind.kind, "weight": to_decimal(ind.weight, _places(ind.weight)), "leaf": ind.is_leaf}
                layout.append((ind, const, _display_of(ind)))
            self.__dict__["_layout"] = layout
        return layout


def _lazy_result(eager: dict, fill, payload):
    """lazyresult.lazy_result, imported on first use (pydantic is not needed to check rule
    files); the first call rebinds this name to it, so later calls pay no import."""
    global _lazy_result
    from .lazyresult import lazy_result

    _lazy_result = lazy_result
    return lazy_result(eager, fill, payload)


def _construct(cls, values: dict):
    """cls.model_construct(**values) for a dict holding every field, without its per-call
    bookkeeping (the results hold thousands of these)."""
    m = cls.__new__(cls)
    object.__setattr__(m, "__dict__", values)
    object.__setattr__(m, "__pydantic_fields_set__", set(values))
    object.__setattr__(m, "__pydantic_extra__", None)
    object.__setattr__(m, "__pydantic_private__", None)
    return m


def _places(x) -> int:
    from .runtime.numbers import decimal_places
    n = decimal_places(x)
    return n if n is not None else 4


def _output_text(v, out: "ir.Output | None") -> str | None:
    """An output's text: with its `round(x, k)` places when it has them (see ir.Output.places)."""
    if out is not None and out.places is not None and isinstance(v, Fraction):
        return format_fixed(v, out.places)
    return _value_text(v)


def _value_text(v) -> str | None:
    if v is None or isinstance(v, Missing):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        return v
    return format_plain(v, 10)


def _display(v, ind: ir.Indicator) -> str | None:
    return _display_of(ind)(v)


def _display_of(ind: ir.Indicator):
    """How an indicator's value shows in reports, e.g. 96.62%, 3 次 (a function of the value)."""
    pct = ind.unit == "%" or (ind.value is not None and ind.value.type.kind == "percent")
    suffix = ind.unit if ind.unit and ind.unit != "%" else ""

    def display(v):
        if v is None:
            return None
        if isinstance(v, Missing):
            return "—"
        if isinstance(v, bool):  # as messages show it ({x} → 是/否): the report table said false
            return "是" if v else "否"
        if isinstance(v, (str, date)):
            return _value_text(v)
        if pct:
            return format_percent(v, 2)
        text = str(v.numerator) if v.denominator == 1 else format_fixed(v, 2)
        return text + suffix

    return display


def _not_a_record(record) -> TypeError:
    return TypeError(f"evaluate_one takes a mapping of input name → value (a dict, a pandas Series), "
                     f"got {type(record).__name__}")


def _record_date(record, raw) -> tuple[date | None, FieldError | None]:
    """A record's own evaluation date (its as_of or 评价时点 value): (date, None), or (None, the
    field error naming the key) when it is not a date."""
    from .io.cells import CellError, is_blank

    if raw is None or is_blank(raw):
        return None, None
    try:
        return _as_date(raw), None
    except CellError as err:
        key = "as_of" if "as_of" in record else "评价时点"
        return None, FieldError(key, err.message_zh, err.message_en, raw)


def _as_date(v) -> date | None:
    """An evaluation date given as a date or as text, in every spelling a date cell may have
    (2024-06-30, 2024/6/30, 2024年6月30日, 20240630); a ValueError (CellError) otherwise."""
    if v is None or isinstance(v, date):
        return v.date() if isinstance(v, datetime) else v
    from .io.cells import parse_date
    return parse_date(v if isinstance(v, (str, int)) else str(v))
