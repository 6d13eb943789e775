"""Reading data files as a stream of column batches, for batch evaluation.

`open_batches(path)` returns a BatchSource: `.columns` (the cleaned header names, exactly as
`open_records` gives them) at once, then, on iteration, `Piece`s: a batch of columns, the row
number of each of its records, and the rows that could not be read (error records, to be put in
their place by row number). Rows, numbers and errors are the ones `open_records` yields for the
same file; only the speed differs:

* CSV/TSV is read in byte blocks cut at row boundaries (a newline outside quotes), so every row's
  line number is known, and each block is parsed by pyarrow with every column as a string. A
  block pyarrow cannot take as it is (a row with too few or too many cells, bytes that do not
  decode, …) is read by the same Python `csv` rules as `open_records`, block by block, so one bad
  line spoils only its own row. GB18030 and other encodings are decoded per block.
* Parquet and Arrow IPC are read batch by batch with pyarrow.
* XLSX, JSON and JSONL records (and UTF-16/32 text) come from `open_records` and are gathered
  into `Cells` batches of raw Python values.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .readers import (
    Record,
    _decode_lines,
    _error_record,
    _is_blank_line,
    _is_empty_row,
    _line_safe,
    _row_record,
    clean_header,
    file_format,
    open_records,
)

BATCH_ROWS = 32768
BLOCK_BYTES = 4 << 20


class Cells:
    """A batch of raw cell values (lists), with the few methods batch evaluation uses."""

    def __init__(self, columns: dict[str, list], n: int):
        self._cols = columns
        self.num_rows = n

    @property
    def column_names(self) -> list[str]:
        return list(self._cols)

    def column(self, name: str) -> list:
        return self._cols[name]

    def slice(self, offset: int, length: int) -> "Cells":
        return Cells({k: v[offset:offset + length] for k, v in self._cols.items()}, max(0, min(length, self.num_rows - offset)))

    def take(self, idx) -> "Cells":
        return Cells({k: [v[i] for i in idx] for k, v in self._cols.items()}, len(idx))


@dataclass
class Piece:
    """A batch of records, their row numbers, and unreadable rows among or before them."""

    batch: object  # pyarrow.RecordBatch or Cells
    rows: np.ndarray
    errors: list = field(default_factory=list)  # Record with values None
    at: int = 0  # bytes of the file up to this piece's last row, when known (progress)


class BatchSource:
    """An opened data file (see the module docstring). `skipped` counts empty rows;
    `bytes_total`/`bytes_done` let a caller show progress."""

    format = ""

    def __init__(self, path: Path):
        self.path = path
        self.columns: list[str] = []
        self.repeats: dict[str, list[int]] = {}  # as RecordSource.repeats
        self.skipped = 0
        self.bytes_total = 0
        self.bytes_done = 0
        self.rows_total: int | None = None
        self.encoding: str | None = None
        self.encoding_guessed = False  # see readers.encoding_hint

    def __iter__(self) -> Iterator[Piece]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- CSV / TSV in blocks
class CsvBatches(BatchSource):
    def __init__(self, path: Path, fmt: str, encoding: str | None, batch_rows: int = BATCH_ROWS,
                 block_bytes: int | None = None):
        super().__init__(path)
        self.format = fmt
        self._source = open_records(path, fmt=fmt, encoding=encoding)  # header, encoding, all checks
        self.columns, self.repeats = self._source.columns, self._source.repeats
        self.encoding = self._source.encoding
        self.encoding_guessed = self._source.encoding_guessed
        self._delim = "\t" if fmt == "tsv" else ","
        self._header_line = self._source._header_line
        self._block = block_bytes or BLOCK_BYTES
        self._batch_rows = batch_rows
        self.bytes_total = os.path.getsize(path)
        enc = codecs.lookup(self.encoding).name
        self._utf8 = enc in ("utf-8", "utf-8-sig")
        self._width = None

    def close(self) -> None:
        self._source.close()

    def __iter__(self) -> Iterator[Piece]:
        self.skipped = 0
        with open(self.path, "rb") as fh:
            line = 1  # physical line of the first line in `pending`
            pending = b""
            start_line = 1
            at_start = True
            while True:
                data = fh.read(self._block)
                self.bytes_done = fh.tell()
                eof = not data
                buf = pending + data
                if at_start:
                    if buf.startswith(codecs.BOM_UTF8):
                        buf = buf[len(codecs.BOM_UTF8):]
                    at_start = False
                cut = len(buf) if eof else _last_row_end(buf)
                if cut < 0:  # no row ends in this block yet: read more
                    pending = buf
                    continue
                block, pending = buf[:cut], buf[cut:]
                if block:
                    # the reader runs ahead of scoring: each piece carries its own position,
                    # interpolated by line within the block
                    end = fh.tell() - len(pending)
                    nlines = max(block.count(b"\n"), 1)
                    for piece in self._block_pieces(block, start_line):
                        last = max([int(r) for r in piece.rows[-1:]] + [r.row for r in piece.errors], default=start_line)
                        piece.at = end - len(block) + len(block) * min(max(last - start_line + 1, 0), nlines) // nlines
                        yield piece
                    start_line += block.count(b"\n")
                if eof:
                    break
        del line

    def _block_pieces(self, block: bytes, first_line: int) -> Iterator[Piece]:
        """Pieces for one block of whole rows starting at physical line first_line."""
        starts, lines = _row_starts(block, first_line)
        # drop the header and anything before it
        keep = lines > self._header_line
        if not keep.any():
            return
        if not keep.all():
            k = int(np.argmax(keep))
            block = block[starts[k]:]
            first_line = int(lines[k])
            starts, lines = _row_starts(block, first_line)
        table = self._arrow(block, len(starts))
        if table is None:
            yield from self._python(block, first_line)
            return
        # rows pyarrow skipped (empty lines) are the rows whose text is empty
        ends = np.append(starts[1:], len(block))
        text_len = ends - starts
        nl = np.frombuffer(block, dtype=np.uint8)
        blank = text_len <= 1
        two = (text_len == 2) & (nl[np.minimum(starts, len(nl) - 1)] == 13)
        blank |= two
        lines = lines[~blank]
        self.skipped += int(blank.sum())
        if len(lines) != table.num_rows:  # pragma: no cover - the parity rule disagreed with pyarrow
            yield from self._python(block, first_line)
            return
        yield from self._split(table, lines)

    def _arrow(self, block: bytes, nrows: int):
        """The block parsed by pyarrow (all columns strings), or None when it needs the Python rules."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        if not self._utf8:
            try:
                block = block.decode(self.encoding).encode("utf-8")
            except UnicodeDecodeError:
                return None
        width = self._raw_width()
        names = [f"c{i}" for i in range(width)]
        bad = []
        try:
            table = pcsv.read_csv(
                io.BytesIO(block),
                read_options=pcsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 20),
                parse_options=pcsv.ParseOptions(delimiter=self._delim, newlines_in_values=True,
                                                invalid_row_handler=lambda row: bad.append(row) or "skip"),
                convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                    strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                    null_values=[]),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return None
        if bad:
            return None
        if width > len(self.columns):  # trailing unnamed header cells: their cells must be empty
            extra = table.select(names[len(self.columns):])
            import pyarrow.compute as pc

            for col in extra.columns:
                if pc.any(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0)).as_py():
                    return None
            table = table.select(names[:len(self.columns)])
        return table.rename_columns(self.columns)

    def _raw_width(self) -> int:
        """How many cells the header row has (trailing empty ones included)."""
        if self._width is None:
            with open(self.path, "rb") as fh:
                data = fh.read(1 << 20)
            if data.startswith(codecs.BOM_UTF8):
                data = data[3:]
            text = data.decode(self.encoding, errors="replace")
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=self._delim)
            width = len(self.columns)
            for i, cells in enumerate(rows, 1):
                if cells and not _is_empty_row(cells):
                    width = max(width, len(cells))
                    break
            self._width = width
        return self._width

    def _split(self, table, lines: np.ndarray) -> Iterator[Piece]:
        """Pieces of at most batch_rows, without the blank lines. With two or more raw header
        cells every row pyarrow parsed has a delimiter, so it is a record even if its cells are
        all blank (pyarrow has dropped the empty lines; a whitespace-only line has too few cells
        and went to the Python rules); with one, a row of one blank cell is a blank line."""

        for off in range(0, table.num_rows, self._batch_rows):
            part = table.slice(off, self._batch_rows)
            rows = lines[off:off + part.num_rows]
            mask = empty_rows(part) if self._raw_width() == 1 else None
            if mask is not None and mask.any():
                self.skipped += int(mask.sum())
                keep = np.flatnonzero(~mask)
                part = part.take(keep)
                rows = rows[keep]
            yield Piece(part.combine_chunks().to_batches()[0] if part.num_rows else _empty_batch(part), rows.astype(np.int64))

    def _python(self, block: bytes, first_line: int) -> Iterator[Piece]:
        """The block by the Python csv rules of open_records (row by row, with error rows)."""
        bad_lines: set[int] = set()
        if _line_safe(self.encoding):
            raw_lines = io.BytesIO(block)
            lines = _decode_lines(raw_lines, self.encoding, bad_lines)
        else:  # pragma: no cover - UTF-16/32 files go through RecordBatches
            lines = io.StringIO(block.decode(self.encoding), newline="")
        reader = csv.reader(lines, delimiter=self._delim)
        records: list[Record] = []
        previous = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                start = first_line + previous
                records.append(_error_record(start, "csv_syntax", f"第{start}行CSV格式错误：{exc}",
                                             f"line {start}: CSV syntax error: {exc}"))
                previous = reader.line_num
                continue
            end = reader.line_num
            start = first_line + previous
            span = range(previous + 1, end + 1)
            if bad_lines and any(n in bad_lines for n in span):
                records.append(_error_record(
                    start, "bad_encoding",
                    f"第{start}行无法按 {self.encoding} 解码（文件编码可能不对，可用 --encoding 指定）",
                    f"line {start} cannot be decoded as {self.encoding} (wrong encoding? use --encoding)"))
            elif _is_blank_line(cells):
                self.skipped += 1
            else:
                records.append(_row_record(start, self.columns, cells, short_ok=False, end=first_line + end - 1))
            previous = end
        yield from _record_pieces(records, self.columns, self._batch_rows)


