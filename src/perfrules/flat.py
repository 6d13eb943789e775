"""The flat result layout: one row per record, one column per result figure.

Both evaluation paths produce it: `flatten` turns one EvaluationResult into a dict of strings
(the row path), `chunk_batch` turns a ChunkResult of the columnar backend into an Arrow record
batch with the same columns. `schema` gives the Arrow types: exact decimals for scores and the
total (decimal128 at the ruleset's places) and for numeric values and outputs (decimal128 at 10
places, as `value` texts are rounded); strings for everything else. `as_text` turns a batch into
the very strings `flatten` gives, for text formats (CSV, JSON, XLSX).
"""
from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np

HEADERS = {
    "zh": {"id": "记录", "row": "行号", "status": "状态", "error": "错误", "total": "总分", "grade": "等级",
           "value": "值", "alerts": "预警", "flags": "说明", "ok": "正常", "failed": "错误", "ruleset": "规则集"},
    "en": {"id": "id", "row": "row", "status": "status", "error": "error", "total": "total", "grade": "grade",
           "value": "value", "alerts": "alerts", "flags": "flags", "ok": "ok", "failed": "error", "ruleset": "ruleset"},
}
VALUE_SCALE = 10
# Which result columns to produce: everything; no leaf values; only what a record adds up to.
COLUMN_SETS = ("all", "scores", "total")
SCORE_PRECISION = 18
VALUE_PRECISION = 38
_SCALARS: dict = {}

# Notes of the flags column that the result objects carry as codes (Flag.code, total None).
NOTES = {
    "zh": {"excluded": "不适用（不计入总分）：", "no_total": "全部指标均不适用，不计总分"},
    "en": {"excluded": "not applicable (left out of the total): ", "no_total": "every indicator is not applicable; no total"},
}


def alert_head(level: str, name: str, lang: str) -> str:
    """'[预警] 名称: ' — an alert's level as rule authors say it (report.LEVELS_ZH), then its name."""
    from .report import LEVELS_ZH

    return f"[{LEVELS_ZH.get(level, level) if lang == 'zh' else level}] {name}: "


def sv(text: str):
    """A typed Arrow string scalar, built once. (Passing a bare Python str to a pyarrow
    compute function makes pyarrow try an optional import on every call, which is slow.)"""
    v = _SCALARS.get(text)
    if v is None:
        import pyarrow as pa

        v = _SCALARS[text] = pa.scalar(text, pa.string())
    return v


# ---- the columns
def column_names(ruleset) -> dict[int, str]:
    """An indicator's column: its name if unique, else its path."""
    counts = Counter(i.name for i in ruleset.program.indicators)
    return {i.id: (i.name if counts[i.name] == 1 else i.dotted) for i in ruleset.program.indicators}


# A rule file's own columns (an indicator, its value, a group's grade, an output) whose name is
# already a column — a fixed one (说明, 预警, 总分, 规则集 …), or one before it (an output named
# like an indicator) — get what they are as a suffix: 说明（输出）. Two columns of one name
# would make the results ambiguous, and Arrow formats refuse them.
_KINDS = {"zh": {"score": "指标", "group_grade": "分组等级", "output": "输出"},
          "en": {"score": "indicator", "group_grade": "group grade", "output": "output"}}


def result_names(ruleset, lang: str = "zh") -> dict[tuple, str]:
    """The result column of each of the rule file's own figures, keyed ("score", id),
    ("value", id), ("group_grade", i), ("output", name); unique among themselves and the fixed
    columns (HEADERS), as the 'all' column set has them (so every column set names a figure alike)."""
    cache = ruleset.__dict__.setdefault("_flat_names", {})
    got = cache.get(lang)
    if got is not None:
        return got
    h = HEADERS[lang]
    taken = {v for k, v in h.items() if k not in ("value", "ok", "failed")}
    out: dict[tuple, str] = {}

    def claim(key: tuple, name: str, kind: str) -> str:
        if name in taken:
            word = _KINDS[lang][kind]
            base = f"{name}（{word}）" if lang == "zh" else f"{name} ({word})"
            name, k = base, 2
            while name in taken:
                name, k = f"{base}{k}", k + 1
        taken.add(name)
        out[key] = name
        return name

    p = ruleset.program
    names = column_names(ruleset)
    for ind in p.indicators:
        col = claim(("score", ind.id), names[ind.id], "score")
        if ind.is_leaf and ind.value is not None:
            claim(("value", ind.id), f"{col}.{h['value']}", "score")
    for i, g in enumerate(p.grades):
        if g.target != "total":
            claim(("group_grade", i), f"{g.label}.{h['grade']}", "group_grade")
    for o in p.outputs:
        claim(("output", o.name), o.name, "output")
    cache[lang] = out
    return out


