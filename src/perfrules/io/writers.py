"""Writing result rows to CSV, TSV, XLSX, JSON, JSONL, Parquet or Arrow.

``write_rows`` consumes its rows once, so a generator works and memory stays
bounded for every format (at most ``batch_size`` rows are held at a time).

Values may be ``str``, ``int``, ``bool``, ``None``, lists/tuples/dicts (written
as JSON text in CSV/XLSX/Parquet), and for convenience ``Decimal`` (written as
plain decimal text, never in exponent form), ``float``, ``date``/``datetime``.
``Fraction`` and other types are refused: the caller must decide the precision.

Column order:

* ``columns`` given: exactly those columns; a missing key is an empty cell
  and a row with a key outside ``columns`` is an error (or, with
  ``extra="ignore"``, that key is left out).
* ``columns`` omitted: JSON and JSONL write every row's own keys in their own
  order; the tabular formats (CSV, TSV, XLSX, Parquet, Arrow) take the union
  of keys of the first ``batch_size`` rows in first-seen order, and a key that
  first appears later is an error telling the caller to pass ``columns``.

The output is written to a temporary file next to ``path`` and moved into
place only on success, so a failed export never leaves a half-written file
where a previous good one was.
"""

from __future__ import annotations

import csv
import datetime as _dt
import itertools
import numbers
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from ..oserrors import os_reason
from .errors import ReaderError, WriterError, short_repr
from .readers import _canonical_format, detect_format

__all__ = ["write_rows", "WRITE_FORMATS", "DEFAULT_BATCH_SIZE"]

WRITE_FORMATS = ("csv", "tsv", "xlsx", "json", "jsonl", "parquet", "arrow")
DEFAULT_BATCH_SIZE = 8192

# Excel keeps 15 significant digits; larger integers are written as text so
# that e.g. an 18-digit organisation code is not silently rounded.
_EXCEL_INT_LIMIT = 10**15
_EXCEL_MAX_ROWS = 1_048_576
_EXCEL_CELL_CHARS = 32_767  # characters in one cell


# A text cell that Excel (or WPS) would run as a formula when the CSV is opened: = + - @ first,
# or a tab / carriage return before one. Such text (a record id, a name echoed from the input)
# is written with a leading apostrophe, which Excel shows as text; a plain number such as
# -12.5 or +3% is left alone.
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?$"
_FORMULA_START = re.compile(FORMULA_START)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)