def _row_newlines(arr: np.ndarray) -> np.ndarray:
    """Positions of the newlines that end a row: those outside quotes (an even number of quote
    characters before them)."""
    nl = np.flatnonzero(arr == 10)
    if nl.size == 0:
        return nl
    quotes = np.flatnonzero(arr == 34)
    if quotes.size == 0:
        return nl
    return nl[(np.searchsorted(quotes, nl) & 1) == 0]


def _last_row_end(buf: bytes) -> int:
    """Index just after the last newline that ends a row (outside quotes), or -1."""
    ends = _row_newlines(np.frombuffer(buf, dtype=np.uint8))
    return int(ends[-1]) + 1 if ends.size else -1


def _row_starts(block: bytes, first_line: int):
    """(byte offset, physical line) of each row in a block of whole rows."""
    arr = np.frombuffer(block, dtype=np.uint8)
    ends = _row_newlines(arr)
    starts = np.concatenate([[0], ends + 1])
    starts = starts[starts < len(block)]
    nl = np.flatnonzero(arr == 10)
    # physical line of a row start = first_line + newlines before it
    lines = first_line + np.searchsorted(nl, starts, side="left")
    return starts.astype(np.int64), lines.astype(np.int64)


_SPACE_BYTE = np.zeros(256, dtype=bool)
_SPACE_BYTE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True  # what str.strip() removes, in ASCII
_SPACE_BYTE[128:] = True  # a non-ASCII first byte may start a Unicode space: checked exactly