def flat_columns(ruleset, lang: str = "zh", columns: str = "all") -> list[str]:
    return [name for name, _ in _layout(ruleset, lang, columns)]


def _layout(ruleset, lang: str, columns: str = "all") -> list[tuple[str, tuple]]:
    """[(column, (what, …)), …]: what the column holds, in order. `columns` (COLUMN_SETS):
    'all'; 'scores' leaves out the leaves' values; 'total' also every indicator's score and
    the flags, keeping status, error, total, grades, outputs and alerts."""
    if columns not in COLUMN_SETS:
        raise ValueError(f"columns must be one of {', '.join(COLUMN_SETS)}, not {columns!r}")
    h = HEADERS[lang]
    p = ruleset.program
    cols = [(h["id"], ("id",)), (h["row"], ("row",)), (h["status"], ("status",)), (h["error"], ("error",)),
            (h["total"], ("total",)), (h["grade"], ("grade",))]
    names = result_names(ruleset, lang)
    for ind in p.indicators:
        if columns == "total":
            break
        cols.append((names["score", ind.id], ("score", ind.id)))
        if columns == "all" and ind.is_leaf and ind.value is not None:
            cols.append((names["value", ind.id], ("value", ind.id, ind.value.type)))
    for i, g in enumerate(p.grades):
        if g.target != "total":
            cols.append((names["group_grade", i], ("group_grade", i)))
    for o in p.outputs:
        cols.append((names["output", o.name], ("output", o.name, o.expr.type, o.places)))
    cols.append((h["alerts"], ("alerts",)))
    if columns != "total":
        cols.append((h["flags"], ("flags",)))
    return cols


def schema(ruleset, lang: str = "zh", columns: str = "all"):
    """The Arrow schema of the flat results."""
    import pyarrow as pa

    places = ruleset.program.settings.places
    fields = []
    for name, what in _layout(ruleset, lang, columns):
        fields.append(pa.field(name, _arrow_type(what, places)))
    return pa.schema(fields)


def _arrow_type(what: tuple, places: int):
    import pyarrow as pa

    kind = what[0]
    if kind == "row":
        return pa.int64()
    if kind in ("total", "score"):
        return pa.decimal128(SCORE_PRECISION, places)
    if kind == "output" and what[2].numeric and what[3] is not None:
        return pa.decimal128(VALUE_PRECISION, what[3])  # round(x, k): shown with k places
    if kind in ("value", "output") and what[2].numeric:
        return pa.decimal128(VALUE_PRECISION, VALUE_SCALE)
    if kind in ("alerts", "flags"):
        return pa.list_(pa.string())
    return pa.string()


# ---- the row path
def flat_row(ruleset, r, lang: str = "zh") -> dict:
    """One result as a row of the flat layout: exact decimals as strings, alerts and flags as
    lists of their texts (None when there are none)."""
    h = HEADERS[lang]
    row = {h["id"]: r.record_id, h["row"]: r.row, h["status"]: h["ok"] if r.ok else h["failed"],
           h["error"]: None if r.error is None else (r.error.message if lang == "zh" else r.error.message_en),
           h["total"]: None if r.total is None else str(r.total), h["grade"]: r.grade}
    names = column_names(ruleset)
    cols = result_names(ruleset, lang)
    by_path = {i.path: i for i in r.indicators}
    flags = []
    for ind in ruleset.program.indicators:
        res = by_path.get(ind.dotted)
        col = names[ind.id]
        row[cols["score", ind.id]] = None if res is None or res.score is None or res.excluded else str(res.score)
        if ind.is_leaf and ind.value is not None:
            value = None if res is None else res.value
            if ind.value.type.numeric:
                value = _fitting(value, col, flags, lang)
            row[cols["value", ind.id]] = value
        if res is not None:
            for f in res.flags:
                note = NOTES[lang]["excluded"] if f.code == "excluded" else ""
                flags.append(f"{col}: {note}{f.message if lang == 'zh' else f.message_en}")
    if r.ok and r.error is None and r.total is None:
        flags.append(f"{h['total']}: {NOTES[lang]['no_total']}")
    for i, g in enumerate(ruleset.program.grades):
        if g.target != "total":
            row[cols["group_grade", i]] = r.group_grades.get(g.label)
    for o in ruleset.program.outputs:
        value = r.outputs.get(o.name)
        row[cols["output", o.name]] = _fitting(value, o.name, flags, lang) if o.expr.type.numeric else value
    row[h["alerts"]] = [alert_head(a.level, a.name, lang) + a.message for a in r.alerts] or None
    row[h["flags"]] = flags or None
    return row


