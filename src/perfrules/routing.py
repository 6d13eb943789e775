"""Routing: one data file with many departments, each scored by its own ruleset.

A ruleset says which departments it applies to (`applies to "区卫健局"`); the unit column
(the first of routing.UNIT_COLUMNS — 单位名称, 部门, 单位… — or `--unit-column`) says which department a record is. Routes come
from every rule file under a directory (`--rulesets DIR`: files without `applies to`, such as
shared 共性指标 files, are not routes) or from a JSON file (`--routes routes.json`:
{"区卫健局": "health/health.rules"}, paths relative to that file).

Each ruleset scores its own records column-at-a-time; the output keeps the input order in one
file whose columns are the union of every ruleset's (the shared ones first, then a 规则集 /
ruleset column, then each ruleset's own columns in order). A column two rulesets type
differently is written as text. A record no ruleset applies to is an error row.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .io.mapping import fold_name, read_json_text
from .oserrors import os_reason


UNIT_COLUMNS = ("单位名称", "部门", "单位", "部门名称", "预算单位", "预算单位名称", "单位全称")  # the first the file has
_APPLIES = re.compile(r"^\s*applies\s+to\b", re.MULTILINE)


class RouteProblem(Exception):
    """Routes cannot be set up (a rule file with errors, two rulesets for one unit, …)."""

    def __init__(self, code: str, zh: str, en: str, compile_error=None):
        super().__init__(en)
        self.code, self.zh, self.en, self.compile_error = code, zh, en, compile_error

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class Routes:
    """unit → ruleset, and where each ruleset came from."""

    units: dict = field(default_factory=dict)  # unit name → Ruleset
    files: dict = field(default_factory=dict)  # id(Ruleset) → path

    @property
    def rulesets(self) -> list:
        seen, out = set(), []
        for rs in self.units.values():
            if id(rs) not in seen:
                seen.add(id(rs))
                out.append(rs)
        return out

    def add(self, unit: str, ruleset, path) -> None:
        other = self.units.get(unit)
        if other is not None and other is not ruleset:
            a, b = self.files[id(other)], path
            raise RouteProblem("PR805", f"两个规则集都适用于“{unit}”：{a}、{b}",
                               f"two rulesets apply to {unit!r}: {a} and {b}")
        self.units[unit] = ruleset
        self.files[id(ruleset)] = path


def routes_from_dir(directory) -> Routes:
    """Every rule file under `directory` that says `applies to`."""
    from .api import CompileError, load

    root = Path(directory)
    if not root.is_dir():
        raise RouteProblem("PR804", f"找不到规则目录：{root}", f"no such rules directory: {root}")
    routes = Routes()
    for path in sorted(root.rglob("*.rules")):
        if path.is_dir():  # a folder named like a rule file (e.g. backup.rules/) holds no rules itself
            continue
        try:
            rs = load(path)
        except OSError as err:
            # A dangling link or an unreadable file: said in the user's language, as for a single
            # rule file (it reached the generic handler as "[Errno 2] No such file …").
            raise RouteProblem("PR804", f"无法读取规则文件 {path}：{os_reason(err)}",
                               f"cannot read rule file {path}: {err.strerror}") from None
        except CompileError as err:
            if _APPLIES.search(path.read_text(encoding="utf-8", errors="replace")):
                raise RouteProblem("PR805", f"规则文件有错误：{path}", f"the rule file has errors: {path}", err) from None
            continue  # not a route (a shared file that only compiles inside another)
        for unit in rs.program.applies_to:
            routes.add(unit.strip(), rs, path)
    if not routes.units:
        raise RouteProblem("PR805", f"{root} 下没有写明 applies to 的规则文件", f"no rule file under {root} says `applies to`")
    return routes


def routes_from_file(path) -> Routes:
    """A JSON object {"unit": "rule file"} (paths relative to the JSON file)."""
    from .api import CompileError, load

    p = Path(path)
    try:
        data = json.loads(read_json_text(p))
    except UnicodeDecodeError:  # was an internal error (exit 70)
        raise RouteProblem("PR804", f"无法读取路由文件 {p}：不是 UTF-8 或 GB18030 编码的文本",
                           f"cannot read routes file {p}: the text is neither UTF-8 nor GB18030") from None
    except OSError as err:
        raise RouteProblem("PR804", f"无法读取路由文件 {p}：{os_reason(err)}", f"cannot read routes file {p}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise RouteProblem("PR804", f"路由文件不是合法的 JSON（第{err.lineno}行第{err.colno}列）：{p}",
                           f"routes file is not valid JSON (line {err.lineno}, column {err.colno}): {p}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise RouteProblem("PR804", f'路由文件应为 {{"单位名称": "规则文件"}} 形式的 JSON 对象：{p}',
                           f'routes file must be a JSON object {{"unit": "rule file"}}: {p}')
    if not data:  # `{}`: no route at all, not a run where every record is an error row
        raise RouteProblem("PR805", f"路由文件里没有任何单位：{p}", f"the routes file names no unit: {p}")
    blank = [f"“{k}”" for k, v in data.items() if not k.strip() or not v.strip()]
    if blank:
        raise RouteProblem("PR804", f"路由文件里单位名称或规则文件为空：{'、'.join(blank)}（{p}）",
                           f"the routes file has a blank unit or rule file: {', '.join(blank)} ({p})")
    routes, loaded = Routes(), {}
    for unit, rel in data.items():
        rp = (p.parent / rel).resolve()
        if rp not in loaded:
            try:
                loaded[rp] = load(rp)
            except CompileError as err:
                raise RouteProblem("PR805", f"规则文件有错误：{rel}", f"the rule file has errors: {rel}", err) from None
            except OSError as err:
                # Say where it looked: a path written relative to the current folder looked right and failed.
                raise RouteProblem("PR804", f"无法读取规则文件 {rel}（{rp}；路径相对于路由文件 {p} 所在的文件夹）：{os_reason(err)}",
                                   f"cannot read rule file {rel} ({rp}; paths are relative to the folder of the routes file {p}): "
                                   f"{err.strerror}") from None
        routes.add(unit.strip(), loaded[rp], rel)
    return routes


# ---- the union of the rulesets' columns
def union_schema(rulesets: list, lang: str, columns: str = "all"):
    """The output schema: shared leading columns, the ruleset column, then every ruleset's own."""
    import pyarrow as pa

    from .flat import HEADERS, schema

    h = HEADERS[lang]
    fields: dict = {}
    for rs in rulesets:
        for f in schema(rs, lang, columns):
            old = fields.get(f.name)
            if old is None:
                fields[f.name] = f
            elif old.type != f.type:
                fields[f.name] = pa.field(f.name, pa.string())
    lead = [h["id"], h["row"], h["status"], h["error"]]
    tail = [n for n in (h["alerts"], h["flags"]) if n in fields]
    out = [fields[n] for n in lead] + [pa.field(h["ruleset"], pa.string())]
    out += [f for n, f in fields.items() if n not in lead and n not in tail]
    out += [fields[n] for n in tail]
    return pa.schema(out)