def empty_rows(table) -> np.ndarray:
    """Rows whose cells are all empty or whitespace (open_records skips them). A row with a cell
    whose first character is visible ASCII is not empty; only the rest are checked by trimming."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    proven = np.zeros(n, dtype=bool)
    cols = []
    for col in table.columns:
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        cols.append(col)
        if col.type != pa.string() or col.null_count:
            continue
        bufs = col.buffers()
        if bufs[2] is None:
            continue
        offsets = np.frombuffer(bufs[1], dtype=np.int32)[col.offset:col.offset + n + 1]
        data = np.frombuffer(bufs[2], dtype=np.uint8)
        has = offsets[1:] > offsets[:-1]
        first = data[np.minimum(offsets[:-1], max(len(data) - 1, 0))] if len(data) else np.zeros(n, np.uint8)
        proven |= has & ~_SPACE_BYTE[first]
    empty = np.zeros(n, dtype=bool)
    rest = np.flatnonzero(~proven)
    if rest.size:
        idx = pa.array(rest)
        blank = np.ones(rest.size, dtype=bool)
        for col in cols:
            c = col.take(idx)
            if pa.types.is_string(c.type) or pa.types.is_large_string(c.type):
                e = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(c)), 0).fill_null(True)
            else:
                e = c.is_null()
            blank &= e.to_numpy(zero_copy_only=False)
        empty[rest] = blank
    return empty


def _empty_batch(table):
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in table.schema], schema=table.schema)


# ---- Parquet / Arrow IPC
class ArrowBatches(BatchSource):
    def __init__(self, path: Path, fmt: str, batch_rows: int = BATCH_ROWS):
        super().__init__(path)
        self.format = fmt
        src = open_records(path, fmt=fmt)  # validates the file and cleans the header
        self.columns, self.repeats = src.columns, src.repeats
        self._src = src
        self._batch_rows = batch_rows
        self.bytes_total = os.path.getsize(path)
        if fmt == "parquet":
            self.rows_total = src._file.metadata.num_rows

    def close(self) -> None:
        self._src.close()

    def __iter__(self) -> Iterator[Piece]:
        import pyarrow.compute as pc

        self.skipped = 0
        row = 0
        if self.format == "parquet":
            batches = self._src._file.iter_batches(batch_size=self._batch_rows)
        else:
            batches = self._src._batches()
        for batch in batches:
            batch = _unviewed(batch.rename_columns(self.columns[:batch.num_columns]))
            n = batch.num_rows
            rows = np.arange(row + 1, row + n + 1, dtype=np.int64)
            row += n
            self.bytes_done = int(self.bytes_total * (row / self.rows_total)) if self.rows_total else 0
            empty = None
            for col in batch.columns:
                e = col.is_null()
                if col.type in (_string(), _large_string()):
                    e = pc.or_(e, pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0).fill_null(True))
                empty = e if empty is None else pc.and_(empty, e)
            mask = empty.to_numpy(zero_copy_only=False) if empty is not None else np.zeros(n, bool)
            if mask.any():
                self.skipped += int(mask.sum())
                keep = np.flatnonzero(~mask)
                batch = batch.take(keep)
                rows = rows[keep]
            yield Piece(batch, rows, at=self.bytes_done)


def _unviewed(batch):
    """string_view/binary_view columns (files written from Polars' newest Arrow) as
    large_string/large_binary: `take` (routing, the empty-row check) has no kernel for views."""
    for i, f in enumerate(batch.schema):
        old = batch.column(i)
        col = unview_column(old)
        if col is not old:
            batch = batch.set_column(i, f.with_type(col.type), col)
    return batch


def unview_column(col):
    """A string_view/binary_view column, or a dictionary of them (Polars' Categorical/Enum in its
    newest Arrow), with large_string/large_binary values instead; any other column as it is.
    pyarrow's kernels (take, dictionary decoding) have none for views. A binary column whose
    values are all UTF-8 is text: Hive and older Spark write text to Parquet without the UTF8
    annotation, and its cells read as bytes were errors ("not a number: b'95'"). A cell of it that
    is not UTF-8 reads with U+FFFD for its bad bytes (an error in a number column)."""
    import pyarrow as pa

    views = hasattr(pa.types, "is_string_view")  # pyarrow < 16 has no views
    t = col.type
    value = t.value_type if pa.types.is_dictionary(t) else t
    binary_view = views and pa.types.is_binary_view(value)
    if pa.types.is_binary(value) or pa.types.is_large_binary(value) or binary_view:
        try:
            return _cast_values(col, t, pa.large_string())
        except pa.ArrowInvalid:  # some cell is not UTF-8: cell by cell
            return _cast_values(col, t, pa.large_string(), _decoded)
    if not (views and pa.types.is_string_view(value)):
        return col
    return _cast_values(col, t, pa.large_string())


def _decoded(a, plain):
    """A binary array as text, cell by cell, U+FFFD for bytes that are not UTF-8."""
    import pyarrow as pa

    return pa.array([None if v is None else v.decode("utf-8", "replace") for v in a.to_pylist()], plain)


def _cast_values(col, t, plain, cast=None):
    """col (of type t, or a dictionary of t) with its values cast to plain (by `cast`(array,
    plain) when given)."""
    import pyarrow as pa

    if cast is None:
        def cast(a, plain):
            return a.cast(plain)
    if not pa.types.is_dictionary(t):
        if isinstance(col, pa.ChunkedArray):
            return pa.chunked_array([cast(c, plain) for c in col.chunks], plain)
        return cast(col, plain)

    def values_cast(a):
        return pa.DictionaryArray.from_arrays(a.indices, cast(a.dictionary, plain), ordered=t.ordered)

    if isinstance(col, pa.ChunkedArray):
        return pa.chunked_array([values_cast(c) for c in col.chunks], pa.dictionary(t.index_type, plain, t.ordered))
    return values_cast(col)


def _string():
    import pyarrow as pa

    return pa.string()


def _large_string():
    import pyarrow as pa

    return pa.large_string()


# ---- everything else: records gathered into batches
class RecordBatches(BatchSource):
    def __init__(self, path: Path, fmt: str, encoding=None, sheet=None, batch_rows: int = 8192):
        super().__init__(path)
        self.format = fmt
        self._src = open_records(path, fmt=fmt, encoding=encoding, sheet=sheet)
        self.columns, self.repeats = self._src.columns, self._src.repeats
        self.encoding, self.encoding_guessed = self._src.encoding, self._src.encoding_guessed
        self._batch_rows = batch_rows
        self.bytes_total = os.path.getsize(path)

    def close(self) -> None:
        self._src.close()

    def __iter__(self) -> Iterator[Piece]:
        buf: list[Record] = []
        for rec in self._src:
            buf.append(rec)
            if len(buf) >= self._batch_rows:
                yield from _record_pieces(buf, self.columns, self._batch_rows)
                buf = []
        if buf:
            yield from _record_pieces(buf, self.columns, self._batch_rows)
        self.skipped = self._src.skipped


def _record_pieces(records: list[Record], columns: list[str], size: int) -> Iterator[Piece]:
    good = [r for r in records if r.values is not None]
    bad = [r for r in records if r.values is None]
    if not good:
        if bad:
            yield Piece(Cells({c: [] for c in columns}, 0), np.zeros(0, dtype=np.int64), bad)
        return
    for off in range(0, len(good), size):
        part = good[off:off + size]
        last = part[-1].row
        errs = [r for r in bad if r.row <= last] if off + size < len(good) else bad
        bad = [r for r in bad if r not in errs]
        cols = {c: [r.values.get(c) for r in part] for c in columns}
        extra = {k for r in part for k in r.values if k not in cols}
        for k in sorted(extra):  # JSONL keys first seen late
            cols[k] = [r.values.get(k) for r in part]
        yield Piece(Cells(cols, len(part)), np.array([r.row for r in part], dtype=np.int64), errs)


def open_batches(path: str | Path, *, fmt: str | None = None, encoding: str | None = None,
                 sheet: str | int | None = None, batch_rows: int = BATCH_ROWS) -> BatchSource:
    """Open a data file for batch reading (see the module docstring). Raises ReaderError like
    open_records."""
    p = Path(path)
    fmt = file_format(p, fmt)
    if fmt in ("csv", "tsv"):
        src = open_records(p, fmt=fmt, encoding=encoding)
        enc = src.encoding
        src.close()
        if _line_safe(enc):
            return CsvBatches(p, fmt, encoding, batch_rows)
        return RecordBatches(p, fmt, encoding, None, min(batch_rows, 8192))
    if fmt in ("parquet", "arrow"):
        return ArrowBatches(p, fmt, batch_rows)
    return RecordBatches(p, fmt, encoding, sheet, min(batch_rows, 8192))


__all__ = ["open_batches", "BatchSource", "Piece", "Cells", "clean_header"]