_WHOLE_DIGITS = VALUE_PRECISION - VALUE_SCALE  # what a decimal128 value column holds before the point


def _fitting(text: str | None, col: str, flags: list, lang: str) -> str | None:
    """A number's text if the result files' decimal column can hold it; else None and a flag
    saying so (an amount beyond 10^28 is a data error far more often than a real figure)."""
    if text is None:
        return None
    whole = len(text.lstrip("-").split(".")[0])
    if whole <= _WHOLE_DIGITS:
        return text
    shown = text if len(text) <= 24 else f"{text[:12]}…（{whole} 位）"
    if lang == "zh":
        flags.append(f"{col}: 数值 {shown} 超过结果文件可写的 {_WHOLE_DIGITS} 位整数，未写出")
    else:
        shown = shown.replace("位）", "digits)").replace("（", " (")
        flags.append(f"{col}: the value {shown} has more than the {_WHOLE_DIGITS} whole digits a result file holds; not written")
    return None


def flatten(ruleset, r, lang: str = "zh") -> dict:
    """One output row of strings (alerts and flags joined by '; '), so nothing is lost to floats."""
    row = flat_row(ruleset, r, lang)
    h = HEADERS[lang]
    for key in (h["alerts"], h["flags"]):
        row[key] = "; ".join(row[key]) if row[key] else None
    return row


