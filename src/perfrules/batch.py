"""Batch evaluation: Arrow record batches in, flat Arrow result batches out.

`Batcher` holds what one ruleset needs to score batches whose columns it has matched once:
the compiled columnar evaluator, the column plan, the output schema. Each batch is cut into
chunks. A stream evaluates its (small) pieces one after the other; an in-memory table
(`evaluate_table`) is cut into chunks of up to 128k rows evaluated on two threads: numpy releases
the GIL inside each array operation, and at that size the operations, not the Python between
them, dominate (on 32k-row chunks threads gained 1.2×, on 64k–128k 1.4–1.7×, measured on 2
cores); a smaller table is cut into at least two chunks per thread, so that both keep busy.
Every record gives exactly one result row: a result, or an error row naming the field that
could not be understood.

`evaluate_table` / `evaluate_batches` are what `Ruleset.evaluate_table` / `evaluate_batches`
call; `perfrules.batchfile` streams files through a Batcher.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Iterator

import numpy as np

CHUNK_ROWS = 32768  # rows evaluated together: numpy arrays that stay in the CPU caches
# In-memory tables: larger chunks (at most), evaluated on THREADS threads. Each array operation
# releases the GIL, so the larger the chunk the better two threads overlap; a chunk's working
# arrays grow with it (≈ 0.5 GB per 128k rows with every result column), hence smaller chunks
# when every column is certified and written.
TABLE_CHUNK_ROWS = {"all": 131072, "scores": 131072, "total": 262144}
THREADS = min(2, os.cpu_count() or 1)
# A record's own evaluation date, used when no as_of is given (as Ruleset.evaluate_one reads it)
DATE_KEYS = ("as_of", "评价时点")


def date_key(columns) -> str | None:
    """The column holding each record's own evaluation date, if the data has one."""
    return next((k for k in DATE_KEYS if k in columns), None)