def excel_safe(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will show and never evaluate."""
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


# --- value conversion -------------------------------------------------------------


def _unsupported(value: object, row: int, column: str) -> WriterError:
    kind = type(value).__name__
    return WriterError(
        "unsupported_value",
        f"第{row}行“{column}”列的值类型无法写出：{kind} {short_repr(value)}",
        f"row {row}, column {column!r}: cannot write a value of type {kind}: {short_repr(value)}",
    )


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _dumps(value: object) -> bytes:
    import orjson

    try:
        return orjson.dumps(value, default=_json_default)
    except TypeError:
        # orjson refuses integers beyond 64 bits; the stdlib handles them.
        import json

        return json.dumps(value, ensure_ascii=False, default=_json_default).encode()


def _to_text(value: object, row: int, column: str) -> str | None:
    """Text form used by CSV and by string columns of Parquet/Arrow."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, numbers.Integral):  # e.g. numpy.int64
        return str(int(value))
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        try:
            return _dumps(value).decode()
        except TypeError:
            raise _unsupported(value, row, column) from None
    raise _unsupported(value, row, column)


# --- column handling -----------------------------------------------------------


class _Columns:
    """Fixes the column list and checks each row against it."""

    def __init__(self, columns: Sequence[str] | None, fixed: bool, extra: str = "error") -> None:
        self.names: list[str] = list(columns or [])
        self._known = set(self.names)
        self.fixed = fixed
        # Only an explicit column list may be used to drop keys on purpose.
        self.ignore_extra = fixed and extra == "ignore"

    def check(self, row: Mapping[str, Any], number: int) -> None:
        if self.ignore_extra:
            return
        if len(row) > len(self._known) or not self._known.issuperset(row):
            extra = [k for k in row if k not in self._known]
            if extra:
                hint_zh = "" if self.fixed else "（请通过 columns 参数列出全部列）"
                hint_en = "" if self.fixed else " (pass columns= listing every column)"
                raise WriterError(
                    "unknown_column",
                    f"第{number}行含有列清单之外的列：{'、'.join(map(str, extra))}{hint_zh}",
                    f"row {number} has keys not in the column list: {', '.join(map(str, extra))}{hint_en}",
                )


def _plan_columns(rows: Iterator[Mapping[str, Any]], columns: Sequence[str] | None, batch_size: int, extra: str):
    """Return (_Columns, iterator over all rows) for the tabular formats."""
    if columns is not None:
        return _Columns(columns, fixed=True, extra=extra), rows
    head = list(itertools.islice(rows, batch_size))
    seen: dict[str, None] = {}
    for row in head:
        for key in row:
            seen.setdefault(key, None)
    return _Columns(list(seen), fixed=False), itertools.chain(head, rows)


def _checked(rows: Iterable[Mapping[str, Any]], cols: _Columns) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise WriterError(
                "not_a_mapping",
                f"第{number}行不是字典：{short_repr(row)}",
                f"row {number} is not a mapping: {short_repr(row)}",
            )
        cols.check(row, number)
        yield number, row


# --- format writers ----------------------------------------------------------------


def _write_csv(rows, fh: TextIO, delimiter: str, columns, batch_size: int, extra: str) -> int:
    cols, rows = _plan_columns(iter(rows), columns, batch_size, extra)
    writer = csv.writer(fh, delimiter=delimiter)
    writer.writerow(cols.names)
    count = 0
    names = cols.names
    for number, row in _checked(rows, cols):
        cells = []
        for name in names:
            value = row.get(name)
            text = _to_text(value, number, name)
            cells.append("" if text is None else excel_safe(text) if isinstance(value, str) else text)
        try:
            writer.writerow(cells)
        except UnicodeEncodeError as exc:
            raise WriterError(
                "encoding",
                f"第{number}行含有无法用 {fh.encoding} 编码的字符：{exc.object[exc.start:exc.end]!r}",
                f"row {number} has characters that {fh.encoding} cannot encode: {exc.object[exc.start:exc.end]!r}",
            ) from None
        count = number
    return count


def _write_json_lines(rows, fh: BinaryIO, columns, as_array: bool, extra: str) -> int:
    cols = _Columns(columns, fixed=True, extra=extra) if columns is not None else None
    count = 0
    fh.write(b"[" if as_array else b"")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise WriterError(
                "not_a_mapping", f"第{number}行不是字典：{short_repr(row)}", f"row {number} is not a mapping: {short_repr(row)}"
            )
        if cols is not None:
            cols.check(row, number)
            row = {name: row.get(name) for name in cols.names}
        try:
            data = _dumps(dict(row))
        except TypeError:
            bad = next((k for k, v in row.items() if _probe_json(v)), "?")
            raise _unsupported(row.get(bad), number, str(bad)) from None
        if as_array:
            fh.write(b"\n" if number == 1 else b",\n")
            fh.write(data)
        else:
            fh.write(data)
            fh.write(b"\n")
        count = number
    if as_array:
        fh.write(b"\n]\n" if count else b"]\n")
    return count


def _probe_json(value: object) -> bool:
    """True when ``value`` alone cannot be serialised (to name the culprit)."""
    try:
        _dumps(value)
    except TypeError:
        return True
    return False


def _write_xlsx(rows, target: str, columns, sheet_name: str, batch_size: int, extra: str,
                types: Mapping[str, str] | None = None) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name)

    def text_cell(text: str) -> object:
        # Excel cannot store control characters; drop them rather than fail.
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
        if len(text) > _EXCEL_CELL_CHARS:
            # openpyxl cut such a cell at Excel's limit without a sign; end it with … as
            # shortened texts elsewhere end (CSV, JSON and Parquet keep the whole text)
            text = text[: _EXCEL_CELL_CHARS - 1] + "…"
        if text.startswith("=") or text in ERROR_CODES:
            # openpyxl would store "=..." as a formula and "#N/A" as an
            # error; results are data, so force a plain string cell.
            cell = WriteOnlyCell(ws, value=None)
            cell.value = text
            cell.data_type = "s"
            return cell
        return text

    numeric = {name for name, spec in (types or {}).items() if spec.startswith("decimal")}

    def number_cell(text: str) -> object:
        # A decimal column's text as an Excel number shown with the text's own places, so
        # sheets can sum and sort it; beyond Excel's 15 significant digits it stays text.
        try:
            d = Decimal(text)
        except ArithmeticError:
            return text_cell(text)
        sign, digits, exponent = d.as_tuple()
        if not d.is_finite() or len(digits) > 15:
            return text_cell(text)
        cell = WriteOnlyCell(ws, value=float(d))
        places = max(0, -exponent)
        cell.number_format = "0." + "0" * places if places else "0"
        return cell

    def convert(value: object, number: int, name: str) -> object:
        if value is None or isinstance(value, (bool, float, _dt.date, _dt.time)):
            return value
        if isinstance(value, str):
            return number_cell(value) if name in numeric else text_cell(value)
        if isinstance(value, int):
            return value if -_EXCEL_INT_LIMIT < value < _EXCEL_INT_LIMIT else str(value)
        text = _to_text(value, number, name)
        return None if text is None else text_cell(text)

    count = 0
    try:
        cols, rows = _plan_columns(iter(rows), columns, batch_size, extra)
        ws.append([text_cell(str(n)) for n in cols.names])
        names = cols.names
        for number, row in _checked(rows, cols):
            if number >= _EXCEL_MAX_ROWS:
                raise WriterError(
                    "too_many_rows",
                    f"行数超过 Excel 工作表上限（{_EXCEL_MAX_ROWS - 1} 行数据）；请改用 CSV 或 Parquet",
                    f"more rows than an Excel sheet holds ({_EXCEL_MAX_ROWS - 1} data rows); use CSV or Parquet",
                )
            ws.append([convert(row.get(name), number, name) for name in names])
            count = number
    except BaseException:
        _discard_write_only(ws)
        raise
    _save_workbook(wb, target)
    return count