def conform(batch, target, ruleset_name: str | None, lang: str):
    """A flat batch of one ruleset in the union schema (missing columns null, text where the
    union says text)."""
    import pyarrow as pa

    from .flat import HEADERS, decimal_text

    h = HEADERS[lang]
    n = batch.num_rows
    have = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
    arrays = []
    for f in target:
        if f.name == h["ruleset"]:
            arrays.append(pa.array([ruleset_name] * n, pa.string()))
            continue
        col = have.get(f.name)
        if col is None:
            arrays.append(pa.nulls(n, f.type))
        elif col.type == f.type:
            arrays.append(col)
        elif pa.types.is_decimal(col.type):
            arrays.append(decimal_text(col, strip=col.type.scale == 10))
        else:
            arrays.append(col.cast(f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=target)


class Router:
    """Scores pieces of a BatchSource with the ruleset each record's unit names."""

    def __init__(self, routes: Routes, columns: list[str], *, unit_column: str | None = None, mapping=None,
                 id_column=None, as_of=None, lang: str = "zh", backend: str = "columnar",
                 result_columns: str = "all", repeats: dict | None = None):
        from .batch import Batcher, DataProblem, no_id_column, repeated_columns, resolve

        self.lang = lang
        self.columns = result_columns  # which result columns (flat.COLUMN_SETS)
        if unit_column is None:
            unit_column = next((c for c in UNIT_COLUMNS if c in columns), None)
            if unit_column is None:
                raise DataProblem("PR802", f"找不到单位列（{'、'.join(UNIT_COLUMNS)}）；用 --unit-column 指定",
                                  f"no unit column ({', '.join(UNIT_COLUMNS)}); name it with --unit-column")
        elif unit_column not in columns:
            raise DataProblem("PR802", f"找不到单位列 {unit_column}（--unit-column）", f"no unit column {unit_column} (--unit-column)")
        if id_column is not None and id_column not in columns:
            raise no_id_column(id_column, columns)
        self.unit_column = unit_column
        self.id_column = id_column if id_column is not None else unit_column  # a record is known by its unit
        id_column = self.id_column
        repeated_columns(repeats, {unit_column, id_column})  # `repeats`: the source's repeated header names
        self.routes = routes
        self.rulesets = routes.rulesets
        self.schema = union_schema(self.rulesets, lang, result_columns)
        self.batchers, self.problems = {}, {}
        for rs in self.rulesets:
            try:
                by_input = resolve(rs, columns, mapping, id_column)
                repeated_columns(repeats, set(by_input.values()))
            except DataProblem as err:
                self.problems[id(rs)] = err  # its records become error rows naming the columns
                continue
            self.batchers[id(rs)] = Batcher(rs, by_input, as_of=as_of, lang=lang, id_column=id_column, backend=backend,
                                            columns=result_columns)
        self.index = {unit: k for k, rs in enumerate(self.rulesets) for unit, r in routes.units.items() if r is rs}
        # Another system writes 区农业农村局(含下属单位) for （…）, full-width letters or digits, a space
        # inside the name or another ASCII case: matched when exactly one ruleset's unit is that
        # name but for such forms (as column headers are matched).
        self.loose: dict = {}
        for unit, k in self.index.items():
            key = fold_name(unit)
            self.loose[key] = k if self.loose.get(key, k) == k else -1

    def name_of(self, rs) -> str:
        return rs.id or str(self.routes.files[id(rs)])

    def _codes(self, batch) -> tuple[np.ndarray, list]:
        col = batch.column(self.unit_column)
        units = col if isinstance(col, list) else col.to_pylist()
        texts = [_unit_text(u) for u in units]
        index, loose = self.index, self.loose
        codes = [index.get(t, -2) for t in texts]
        for i, c in enumerate(codes):
            if c == -2:
                codes[i] = loose.get(fold_name(texts[i]), -1)
        return np.array(codes, dtype=np.int32), texts

    def phase1(self, pieces) -> None:
        """Population statistics per ruleset, over the records routed to it."""
        from .runtime.population import Stats, merge_all

        need = [rs for rs in self.rulesets if rs.has_population and id(rs) in self.batchers]
        if not need:
            return
        parts = {id(rs): [] for rs in need}
        for piece in pieces:
            codes, _ = self._codes(piece.batch)
            for rs in need:
                idx = np.flatnonzero(codes == self.rulesets.index(rs))
                if len(idx):
                    parts[id(rs)].append(self.batchers[id(rs)].phase1(piece.batch.take(idx)))
        for rs in need:
            stats = merge_all(parts[id(rs)])
            b = self.batchers[id(rs)]
            b.pop, b.pop_members = stats or [Stats() for _ in rs.program.populations], True

    def evaluate(self, piece):
        """One merged result batch, in row order, for a piece."""
        from .batch import error_rows_batch, merge_in_order

        batch, rows = piece.batch, piece.rows
        parts = []
        if batch.num_rows:
            codes, texts = self._codes(batch)
            for k, rs in enumerate(self.rulesets):
                idx = np.flatnonzero(codes == k)
                if not len(idx):
                    continue
                b = self.batchers.get(id(rs))
                if b is None:
                    parts.append(self._errors(batch, idx, rows[idx], self.problems[id(rs)], rs))
                    continue
                for part in b.evaluate(batch.take(idx), rows[idx]):
                    parts.append(conform(part, self.schema, self.name_of(rs), self.lang))
            lost = np.flatnonzero(codes < 0)
            if len(lost):
                parts.append(self._unrouted(batch, lost, rows[lost], [texts[i] for i in lost]))
        if piece.errors:
            parts.append(conform(error_rows_batch(self.rulesets[0], piece.errors, self.lang, self.columns, self.id_column), self.schema, None, self.lang))
        return merge_in_order(parts, self.schema)

    def _ids(self, batch, idx):
        if self.id_column is None:
            return [None] * len(idx)
        from .batch import _id_text

        col = batch.column(self.id_column)
        values = col if isinstance(col, list) else col.to_pylist()
        return [None if values[i] is None else _id_text(values[i]) for i in idx]

    def _unrouted(self, batch, idx, rows, units):
        zh, en = [], []
        for u in units:
            if u:
                zh.append(f"没有适用于“{u}”的规则集（{self.unit_column}）")
                en.append(f"no ruleset applies to {u!r} ({self.unit_column})")
            else:
                zh.append(f"{self.unit_column}为空，无法确定规则集")
                en.append(f"{self.unit_column} is empty: no ruleset to apply")
        return self._error_batch(self._ids(batch, idx), rows, zh if self.lang == "zh" else en, None)

    def _errors(self, batch, idx, rows, problem, rs):
        return self._error_batch(self._ids(batch, idx), rows, [problem.text(self.lang)] * len(rows), self.name_of(rs))

    def _error_batch(self, ids, rows, messages, ruleset_name):
        import pyarrow as pa

        from .flat import HEADERS

        h = HEADERS[self.lang]
        n = len(rows)
        arrays = []
        for f in self.schema:
            if f.name == h["id"]:
                arrays.append(pa.array(ids, pa.string()))
            elif f.name == h["row"]:
                arrays.append(pa.array(np.asarray(rows, dtype=np.int64)))
            elif f.name == h["status"]:
                arrays.append(pa.array([h["failed"]] * n, pa.string()))
            elif f.name == h["error"]:
                arrays.append(pa.array(messages, pa.string()))
            elif f.name == h["ruleset"]:
                arrays.append(pa.array([ruleset_name] * n, pa.string()))
            else:
                arrays.append(pa.nulls(n, f.type))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def run_routed(routes: Routes, data, output, *, unit_column=None, fmt=None, out_fmt=None, encoding=None, sheet=None,
               mapping=None, id_column=None, as_of=None, lang: str = "zh", backend: str = "columnar",
               summary=None, progress=None, warn=None, columns: str = "all"):
    """Score a many-department data file into one output file, streaming (see the module doc)."""
    from . import flat
    from .batch import open_data
    from .io.batch_writers import write_batches

    src = open_data(data, fmt=fmt, encoding=encoding, sheet=sheet)
    with src:
        router = Router(routes, src.columns, unit_column=unit_column, mapping=mapping, id_column=id_column,
                        as_of=as_of, lang=lang, backend=backend, result_columns=columns, repeats=src.repeats)
        if summary is not None:
            summary.dates_from(src.columns, as_of)
        router.phase1(src)

        def results():
            from .memory import StreamMemory

            with StreamMemory() as memory:
                for piece in src:
                    out = router.evaluate(piece)
                    if progress is not None:
                        progress.update(src, out.num_rows, piece.at)
                    yield out
                    out = piece = None  # this loop's references: gone before collecting
                    memory.after_piece()

        stream = results()
        if summary is not None:
            stream = summary.watch(stream, lang)
        write_batches(stream, output, router.schema, fmt=out_fmt, to_text=flat.as_text, typed=flat.as_stored)
        if summary is not None:
            summary.skipped += src.skipped
        if progress is not None:
            progress.done()
    return router


def _unit_text(u) -> str:
    """A unit cell as the routes name it: a code read as a number (an Excel cell, a float
    column with blanks) is its digits — 101.0 is unit 101, not a unit nobody routes."""
    if u is None:
        return ""
    if isinstance(u, float) and u.is_integer():
        return str(int(u))
    return str(u).strip()