def rows_batch(ruleset, rows: list[dict], lang: str = "zh", columns: str = "all"):
    """Rows of flat_row → an Arrow batch of the flat schema."""
    import pyarrow as pa

    sch = schema(ruleset, lang, columns)
    arrays = []
    for f in sch:
        values = [r.get(f.name) for r in rows]
        arrays.append(_typed(values, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=sch)


def _typed(values: list, typ):
    import pyarrow as pa
    from decimal import Decimal

    if pa.types.is_decimal(typ):
        return pa.array([None if v is None else Decimal(v) for v in values], typ)
    return pa.array(values, typ)


# ---- text for text formats
def as_text(batch):
    """A flat batch with every column as the strings `flatten` gives (decimals without
    trailing zeros for values; scores keep their places)."""
    import pyarrow as pa

    arrays, fields = [], []
    for f, col in zip(batch.schema, batch.columns):
        if pa.types.is_decimal(f.type):
            col = decimal_text(col, strip=f.type.scale == VALUE_SCALE)
        elif pa.types.is_list(f.type):
            col = joined_text(col)
        arrays.append(col)
        fields.append(pa.field(f.name, col.type))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def as_stored(batch):
    """A flat batch as Parquet/Arrow files store it: exact decimals kept, alerts and flags joined
    into one string each (as in the text formats)."""
    import pyarrow as pa

    arrays, fields = [], []
    for f, col in zip(batch.schema, batch.columns):
        if pa.types.is_list(f.type):
            col = joined_text(col)
        arrays.append(col)
        fields.append(pa.field(f.name, col.type))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def joined_text(col, sep: str = "; "):
    """A list<string> column as one string per row joined by sep (null for an empty list)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.binary_join(col, sv(sep))
    return pc.if_else(pc.greater(pc.list_value_length(col).fill_null(0), 0), text, pa.scalar(None, pa.string()))


def decimal_text(col, strip: bool = False):
    """Plain decimal text of a decimal128 column ('0.00', '-1.50'; never '0E-10'), with trailing
    zeros and a bare point removed when `strip` (format_plain's text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scale = col.type.scale
    n = len(col)
    if n == 0:
        return pa.array([], pa.string())
    valid = col.is_valid().to_numpy(zero_copy_only=False)
    words = np.frombuffer(col.buffers()[1], dtype="<i8")[2 * col.offset: 2 * (col.offset + n)]
    lo, hi = words[0::2], words[1::2]
    fits = (hi == np.where(lo < 0, -1, 0)) | ~valid
    if not fits.all():  # beyond int64: rare, done one by one
        texts = [None if not ok else _plain(format(v, "f"), strip) for v, ok in zip(col.to_pylist(), valid)]
        return pa.array(texts, pa.string())
    q = np.where(valid, lo, 0)
    neg = q < 0
    mag = np.abs(q.astype(object)) if (q == np.iinfo(np.int64).min).any() else np.abs(q)
    unit = 10 ** scale
    whole = pc.cast(pa.array(mag // unit), pa.string())
    if scale:
        frac = pc.utf8_lpad(pc.cast(pa.array(mag % unit), pa.string()), scale, "0")
        text = pc.binary_join_element_wise(whole, frac, sv("."))
        if strip:
            text = pc.utf8_rtrim(pc.utf8_rtrim(text, characters="0"), characters=".")
    else:
        text = whole
    sign = pa.array(np.where(neg, "-", ""))
    text = pc.binary_join_element_wise(sign, text, sv(""))
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


def _plain(text: str, strip: bool) -> str:
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---- the columnar path
class _Strings:
    """A string column built as dictionary codes plus per-row overrides."""

    def __init__(self, n: int):
        self.codes = np.full(n, -1, dtype=np.int32)
        self.words: list[str] = []
        self.index: dict[str, int] = {}

    def word(self, text: str) -> int:
        if self.index is None:
            self.index = {}
            for j, w in enumerate(self.words):
                self.index.setdefault(w, j)
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.words)
            self.words.append(text)
        return i

    def set(self, row: int, text: str | None) -> None:
        self.codes[row] = -1 if text is None else self.word(text)

    def array(self):
        import pyarrow as pa

        if not self.words:
            return pa.nulls(len(self.codes), pa.string())
        idx = pa.array(self.codes, mask=self.codes < 0, type=pa.int32())
        return pa.DictionaryArray.from_arrays(idx, pa.array(self.words, pa.string())).cast(pa.string())


class _Decimals:
    """A decimal128 column built from integers q (value × 10^scale) plus per-row overrides."""

    def __init__(self, q, valid, precision: int, scale: int):
        self.q, self.valid = q, valid
        self.precision, self.scale = precision, scale
        self._own = False

    def set(self, row: int, text: str | None) -> None:
        from decimal import Decimal

        from .runtime.numbers import EXACT

        if not self._own:  # copy on the first override only
            q = np.asarray(self.q)
            self.q = np.array(q, dtype=object if q.dtype == object else np.int64)
            self.valid = np.array(self.valid, dtype=bool)
            self._own = True
        if text is None:
            self.valid[row] = False
            return
        q = int(Decimal(text).scaleb(self.scale, EXACT))
        if self.q.dtype != object and not (-(2**63) < q < 2**63):
            self.q = self.q.astype(object)
        self.q[row] = q
        self.valid[row] = True

    def array(self):
        return _decimal(self.q, np.asarray(self.valid), self.precision, self.scale)


class _Joined:
    """Per row, the texts of several parts in order, as a list<string> column (flags, alerts),
    plus per-row overrides."""

    def __init__(self, n: int):
        self.n = n
        self.parts: list = []  # (codes, words)
        self.over: dict[int, list | None] = {}

    def add(self, part: _Strings) -> None:
        if (part.codes >= 0).any():
            self.parts.append((part.codes, part.words))

    def set(self, row: int, texts: list | None) -> None:
        self.over[row] = texts

    def array(self):
        import pyarrow as pa

        n = self.n
        words: list[str] = []
        for _, w in self.parts:
            words.extend(w)
        if self.parts:
            # (row, part) pairs of the few texts there are, ordered by row and then part: no
            # parts × rows matrix to build and read across
            at, codes, base = [], [], 0
            for c, w in self.parts:
                r = np.flatnonzero(c >= 0)
                at.append(r)
                codes.append(c[r] + base)
                base += len(w)
            rows, values = np.concatenate(at), np.concatenate(codes)
            values = values[np.argsort(rows, kind="stable")]
            count = np.bincount(rows, minlength=n)
        else:
            count = np.zeros(n, dtype=np.int64)
            values = np.zeros(0, dtype=np.int32)
        if self.over:
            # an override row's texts go in at its place: rebuild the value runs around it
            lengths = count.astype(np.int64)
            extra = {}
            for i, texts in self.over.items():
                texts = texts or []
                extra[i] = [len(words) + j for j in range(len(texts))]
                words.extend(texts)
                lengths[i] = len(texts)
            starts = np.concatenate([[0], np.cumsum(count)])
            pieces = []
            last = 0
            for i in sorted(extra):
                pieces.append(values[starts[last]:starts[i]])
                pieces.append(np.array(extra[i], dtype=values.dtype))
                last = i + 1
            pieces.append(values[starts[last]:])
            values = np.concatenate(pieces) if pieces else values
            count = lengths
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(count, out=offsets[1:])
        valid = count > 0
        dictionary = pa.array(words, pa.string())
        vals = pa.DictionaryArray.from_arrays(pa.array(values.astype(np.int32), type=pa.int32()), dictionary).cast(pa.string())
        mask = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
        return pa.Array.from_buffers(pa.list_(pa.string()), n, [mask, pa.py_buffer(offsets)], children=[vals],
                                         null_count=int(n - valid.sum()))


def _clamp_texts(ind, q4: np.ndarray, side: str, col: str, lang: str) -> list[str]:
    """backends.common.clamp_flag's message for many rows: the template is taken from
    clamp_flag itself (with a marker value), the shown raw points are filled in by Arrow."""
    import pyarrow.compute as pc
    from fractions import Fraction

    from .backends.common import clamp_flag

    marker = Fraction(-987654321987654321, 10**4)
    kept = Fraction(0) if side == "low" else ind.weight
    _, zh, en = clamp_flag(marker, kept, side)
    text = zh if lang == "zh" else en
    shown_marker = "-98765432198765.4321"
    if text.count(shown_marker) != 1:  # pragma: no cover - a changed template: do it row by row
        return [f"{col}: " + (clamp_flag(Fraction(int(q), 10**4), kept, side)[1 if lang == "zh" else 2]) for q in q4]
    head, tail = text.split(shown_marker)
    shown = decimal_text(_decimal(q4, np.ones(len(q4), dtype=bool), VALUE_PRECISION, 4), strip=True)
    return pc.binary_join_element_wise(sv(f"{col}: {head}"), shown, sv(tail), sv("")).to_pylist()


def _decimal(q, valid: np.ndarray, precision: int, scale: int):
    """decimal128 array from integers q (int64, float64 holding integers below 2^53 — a rounded
    score — or Python ints) = value × 10^scale; the cast to int64 is part of the first pass."""
    import pyarrow as pa

    from .runtime.numbers import scaled_decimal

    n = len(valid)
    typ = pa.decimal128(precision, scale)
    q = np.asarray(q)
    if q.dtype == object:
        return pa.array([scaled_decimal(int(v), scale) if ok else None for v, ok in zip(q, valid)], typ)
    all_valid = bool(valid.all())
    buf = np.empty((n, 2), dtype="<i8")
    if all_valid:
        buf[:, 0] = q
    else:
        np.multiply(q, valid, out=buf[:, 0], casting="unsafe")
    np.right_shift(buf[:, 0], 63, out=buf[:, 1])  # sign extension: -1 for negatives, else 0
    bitmap = None if all_valid else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(typ, n, [bitmap, pa.py_buffer(buf)], null_count=0 if all_valid else int(n - valid.sum()))


def chunk_batch(ruleset, res, rows, ids=None, errors=None, lang: str = "zh", columns: str = "all"):
    """The flat Arrow batch of one columnar ChunkResult.

    rows: the records' row numbers; ids: their ids (or None); errors: row → [FieldError] for
    records that could not be converted. Rows the reference evaluated (res.exact) and error
    rows are flattened by the row path's `flatten` and set over the vectorised columns, so
    their text is the row path's by construction."""
    import pyarrow as pa

    from .backends.colnum import Num

    errors = errors or {}
    h = HEADERS[lang]
    p = ruleset.program
    n = res.n
    names = column_names(ruleset)
    computed = np.ones(n, dtype=bool)
    ids_list = None if ids is None else list(ids)
    over: dict[int, dict] = {}
    for i, errs in errors.items():
        rid = None if ids_list is None else ids_list[i]
        over[i] = flat_row(ruleset, ruleset.to_result(None, errs, record_id=rid, row=int(rows[i])), lang)
    for i, raw in res.exact.items():
        if i not in over:
            rid = None if ids_list is None else ids_list[i]
            over[i] = flat_row(ruleset, ruleset.to_result(raw, [], record_id=rid, row=int(rows[i])), lang)
    if over:
        computed[list(over)] = False
    reasons = res.reasons
    rtext = [None] + [r.text(lang) for r in reasons[1:]]

    def present(m):  # (shared by columns: _Decimals copies it before an override)
        if np.ndim(m) == 0:
            return computed if m == 0 else np.zeros(n, dtype=bool)
        return computed & (m == 0)

    error_text = _Strings(n)
    if res.error_leaf is not None:
        for i in np.flatnonzero(computed & (res.error_leaf >= 0)):
            ind = p.indicators[int(res.error_leaf[i])]
            reason = reasons[int(res.error_reason[i])]
            error_text.set(int(i), f"{ind.name}：{reason.text('zh')}" if lang == "zh" else f"{ind.name}: {reason.text('en')}")
    failed = error_text.codes >= 0
    scored = computed & ~failed  # an error record (missing error) has no total, grades, outputs or alerts
    cols = []
    for name, what in _layout(ruleset, lang, columns):
        kind = what[0]
        if kind == "id":
            col = pa.array(ids_list if ids_list is not None else [None] * n, pa.string())
        elif kind == "row":
            col = pa.array(np.asarray(rows, dtype=np.int64))
        elif kind == "status":
            col = _Strings(n)
            ok_w, bad_w = col.word(h["ok"]), col.word(h["failed"])
            col.codes = np.where(computed, np.where(failed, bad_w, ok_w), -1).astype(np.int32)
        elif kind == "error":
            col = error_text
        elif kind == "total":
            col = _Decimals(res.total_q, present(res.total.m) & ~failed, SCORE_PRECISION, p.settings.places)
        elif kind == "grade":
            col = _grade_text(p, res, n, scored, None)
        elif kind == "score":
            shown = computed
            excluded = res.excluded.get(what[1])
            if excluded is not None:
                shown = computed & ~np.broadcast_to(excluded, (n,))
            col = _Decimals(np.asarray(res.score_q[what[1]]), shown, SCORE_PRECISION, p.settings.places)
        elif kind in ("value", "output"):
            val = res.values[what[1]] if kind == "value" else res.outputs[what[1]]
            q = res.value_q.get(what[1]) if kind == "value" else res.output_q.get(what[1])
            ok = present(val.m)
            if kind == "output" and failed.any():
                ok = ok & ~failed
            scale = VALUE_SCALE
            if kind == "output" and what[3] is not None and isinstance(val, Num):
                scale = what[3]  # already rounded to these places: the division is exact
                q = np.asarray(q) // 10 ** (VALUE_SCALE - scale)
            col = _Decimals(q, ok, VALUE_PRECISION, scale) if isinstance(val, Num) else _text_of(val, ok, n)
        elif kind == "group_grade":
            col = _grade_text(p, res, n, scored, what[1])
        elif kind == "alerts":
            col = _alerts(p, res, n, scored, lang)
        else:  # flags
            col = _Joined(n)
            for ind in p.indicators:
                if ind.id not in res.missing:
                    continue
                miss = res.missing[ind.id]
                low, high = res.clamped[ind.id]
                part = _Strings(n)
                missing = computed & miss
                if missing.any():
                    rr = np.broadcast_to(res.flag_reason[ind.id], (n,))
                    lut = np.full(len(reasons), -1, dtype=np.int32)
                    note = NOTES[lang]["excluded"] if ind.missing == "exclude" else ""
                    for u in np.unique(rr[missing]):
                        lut[u] = part.word(f"{names[ind.id]}: {note}{rtext[u]}")
                    at = np.flatnonzero(missing)  # (few rows: set by index)
                    part.codes[at] = lut[rr[at]]
                for mask, side in ((low, "low"), (high, "high")):
                    rows_c = np.flatnonzero(computed & ~miss & mask) if mask.any() else ()
                    if len(rows_c):
                        texts = _clamp_texts(ind, np.asarray(res.clamp_q[ind.id])[rows_c], side, names[ind.id], lang)
                        base = len(part.words)
                        part.words.extend(texts)
                        part.codes[rows_c] = base + np.arange(len(rows_c), dtype=np.int32)
                col.add(part)
            no_total = scored & (np.broadcast_to(res.total.m, (n,)) != 0)
            if no_total.any():
                part = _Strings(n)
                part.codes[no_total] = part.word(f"{h['total']}: {NOTES[lang]['no_total']}")
                col.add(part)
        cols.append((name, col))
    for i, row in over.items():
        for name, col in cols:
            if not isinstance(col, pa.Array):
                col.set(i, row.get(name))
    sch = schema(ruleset, lang, columns)
    arrays = [col if isinstance(col, pa.Array) else col.array() for _, col in cols]
    return pa.RecordBatch.from_arrays(arrays, schema=sch)


def _text_of(val, ok, n) -> _Strings:
    from .backends.colvalues import Bool, Date, Text

    s = _Strings(n)
    if isinstance(val, Text):
        c = np.broadcast_to(val.c, (n,))
        lut = np.array([s.word(w) for w in val.cats], dtype=np.int32)
        s.codes = np.where(ok, lut[c], -1).astype(np.int32)
    elif isinstance(val, Bool):
        v = np.broadcast_to(val.v, (n,))
        t, f = s.word("true"), s.word("false")
        s.codes = np.where(ok, np.where(v, t, f), -1).astype(np.int32)
    elif isinstance(val, Date):
        v = np.broadcast_to(val.v, (n,))
        uniq, inv = np.unique(v, return_inverse=True)
        lut = np.array([s.word(date.fromordinal(max(int(u), 1)).isoformat()) for u in uniq], dtype=np.int32)
        s.codes = np.where(ok, lut[inv], -1).astype(np.int32)
    return s


def _grade_text(p, res, n, computed, index) -> _Strings:
    s = _Strings(n)
    if index is None:
        index = next((i for i, g in enumerate(p.grades) if g.target == "total"), None)
        if index is None:
            return s
    g = p.grades[index]
    code = res.grades[index]
    lut = np.array([s.word(b.name) for b in g.bands], dtype=np.int32)
    s.codes = np.where(computed & (code >= 0), lut[np.maximum(code, 0)], -1).astype(np.int32)
    return s


def _alerts(p, res, n, computed, lang: str) -> _Joined:
    from .backends.colformat import render_number
    from .backends.colnum import Num
    from .backends.colvalues import Bool, Date, Text

    out = _Joined(n)
    for a, alert in enumerate(p.alerts):
        fired = computed & res.alerts[a]
        rows = np.flatnonzero(fired)
        if len(rows) == 0:
            continue
        s = _Strings(n)
        parts = res.alert_parts[a]
        qs = res.alert_q[a]
        head = alert_head(alert.level, alert.name, lang)
        for i in rows:
            pieces = [head]
            for part, val, q in zip(alert.message, parts, qs):
                if part.expr is None:
                    pieces.append(part.text)
                    continue
                m = np.broadcast_to(val.m, (n,))[i]
                if m != 0:
                    pieces.append("—")
                elif isinstance(val, Num):
                    qa, places, how = q
                    pieces.append(render_number(int(qa[i]), places, how))
                elif isinstance(val, Text):
                    pieces.append(val.cats[int(np.broadcast_to(val.c, (n,))[i])])
                elif isinstance(val, Bool):
                    pieces.append("是" if np.broadcast_to(val.v, (n,))[i] else "否")
                elif isinstance(val, Date):
                    pieces.append(date.fromordinal(int(np.broadcast_to(val.v, (n,))[i])).isoformat())
            s.set(int(i), "".join(pieces))
        out.add(s)
    return out