class DataProblem(Exception):
    """The data cannot be evaluated at all (unreadable, or required columns missing)."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def no_id_column(id_column: str, columns) -> DataProblem:
    """PR802 for an --id column the data does not have, with the closest columns (or the first
    few) so that `--id 单位` finds 单位名称."""
    import difflib

    columns = [str(c) for c in columns]
    close = difflib.get_close_matches(id_column, columns, n=3, cutoff=0.5) or [
        c for c in columns if id_column in c or c in id_column][:3]
    if close:
        zh, en = "是否想写 " + "、".join(close) + "？", "did you mean " + ", ".join(close) + "?"
    else:
        shown = columns[:6] + (["…"] if len(columns) > 6 else [])
        zh, en = "数据里的列：" + "、".join(shown), "the data's columns: " + ", ".join(shown)
    return DataProblem("PR802", f"找不到记录标识列 {id_column}（--id）；{zh}", f"no id column {id_column} (--id); {en}")


def input_specs(ruleset):
    from .io import InputSpec

    return [InputSpec(s.name, tuple(s.aliases), required=not s.has_default) for s in ruleset.inputs]


def plan_problem(plan, source=None) -> tuple[str, str]:
    """The PR802 message of an unresolved column plan; `source` (the data being read) adds a
    hint when its text encoding was guessed (a wrong guess garbles every header name)."""
    zh, en = [], []
    if plan.missing_required:
        zh.append("缺少必需的列：" + "、".join(plan.missing_required))
        en.append("missing required columns: " + ", ".join(plan.missing_required))
        if plan.absent_mapping_columns:  # the --map names a header the file does not have
            zh.append("列对照（--map）里的列 " + "、".join(plan.absent_mapping_columns) + " 在数据的表头里没有")
            en.append("the --map file's columns " + ", ".join(plan.absent_mapping_columns) + " are not in the data's header")
        from .io.readers import encoding_hint

        for hint in ((encoding_hint(source), _delimiter_hint(source)) if source is not None else ()):
            if hint is not None:
                zh.append(hint[0])
                en.append(hint[1])
    if plan.unknown_mapping_inputs:  # a misspelt --map target leaves its column unmatched
        zh.append("列对照（--map）里的 " + "、".join(plan.unknown_mapping_inputs) + " 不是规则里的输入项")
        en.append("the --map file names " + ", ".join(plan.unknown_mapping_inputs) + ", which are not inputs of the rules")
    for name, cols in plan.ambiguous:
        if name in plan.mapped_twice:  # "use --map" when the --map itself named them
            zh.append(f"列对照（--map）把 {'、'.join(cols)} 都对到了输入项 {name}：只能对一列")
            en.append(f"the --map file maps {', '.join(cols)} all to input {name}: map one column only")
            continue
        zh.append(f"输入项 {name} 可对应多列：{'、'.join(cols)}（用 --map 指定）")
        en.append(f"input {name} matches several columns: {', '.join(cols)} (use --map)")
    for col, names in plan.conflicts:
        zh.append(f"列 {col} 同时对应 {'、'.join(names)}（用 --map 指定）")
        en.append(f"column {col} matches {', '.join(names)} (use --map)")
    return "；".join(zh), "; ".join(en)


def _delimiter_hint(source) -> tuple[str, str] | None:
    """A CSV whose header came out as one column holding tabs or semicolons (an export with
    another delimiter named .csv): say so, or "missing columns 预算数、支出数" is a riddle."""
    columns = list(getattr(source, "columns", None) or [])
    if getattr(source, "format", None) != "csv" or len(columns) != 1:
        return None
    from .io.errors import short_repr

    shown = short_repr(columns[0])
    if "\t" in columns[0]:
        return (f"表头只读出一列 {shown}：文件是用制表符分隔的，请把扩展名改为 .tsv",
                f"the header is one column {shown}: the file is tab-separated; rename it .tsv")
    if ";" in columns[0]:
        return (f"表头只读出一列 {shown}：文件是用分号分隔的，请在 Excel/WPS 中另存为逗号分隔的 CSV",
                f"the header is one column {shown}: the file is semicolon-separated; save it as comma-separated CSV")
    return None


def resolve(ruleset, columns: list[str], mapping: dict | None = None, id_column: str | None = None,
            source=None) -> dict:
    """input name → data column, or DataProblem naming every problem at once."""
    from .io import resolve_columns

    if not columns and source is not None and input_specs(ruleset):  # `[]`, an empty JSONL file
        raise DataProblem("PR804", "文件中没有记录，也就没有任何列", "the file holds no records, hence no columns")
    if source is not None:
        repeats = source.repeats  # the reader renamed them (金额_2)
    else:  # an in-memory table keeps repeated names as they are
        repeats = {}
        for i, name in enumerate(columns, 1):
            repeats.setdefault(name, []).append(i)
        repeats = {name: at for name, at in repeats.items() if len(at) > 1}
        columns = list(dict.fromkeys(columns))
    plan = resolve_columns(columns, input_specs(ruleset), mapping)
    missing_id = no_id_column(id_column, columns) if id_column is not None and id_column not in columns else None
    if not plan.ok:  # with a missing --id column too: a file lacking both said one, then the other
        zh, en = plan_problem(plan, source)
        if missing_id is not None:
            zh, en = f"{zh}；{missing_id.zh}", f"{en}; {missing_id.en}"
        raise DataProblem("PR802", zh, en)
    if missing_id is not None:
        raise missing_id
    repeated_columns(repeats, set(plan.by_input.values()) | {id_column})
    _warn_shadowed(plan.shadowed)
    return plan.by_input


def _warn_shadowed(shadowed) -> None:
    """A column that matches an input as well as the one used, left unused (实际支出 used,
    实际支出（万元） not): the stronger match wins, but the other may hold other units, or the
    values that records lacking the first have (sparse JSONL keys) — say so."""
    import warnings

    from .io.errors import ColumnWarning

    for name, used, other in shadowed:
        warnings.warn(ColumnWarning(
            f"输入 {name} 取自列“{used}”；列“{other}”也对应它，但没有用上：要用它请在 --map 里指定，"
            "两列是同一项数据请合并为一列",
            f"input {name} is read from column {used!r}; column {other!r} matches it too but is not used: "
            "to read it instead, name it in --map; if both hold the same data, merge them into one column"),
            stacklevel=3)


def repeated_columns(repeats: dict | None, used) -> None:
    """PR802 when a column the rules read (or the id column) has a header name that several
    columns of the file share: which one holds the data is anybody's guess. (The reader gave
    the repeats other names, 金额_2; a repeated column nothing reads does no harm.)"""
    bad = [(name, at) for name, at in (repeats or {}).items() if name in used]
    if bad:
        raise DataProblem(
            "PR802",
            "；".join(f"列名 {name} 出现了 {len(at)} 次（第 {'、'.join(map(str, at))} 列），不知道该读哪一列：请删掉或改名重复的列"
                     for name, at in bad),
            "; ".join(f"the header {name} names {len(at)} columns ({', '.join(map(str, at))}): it is not clear which "
                      "one to read; remove or rename the repeats" for name, at in bad))


@dataclass
class Stats:
    """What a run did: records in, rows evaluated exactly (and why), chunks."""

    records: int = 0
    exact_rows: int = 0  # evaluated whole by the reference evaluator
    unsafe_rows: int = 0  # of which: inputs a float cannot carry (more than 15 digits)
    error_rows: int = 0
    suspects: int = 0  # row decisions re-decided with per-row bounds (the precise tier)
    exact_tier_rows: int = 0  # rows with a decision made in exact fractions (the exact tier)
    # CPU seconds of the columnar chunks' three parts, summed over threads (where the time goes)
    cpu_convert: float = 0.0  # the input columns into numbers, masks and codes
    cpu_evaluate: float = 0.0  # the rules, with every tier (and the rows the reference takes)
    cpu_build: float = 0.0  # the Arrow result columns

    @property
    def exact_fraction(self) -> float:
        return self.exact_rows / self.records if self.records else 0.0


class Batcher:
    """Scores Arrow batches with one ruleset over a fixed column plan (see the module doc)."""

    def __init__(self, ruleset, by_input: dict, *, as_of: date | None = None, lang: str = "zh",
                 id_column: str | None = None, backend: str = "columnar", chunk_rows: int = CHUNK_ROWS,
                 columns: str = "all", threads: int = 1):
        from . import flat

        self.ruleset = ruleset
        self.by_input = dict(by_input)
        self.as_of = as_of
        self.lang = lang
        self.id_column = id_column
        self.chunk_rows = max(1, chunk_rows)
        self.columns = columns
        self.threads = max(1, threads)
        self.schema = flat.schema(ruleset, lang, columns)
        self.stats = Stats()
        self._stats_lock = threading.Lock()
        self.columnar = ruleset.columnar_evaluator if backend == "columnar" else None
        self.backend = backend if backend != "columnar" or self.columnar is not None else "row"
        self.pop = None  # population statistics (phase 1), when the rules use population functions
        self.pop_members = False  # self.pop was computed over the records scored here (not given by a caller)

    # ---- population functions: phase 1
    def phase1(self, chunk) -> list:
        """The population statistics of one batch's records that can be scored: columnar
        where the arguments' exact values can be read off the floats, the rest record by record
        (by each record's own date where the data has one and no as_of was given)."""
        from .runtime.population import merge_all

        groups = self._date_groups(chunk)
        if groups is None:
            return self._phase1_at(chunk, self.as_of)
        # (a record whose date is no date is an error row: not in the population)
        stats = merge_all(self._phase1_at(_take(chunk, idx), day) for day, idx in groups.items() if day is not _BAD_DATE)
        return stats if stats is not None else self._phase1_at(chunk.slice(0, 0), None)

    def _phase1_at(self, chunk, as_of) -> list:
        from .runtime.convert import convert_record
        from .runtime.population import Stats

        cols = self._columns(chunk)
        n = chunk.num_rows
        count = len(self.ruleset.program.populations)
        columns = [[] for _ in range(count)]
        todo = range(n)
        if self.backend == "columnar" and n:
            conv, skip, exact_rows = self._converted(cols, n)
            found, rest = self.columnar.population_values(n, conv.values, as_of, skip, exact_rows)
            for column, values in zip(columns, found):  # rows in `rest` come whole from the row path
                column.extend(v for i, v in values.items() if not rest[i])
            todo = np.flatnonzero(rest).tolist()
        backend = "reference" if self.backend == "reference" else "row"
        if len(todo) * 8 > n:  # most rows: read the columns once
            data = {name: (col if isinstance(col, list) else col.to_pylist()) for name, col in cols.items()
                    if col is not None}
            record = lambda i: {name: values[i] for name, values in data.items()}  # noqa: E731
        else:
            record = lambda i: {name: _cell(col, i) for name, col in cols.items() if col is not None}  # noqa: E731
        for i in todo:  # record by record, as the row path converts and evaluates them
            env, errors = convert_record(self.ruleset.inputs, record(i))
            if errors:
                continue
            row = self.ruleset.population_values(env, as_of=as_of, backend=backend)
            for column, v in zip(columns, row):
                column.append(v)
        return [Stats.from_values(c) for c in columns]

    # ---- one batch
    def evaluate(self, batch, rows=None) -> list:
        """Result batches (one per chunk) for an Arrow RecordBatch/Table; rows: the records'
        row numbers (default 1…n)."""
        n = batch.num_rows
        if rows is None:
            rows = np.arange(1, n + 1, dtype=np.int64)
        size = self.chunk_rows
        threaded = self.threads > 1 and self.backend == "columnar"
        if threaded and size > CHUNK_ROWS:  # at least two chunks per thread, none below CHUNK_ROWS
            size = min(size, max(CHUNK_ROWS, -(-n // (2 * self.threads))))
        spans = [(i, min(i + size, n)) for i in range(0, n, size)] or [(0, 0)]
        if threaded and len(spans) > 1:
            return list(_pool(self.threads).map(lambda s: self._chunk(batch.slice(s[0], s[1] - s[0]), rows[s[0]:s[1]]),
                                                spans))
        return [self._chunk(batch.slice(a, b - a), rows[a:b]) for a, b in spans]

    def _columns(self, chunk) -> dict:
        from .io.cells import widen_short_floats

        names = set(chunk.schema.names if hasattr(chunk, "schema") else chunk.column_names)
        return {name: widen_short_floats(_unview(chunk.column(col))) if col in names else None
                for name, col in self.by_input.items()}

    def _ids(self, chunk):
        if self.id_column is None:
            return None
        col = chunk.column(self.id_column)
        return [None if v is None else _id_text(v) for v in (col if isinstance(col, list) else col.to_pylist())]

    def _converted(self, cols: dict, n: int):
        """A chunk's inputs converted for the columnar evaluator: (Converted, rows skipped for
        conversion errors, rows whose inputs a float cannot carry and the reference must take)."""
        from .runtime.columns import convert_columns

        conv = convert_columns(self.ruleset.inputs, cols, n, self.columnar.input_reason)
        skip = np.zeros(n, dtype=bool)
        if conv.errors:
            skip[list(conv.errors)] = True
        exact_rows = [] if conv.exact is None else np.flatnonzero(conv.exact & ~skip).tolist()
        return conv, skip, exact_rows

    def _date_groups(self, chunk) -> dict | None:
        """Row indices by each record's own evaluation date (None: blank; _BAD_DATE: not a
        date), or None when as_of was given or the data has no date column."""
        if self.as_of is not None:
            return None
        key = date_key(chunk.schema.names if hasattr(chunk, "schema") else chunk.column_names)
        if key is None:
            return None
        col = chunk.column(key)
        codes, values = _distinct(col)
        # each distinct cell read once; rows grouped by the date it gives
        by_day: dict = {}
        for k, raw in enumerate(values):
            by_day.setdefault(_record_day(raw), []).append(k)
        groups = {}
        for day, ks in by_day.items():
            at = np.flatnonzero(codes == ks[0]) if len(ks) == 1 else np.flatnonzero(np.isin(codes, ks))
            if at.size:
                groups[day] = at
        return groups

    def _chunk(self, chunk, rows):
        if self.backend != "columnar":
            return self._rows_path(chunk, rows, self._ids(chunk), self.as_of, dated=True)
        groups = self._date_groups(chunk)
        if groups is None:
            return self._chunk_at(chunk, rows, self.as_of)
        if len(groups) == 1 and _BAD_DATE not in groups:
            return self._chunk_at(chunk, rows, next(iter(groups)))
        parts = []
        for day, idx in groups.items():
            part, at = _take(chunk, idx), rows[np.asarray(idx, dtype=np.int64)]
            # a date that is not one: the row path's error record, which names the field
            parts.append(self._rows_path(part, at, self._ids(part), None, dated=True) if day is _BAD_DATE
                         else self._chunk_at(part, at, day))
        return merge_in_order(parts, self.schema)

    def _chunk_at(self, chunk, rows, as_of):
        from . import flat

        n = chunk.num_rows
        ids = self._ids(chunk)
        ev = self.columnar
        t0 = time.thread_time()
        cols = self._columns(chunk)
        conv, skip, exact_rows = self._converted(cols, n)
        t1 = time.thread_time()
        res = ev.run(n, conv.values, as_of, skip, exact_rows, lambda i: self._exact_env(cols, i), self.columns,
                     self.pop, self.pop_members)
        t2 = time.thread_time()
        try:
            out = flat.chunk_batch(self.ruleset, res, rows, ids, conv.errors, self.lang, self.columns)
        except (OverflowError, _arrow_invalid()):  # a figure beyond the decimal columns (rare): the
            return self._rows_path(chunk, rows, ids, as_of)  # row path's flat_row leaves it out with a flag
        t3 = time.thread_time()
        with self._stats_lock:  # chunks may run on several threads
            st = self.stats
            st.cpu_convert += t1 - t0
            st.cpu_evaluate += t2 - t1
            st.cpu_build += t3 - t2
            st.records += n
            st.error_rows += len(conv.errors)
            st.unsafe_rows += len(exact_rows)
            st.exact_rows += len(res.exact)
            st.suspects += res.suspects
            st.exact_tier_rows += res.exact_tier_rows
        return out

    def _exact_env(self, cols: dict, i: int) -> dict:
        """Row i's inputs as exact runtime values, converted as the row path does."""
        from .runtime.convert import convert_record

        record = {name: _cell(col, i) for name, col in cols.items() if col is not None}
        env, errors = convert_record(self.ruleset.inputs, record)
        assert not errors, errors  # the columnar conversion found none for this row
        return env

    def _rows_path(self, chunk, rows, ids, as_of, dated: bool = False):
        """The row (or reference) evaluator, one record at a time, into the same flat layout
        (dated: with each record's own date, when as_of is None and the data has one)."""
        from . import flat

        cols = self._columns(chunk)
        data = {name: (col if isinstance(col, list) else col.to_pylist()) for name, col in cols.items() if col is not None}
        key = date_key(chunk.schema.names if hasattr(chunk, "schema") else chunk.column_names) if dated else None
        if key is not None and as_of is None and key not in data:
            col = chunk.column(key)
            data[key] = col if isinstance(col, list) else col.to_pylist()
        out = []
        for i in range(chunk.num_rows):
            record = {name: values[i] for name, values in data.items()}
            r = self.ruleset.evaluate_one(record, as_of=as_of, record_id=None if ids is None else ids[i],
                                          row=int(rows[i]), backend=self.backend, pop=self.pop)
            out.append(flat.flat_row(self.ruleset, r, self.lang))
        with self._stats_lock:
            self.stats.records += chunk.num_rows
            self.stats.exact_rows += chunk.num_rows
        return flat.rows_batch(self.ruleset, out, self.lang, self.columns)


_POOLS: dict = {}
_POOLS_LOCK = threading.Lock()  # threads scoring at once made a pool each (all but one left running)


def _after_fork_in_child() -> None:
    # a forked child inherits the pool objects but not their threads (nor a lock's holder): it
    # must build its own
    global _POOLS_LOCK
    _POOLS.clear()
    _POOLS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _pool(threads: int):
    """A process-wide thread pool for chunk evaluation (created on first use)."""
    pool = _POOLS.get(threads)
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        with _POOLS_LOCK:
            pool = _POOLS.get(threads)
            if pool is None:
                pool = _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="perfrules-chunk")
    return pool


def _arrow_invalid():
    import pyarrow as pa

    return pa.ArrowInvalid


_BAD_DATE = object()  # a date cell that is not a date: the record is an error row


def _distinct(col) -> tuple[np.ndarray, list]:
    """(a code per row, the distinct cells by code) of a column (Arrow, or a list of cells)."""
    if not isinstance(col, list):
        import pyarrow as pa

        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        try:
            enc = arr.dictionary_encode()
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # (a list or struct column)
            col = arr.to_pylist()
        else:
            import pyarrow.compute as pc

            values = enc.dictionary.to_pylist() + [None]  # code -1: a null cell
            return pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False) % len(values), values
    index: dict = {}
    values, codes = [], np.empty(len(col), dtype=np.int64)
    for i, raw in enumerate(col):
        try:
            k = index.setdefault(raw, len(values))
        except TypeError:  # an unhashable cell (a list): its own
            k = len(values)
        if k == len(values):
            values.append(raw)
        codes[i] = k
    return codes, values


def _record_day(raw):
    """A record's own date cell, as evaluate_one reads it: its date, None when blank,
    _BAD_DATE when it is none."""
    from .api import _record_date

    day, bad = _record_date({DATE_KEYS[0]: raw}, raw)
    return _BAD_DATE if bad is not None else day


def _take(chunk, idx: list):
    """The rows idx of an Arrow batch/table or of a batches.Cells."""
    if hasattr(chunk, "schema"):
        import pyarrow as pa

        return chunk.take(pa.array(idx, type=pa.int64()))
    return chunk.take(idx)


def _cell(col, i: int):
    if isinstance(col, list):
        return col[i]
    return col[i].as_py()


def _unview(col):
    """A view column (Polars' newest Arrow; Parquet and IPC files written from it) with plain
    values: the column conversion's kernels (take, …) have none for views."""
    if isinstance(col, list):
        return col
    from .io.batches import unview_column

    return unview_column(col)


def _id_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---- the Python API
def _arrow(data):
    """A pyarrow Table from a Table, RecordBatch or pandas DataFrame."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    mod = type(data).__module__
    if mod.startswith(("pandas", "polars")) and type(data).__name__ == "Series":
        # one record (df.iloc[0]) or one column (df["实际支出"]): not a table
        hint = ("evaluate_one(series) scores one record, series.to_frame().T makes it a table" if mod.startswith("pandas")
                else "series.to_frame() makes it a table")
        raise TypeError(f"expected a pyarrow Table or RecordBatch (or a pandas/polars DataFrame), got a "
                        f"{mod.split('.')[0]} Series: {hint}")
    if mod.startswith("pandas"):
        if getattr(data.columns, "nlevels", 1) > 1:  # (pd.read_excel(header=[0, 1]) of a two-row header)
            raise DataProblem("PR802", "数据的列是两级或多级表头（MultiIndex）：请先合并为一级，"
                                       "如 df.columns = ['_'.join(map(str, c)) for c in df.columns]",
                              "the data's columns have several header levels (a MultiIndex): flatten them first, "
                              "e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns]")
        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        if dup:
            raise DataProblem("PR802", f"数据里有重名的列：{'、'.join(dup)}", f"the data has duplicate columns: {', '.join(dup)}")
        # A named index is data (df.set_index("单位名称")): it was dropped, so that column was
        # "missing" (or the --id column not found). An unnamed one (0, 1, 2 …) is not.
        named = [n for n in data.index.names if n is not None and str(n) not in {str(c) for c in data.columns}]
        if named:
            data = data.reset_index(level=named)
        try:
            return pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # an object column mixing numbers and text (pd.read_excel of a hand-typed sheet:
            # 95231.47 beside '95,231.47' or '（空）') has no Arrow type: it goes in as text
            arrays = []
            for name in data.columns:
                try:
                    arrays.append(pa.array(data[name], from_pandas=True))
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    arrays.append(pa.array([_pandas_cell_text(v) for v in data[name]], pa.string()))
            return pa.Table.from_arrays(arrays, names=[str(c) for c in data.columns])
    if mod.startswith("polars"):
        if not hasattr(data, "to_arrow") and hasattr(data, "collect"):
            data = data.collect()  # a LazyFrame
        return data.to_arrow()
    raise TypeError(f"expected a pyarrow Table or RecordBatch (or a pandas/polars DataFrame), got {type(data).__name__}")


def _pandas_cell_text(v):
    """A cell of a mixed pandas object column as the text the cell cleaning reads as that cell:
    a float by its shortest decimal (as parse_decimal reads a float), a date as 2024-06-30,
    NaN/None/NA/NaT blank."""
    import datetime as dt

    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)  # int, Decimal, numpy scalars (str is their shortest form), bool, …


def _check_options(backend: str, lang: str) -> None:
    """The API's backend and lang: backend="refrence" silently ran the columnar evaluator (its
    caller believing it had the oracle's results), lang="fr" failed with KeyError: 'fr'."""
    if backend not in ("columnar", "row", "reference"):
        raise ValueError(f"backend must be one of columnar, row, reference, not {backend!r}")
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be zh or en, not {lang!r}")


def evaluate_table(ruleset, data, *, as_of=None, lang: str = "zh", id_column: str | None = None,
                   mapping: dict | None = None, backend: str = "columnar", chunk_rows: int | None = None,
                   columns: str = "all", threads: int = THREADS, first_row: int = 1):
    """Score every row of `data`; returns a pyarrow Table of the flat results, one row per row.
    Population functions range over the table's rows. chunk_rows: at most this many rows are
    evaluated together (default TABLE_CHUNK_ROWS for the column set); first_row: the record
    number of the first row (a service scoring a file in parts numbers them as the file does)."""
    import pyarrow as pa

    _check_options(backend, lang)
    if isinstance(first_row, bool) or not isinstance(first_row, (int, np.integer)):
        raise TypeError(f"first_row must be an int, not {type(first_row).__name__}")
    if first_row < 1:
        raise ValueError(f"first_row must be 1 or more, not {first_row}")
    if chunk_rows is None:
        chunk_rows = TABLE_CHUNK_ROWS.get(columns, CHUNK_ROWS)

    table = _arrow(data)
    if table.num_rows and table.column(0).num_chunks > 64 and table.column(0).num_chunks * 256 > table.num_rows:
        table = table.combine_chunks()  # many tiny chunks (tables concatenated row by row): one copy
    by_input = resolve(ruleset, table.column_names, mapping, id_column)
    b = Batcher(ruleset, by_input, as_of=_date(as_of), lang=lang, id_column=id_column, backend=backend,
                chunk_rows=chunk_rows, columns=columns, threads=threads)
    if ruleset.has_population:
        from .runtime.population import merge_all

        b.pop = merge_all([b.phase1(batch) for batch, _ in _batches_with_rows([table], 1 << 16, int(first_row))])
        b.pop_members = True
    out = [part for batch, rows in _batches_with_rows([table], 1 << 20, int(first_row))
           for part in b.evaluate(batch, rows)]
    return pa.Table.from_batches(out, schema=b.schema)


def evaluate_batches(ruleset, batches: Iterable, *, as_of=None, lang: str = "zh", id_column: str | None = None,
                     mapping: dict | None = None, backend: str = "columnar", chunk_rows: int = CHUNK_ROWS,
                     pop=None, columns: str = "all") -> Iterator:
    """Score a stream of record batches (or tables); yields one result batch per input batch.
    The columns are matched on the first batch; row numbers continue across batches.

    Population functions need statistics of the whole stream before any record is scored: pass
    them as `pop` (Ruleset.population_stats, or Stats merged over a first pass)."""
    _check_options(backend, lang)
    if ruleset.has_population and pop is None:
        raise ValueError("these rules use population functions (rank, max_of, …): a stream is scored in two passes; "
                         "pass pop= (the statistics of the whole stream) or use evaluate_table")
    from .runtime.population import check_given

    check_given(pop, len(ruleset.program.populations))
    it = iter(batches)
    b = None
    start = 1
    for number, item in enumerate(it, 1):
        table = _arrow(item)
        if b is None:
            by_input = resolve(ruleset, table.column_names, mapping, id_column)
            b = Batcher(ruleset, by_input, as_of=_date(as_of), lang=lang, id_column=id_column, backend=backend,
                        chunk_rows=chunk_rows, columns=columns)
            b.pop = pop
        else:  # a column the first batch matched must not vanish: its inputs would turn blank
            gone = sorted({c for c in by_input.values() if c is not None and c not in table.column_names}
                          | ({id_column} - set(table.column_names) if id_column else set()))
            if gone:
                raise DataProblem("PR802", f"第 {number} 批数据缺少列：{'、'.join(gone)}（第 1 批有这些列）",
                                  f"batch {number} lacks the columns {', '.join(gone)} (batch 1 had them)")
        rows = np.arange(start, start + table.num_rows, dtype=np.int64)
        start += table.num_rows
        parts = b.evaluate(table, rows)
        if len(parts) == 1:
            yield parts[0]
        else:
            import pyarrow as pa

            yield pa.Table.from_batches(parts, schema=b.schema).combine_chunks().to_batches()[0]


def _batches_with_rows(tables, size: int, start: int = 1):
    for t in tables:
        for off in range(0, max(t.num_rows, 1), size):
            part = t.slice(off, size)
            if part.num_rows == 0 and t.num_rows:
                continue
            yield part, np.arange(start + off, start + off + part.num_rows, dtype=np.int64)
        start += t.num_rows


def _date(v):
    from .api import _as_date
    return _as_date(v)


# ---- files
def open_data(path, *, fmt=None, encoding=None, sheet=None):
    """A BatchSource for a data file, or DataProblem (PR804) when it cannot be read at all."""
    from .io import ReaderError
    from .io.batches import open_batches

    try:
        return open_batches(path, fmt=fmt, encoding=encoding, sheet=sheet)
    except ReaderError as err:
        raise DataProblem("PR804", err.message_zh, err.message_en) from None


def error_rows_batch(ruleset, records, lang: str, columns: str = "all", id_column: str | None = None):
    """Flat rows for records that could not be read at all (PR804), named by their id where
    the row's cells hold it (a CSV line with too many or too few cells)."""
    from . import flat
    from .models import EvaluationResult, RecordError

    rows = []
    for rec in records:
        rid = record_id_of(rec, id_column)
        r = EvaluationResult(record_id=rid, row=rec.row, ok=False, ruleset=ruleset.info,
                             error=RecordError(code="PR804", message=rec.error or "", message_en=rec.error_en or ""))
        rows.append(flat.flat_row(ruleset, r, lang))
    return flat.rows_batch(ruleset, rows, lang, columns)


def record_id_of(rec, id_column: str | None):
    """The id of a record read from a file (or of a rejected row whose cells hold it), as text."""
    cells = rec.values if rec.values is not None else getattr(rec, "cells", None)
    if id_column is None or not cells:
        return None
    v = cells.get(id_column)
    return None if v is None else _id_text(v)


def merge_in_order(parts: list, schema):
    """Result batches (each sorted by row) merged into one batch in row order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [p for p in parts if p.num_rows]
    if not parts:
        return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)
    t = pa.Table.from_batches(parts, schema=schema)
    order = pc.sort_indices(t.column(1))  # the row-number column
    return t.take(order).combine_chunks().to_batches()[0]


from .memory import RELEASE_EVERY, StreamMemory, release_memory  # noqa: E402,F401 - release_memory: kept importable here


def prefetched(pieces: Iterable, depth: int = 2) -> Iterator:
    """The items of `pieces`, read ahead by a background thread (at most `depth` waiting): the
    reader parses and cleans the next piece while this thread evaluates and writes — pyarrow's
    readers and numpy release the GIL for most of their work. The reader's exceptions are
    raised here, in order; abandoning the iterator stops the reader."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for piece in pieces:
                if not put((piece, None)):
                    break
            else:
                put((end, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((None, exc))
        finally:
            close = getattr(pieces, "close", None)  # a generator: run its cleanup in this thread
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="perfrules-reader", daemon=True)
    reader.start()
    try:
        while True:
            item, exc = q.get()
            if exc is not None:
                raise exc
            if item is end:
                return
            yield item
            item = None
    finally:
        stop.set()
        reader.join()


def score_source(batcher: "Batcher", src, progress=None) -> Iterator:
    """Result batches for every piece of a BatchSource, unreadable rows in their place."""
    with StreamMemory() as memory:
        for piece in prefetched(src):
            parts = batcher.evaluate(piece.batch, piece.rows) if piece.batch.num_rows else []
            if piece.errors:
                parts = [merge_in_order(parts + [error_rows_batch(batcher.ruleset, piece.errors, batcher.lang, batcher.columns,
                                                                  batcher.id_column)],
                                        batcher.schema)]
            for p in parts:
                yield p
            if progress is not None:
                progress.update(src, sum(p.num_rows for p in parts), piece.at)
            parts = piece = p = None  # this loop's references: gone before collecting
            memory.after_piece()


def population_stats(batcher: "Batcher", pieces) -> list:
    """Phase 1 of population functions over every readable record of the data."""
    from .runtime.population import Stats, merge_all

    stats = merge_all(batcher.phase1(piece.batch) for piece in pieces if piece.batch.num_rows)
    return stats or [Stats() for _ in batcher.ruleset.program.populations]


def run_file(ruleset, data, output, *, fmt=None, out_fmt=None, encoding=None, sheet=None, mapping=None,
             id_column=None, as_of=None, lang: str = "zh", backend: str = "columnar", summary=None,
             progress=None, columns: str = "all") -> Stats:
    """Score a data file into an output file, streaming. Raises DataProblem before any work when
    the file cannot be read or columns are missing; returns what was done."""
    from . import flat
    from .io.batch_writers import check_fits, write_batches

    src = open_data(data, fmt=fmt, encoding=encoding, sheet=sheet)
    with src:
        by_input = resolve(ruleset, src.columns, mapping, id_column, source=src)
        if summary is not None:
            summary.dates_from(src.columns, as_of)
        check_fits(output, getattr(src, "rows_total", None), fmt=out_fmt)
        b = Batcher(ruleset, by_input, as_of=as_of, lang=lang, id_column=id_column, backend=backend, columns=columns)
        if ruleset.has_population:
            b.pop, b.pop_members = population_stats(b, src), True
        # three stages on their own threads: reading (in score_source), scoring, writing (here)
        results = prefetched(score_source(b, src, progress))
        if summary is not None:
            results = summary.watch(results, lang)
        write_batches(results, output, b.schema, fmt=out_fmt, to_text=flat.as_text, typed=flat.as_stored)
        if summary is not None:
            summary.skipped += src.skipped
        if progress is not None:
            progress.done()
    return b.stats