def _save_workbook(wb: Any, target: str) -> None:
    """openpyxl's save, closing the archive when writing fails (a full disk): left open, it was
    closed when collected, failed again, and Python printed "Exception ignored in ZipFile.__del__"
    with a traceback under perfrules' own message."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    archive = ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(wb, archive).save()  # writes, then closes the archive
    except BaseException:
        try:
            archive.close()
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        for ws in wb.worksheets:  # a sheet not written yet: its row writer and temporary file
            _discard_write_only(ws)
        raise


def _discard_write_only(ws: Any) -> None:
    """Close an unsaved write-only sheet and delete its temporary file."""
    try:
        ws.close()
    except Exception:
        pass
    writer = getattr(ws, "_writer", None)
    if writer is not None:
        try:
            writer.cleanup()
        except Exception:
            pass


def _arrow_type(spec: str) -> tuple[Any, str]:
    """Map a type hint to (Arrow type, value kind for _arrow_value)."""
    import pyarrow as pa

    key = spec.strip().lower().replace(" ", "")
    simple = {
        "string": (pa.string(), "string"),
        "str": (pa.string(), "string"),
        "int64": (pa.int64(), "int64"),
        "int": (pa.int64(), "int64"),
        "bool": (pa.bool_(), "bool"),
        "boolean": (pa.bool_(), "bool"),
    }
    if key in simple:
        return simple[key]
    if key.startswith("decimal(") and key.endswith(")"):
        try:
            precision, scale = (int(x) for x in key[8:-1].split(","))
            kind = pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
            return kind, "decimal"
        except ValueError:
            pass
    raise WriterError(
        "bad_type_hint",
        f"不支持的列类型：{spec!r}（可用 string、int64、bool、decimal(P,S)）",
        f"unsupported column type {spec!r} (use string, int64, bool, decimal(P,S))",
    )


def _arrow_value(value: object, kind: str, number: int, name: str) -> object:
    if value is None:
        return None
    if kind == "string":
        return _to_text(value, number, name)
    if kind == "int64":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "decimal":
        if isinstance(value, Decimal):
            return value
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            try:
                return Decimal(value)
            except ArithmeticError:
                pass
    raise WriterError(
        "type_mismatch",
        f"第{number}行“{name}”列的值与声明类型 {kind} 不符：{short_repr(value)}",
        f"row {number}, column {name!r}: value does not fit declared type {kind}: {short_repr(value)}",
    )


def _write_arrow(
    rows, target: str, columns, types: Mapping[str, str] | None, batch_size: int, extra: str, parquet: bool
) -> int:
    import pyarrow as pa

    cols, rows = _plan_columns(iter(rows), columns, batch_size, extra)
    types = dict(types or {})
    unknown = [c for c in types if c not in cols.names]
    if unknown:
        raise WriterError(
            "bad_type_hint",
            f"类型声明中的列不在输出列中：{'、'.join(unknown)}",
            f"type hints name columns that are not written: {', '.join(unknown)}",
        )
    fields = []
    kinds = []
    for name in cols.names:
        arrow_type, kind = _arrow_type(types.get(name, "string"))
        fields.append(pa.field(name, arrow_type))
        kinds.append(kind)
    schema = pa.schema(fields)

    if parquet:
        import pyarrow.parquet as pq

        writer = pq.ParquetWriter(target, schema)
    else:
        writer = pa.ipc.new_file(target, schema)

    count = 0
    try:
        checked = _checked(rows, cols)
        while True:
            chunk = list(itertools.islice(checked, batch_size))
            if not chunk:
                break
            arrays = []
            for name, kind, fld in zip(cols.names, kinds, fields):
                values = [_arrow_value(row.get(name), kind, number, name) for number, row in chunk]
                try:
                    arrays.append(pa.array(values, type=fld.type))
                except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
                    raise WriterError(
                        "type_mismatch",
                        f"“{name}”列的值无法按 {fld.type} 写出：{exc}",
                        f"column {name!r}: values do not fit {fld.type}: {exc}",
                    ) from exc
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            count = chunk[-1][0]
    finally:
        writer.close()
    return count


# --- entry point ---------------------------------------------------------------------


def writable_format(target: Path, fmt: str | None = None) -> str:
    """The canonical format an output file is written in: `fmt`, or its extension's.

    Raises:
        WriterError: an unknown extension, or one that reads but cannot be written truly: a
            macro-enabled workbook (.xlsm) written by openpyxl is a plain workbook that Excel
            refuses to open under that name.
    """
    try:
        canonical = _canonical_format(fmt) if fmt is not None else detect_format(target)
    except ReaderError as exc:
        raise WriterError(exc.code, exc.message_zh, exc.message_en) from None
    if fmt is None and target.suffix.lower() == ".xlsm":
        raise WriterError("xlsm_output", f"不能写出启用宏的工作簿 {target}：结果请写成 .xlsx",
                          f"cannot write a macro-enabled workbook {target}: write the results as .xlsx")
    if canonical not in WRITE_FORMATS:  # pragma: no cover - every readable format is writable
        raise WriterError("unknown_format", f"不支持写出 {canonical} 格式", f"cannot write {canonical} files")
    return canonical


def write_rows(
    rows: Iterable[Mapping[str, Any]],
    path: str | Path,
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    encoding: str | None = None,
    sheet_name: str = "Sheet1",
    types: Mapping[str, str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    extra: str = "error",
) -> int:
    """Write dict rows to ``path`` and return how many rows were written.

    Args:
        rows: any iterable of mappings (a generator is consumed once).
        path: output file; its extension picks the format unless ``fmt``.
        fmt: ``csv``, ``tsv``, ``xlsx``, ``json``, ``jsonl``, ``parquet`` or
            ``arrow``.
        columns: column order (see the module docstring when omitted).
        encoding: CSV/TSV text encoding; default ``utf-8-sig`` (UTF-8 with a
            BOM, so Excel shows Chinese correctly). ``gb18030`` also works.
        sheet_name: XLSX worksheet title.
        types: Parquet/Arrow column types, ``{"column": "int64"}``; allowed
            ``string`` (default for every column, so decimal strings stay
            exact), ``int64``, ``bool``, ``decimal(P,S)``. In XLSX a
            ``decimal…`` column's texts become number cells showing the
            text's decimal places (text beyond 15 significant digits).
        batch_size: rows per Arrow batch and rows scanned to infer columns.
        extra: with ``columns`` given, what to do with other keys in a row:
            ``"error"`` (default) or ``"ignore"`` (write only ``columns``).

    Raises:
        WriterError: unknown format, a value that cannot be written, a key
            outside the column list, an unencodable character, ….
    """
    target = Path(path)
    if target.is_symlink():  # write through the link (os.replace would swap the link for a file)
        target = target.resolve()
    fmt = writable_format(target, fmt)
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    if extra not in ("error", "ignore"):
        raise ValueError("extra must be 'error' or 'ignore'")
    if encoding is not None and fmt not in ("csv", "tsv"):
        raise WriterError(
            "encoding_not_applicable",
            f"只有 CSV/TSV 输出可以指定编码（{fmt} 固定为 UTF-8 或二进制）",
            f"an encoding can only be chosen for CSV/TSV output ({fmt} is UTF-8 or binary)",
        )

    # A uniquely named sibling created with open(..., "x") honours the umask,
    # unlike tempfile.mkstemp whose 0600 mode would carry over on replace.
    tmp_name = str(target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"))
    try:  # from the file's creation on: an interrupt (Ctrl-C, SIGTERM) right after it removes it too
        try:
            open(tmp_name, "xb").close()
        except OSError as exc:
            raise WriterError(
                "cannot_write",
                f"无法写入输出文件 {target}：{os_reason(exc)}",
                f"cannot write output file {target}: {exc.strerror or exc}",
            ) from exc
        if fmt in ("csv", "tsv"):
            with open(tmp_name, "w", encoding=encoding or "utf-8-sig", newline="") as fh:
                count = _write_csv(rows, fh, "\t" if fmt == "tsv" else ",", columns, batch_size, extra)
        elif fmt in ("json", "jsonl"):
            with open(tmp_name, "wb") as bfh:
                count = _write_json_lines(rows, bfh, columns, as_array=fmt == "json", extra=extra)
        elif fmt == "xlsx":
            count = _write_xlsx(rows, tmp_name, columns, sheet_name, batch_size, extra, types)
        else:
            count = _write_arrow(rows, tmp_name, columns, types, batch_size, extra, parquet=fmt == "parquet")
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:  # never created (it could not be), or already moved into place
            pass
        raise
    return count
