"""Reading tabular data files as a stream of raw records.

``open_records(path)`` returns a :class:`RecordSource`: the cleaned header
names are available at once (``.columns``) so columns can be matched to rule
inputs before any data row is read, and iterating yields :class:`Record`
objects one at a time so that very large files stay within bounded memory
(CSV, JSONL, XLSX, Parquet and Arrow IPC stream; plain JSON is parsed whole).

Values are *raw*: strings for CSV, native cell values for XLSX/JSON/Parquet.
Cleaning happens later, per input type, in :mod:`perfrules.io.cells`.

Rules common to every format:

* ``Record.row`` is the 1-based number a person would use to find the row:
  the physical line for CSV/TSV/JSONL (header = line 1, so the first data
  row of a plain CSV is 2; a quoted field spanning lines reports the line the
  row starts on), the sheet row for XLSX, the record index for JSON, Parquet
  and Arrow.
* ``Record.values`` has a key for every column (missing cells are ``None``).
  JSONL records may carry extra keys that first appear after the lines
  scanned for the header (see :data:`JSONL_SCAN_LINES`).
* Blank lines are skipped and counted in ``RecordSource.skipped`` (the
  count is complete once iteration has finished; it restarts with each new
  iteration): in CSV/TSV/JSONL a line that is empty or whitespace only, in
  JSON an empty object ``{}``, in XLSX a row with no value, in Parquet/Arrow a
  row whose values are all null or blank. A CSV/TSV line with delimiters
  (``,,,,``) and a JSON object with keys are records even when every cell is
  blank: they are evaluated (blank inputs) so that records in = results +
  error rows.
* A row that cannot be read (too many cells, undecodable bytes, malformed
  JSON line…) does not abort reading: it is yielded as a record with
  ``values=None`` and ``error``/``error_en``/``error_code`` set, and counted
  in ``RecordSource.errors``.
* Header names are stripped of a BOM and surrounding whitespace; an empty
  name becomes ``列<letter>`` (e.g. ``列C``) and a repeated name gets a
  suffix (``金额``, ``金额_2``), the repeats being listed in ``repeats``
  (the batch layer refuses a repeated column the rules read). Trailing empty
  header cells are dropped.

XLSX specifics: the workbook is opened with openpyxl in read-only,
``data_only`` mode, so formula cells give the value Excel last saved (a file
written by a program and never opened in Excel may have no cached values and
give ``None``). Read-only mode does not expose merged ranges: a merged header
cell gives its text to the first column and the other columns of the merge
get ``列<letter>`` names (merged ranges are read from the sheet XML). A
two-level header (group captions merged across columns over a row of
sub-labels, see :meth:`_XlsxSource._two_level_header`) names each column by
its lowest label. Rows with no value at all are skipped (Excel cannot tell an
empty cell from a missing one), trailing formatted-only rows included. A data cell
merged down a column (one 单位名称 over several rows) gives each row of the
merge its value; merges across columns are not copied (see _VerticalMerges). A number under a
percentage format (0.955 shown as 95.5%) reads as the text shown, "95.5%" (_percent_text).

The header (CSV and XLSX) is the first non-empty row — unless that row is a
title, a unit line or a row of group captions above the real header: see
:func:`pick_header`. Rows above the header are not records.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import ReaderError, short_repr
from .cells import widen_short_floats

__all__ = [
    "Record",
    "RecordSource",
    "FORMATS",
    "JSONL_SCAN_LINES",
    "detect_format",
    "detect_encoding",
    "encoding_hint",
    "open_records",
]

#: Canonical format names and the file extensions that select them.
FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "tsv": (".tsv", ".tab"),
    "xlsx": (".xlsx", ".xlsm"),
    "json": (".json",),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet", ".pq"),
    "arrow": (".arrow", ".feather", ".ipc"),
}
_ALIASES = {"ndjson": "jsonl", "feather": "arrow", "ipc": "arrow", "xlsm": "xlsx", "pq": "parquet"}
_BY_SUFFIX = {ext: fmt for fmt, exts in FORMATS.items() for ext in exts}

#: How many non-blank JSONL lines are scanned to build ``.columns``.
JSONL_SCAN_LINES = 1000

# Rows per Arrow record batch: bounds memory while keeping per-batch
# overhead negligible.
_BATCH_ROWS = 8192

# Encoding sniffing: bytes per step, bytes checked after the first non-ASCII
# byte, and the most we examine before settling on UTF-8 for an all-ASCII
# file. Small steps keep the transient memory small.
_SNIFF_CHUNK = 64 << 10
_SNIFF_AFTER_NON_ASCII = 1 << 20
_SNIFF_LIMIT = 32 << 20
_SNIFF_LONG_LINE = 1 << 20


@dataclass(frozen=True, slots=True)
class Record:
    """One data row.

    Attributes:
        row: 1-based row/line number as a person would find it in the file.
        values: column name → raw value, or ``None`` for an error record.
        error: Chinese description when the row could not be read.
        error_en: the same in English.
        error_code: stable slug, e.g. ``too_many_cells``, ``bad_encoding``,
            ``bad_json``, ``not_an_object``, ``csv_syntax``.
        cells: for a row read but rejected (too many or too few cells), the cells it
            has under their columns — enough to name the record (its id) in the error row.
    """

    row: int
    values: dict[str, Any] | None
    error: str | None = None
    error_en: str | None = None
    error_code: str | None = None
    cells: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when the row was read (``values`` is not ``None``)."""
        return self.error is None


def _error_record(row: int, code: str, zh: str, en: str, cells: dict | None = None) -> Record:
    return Record(row, None, zh, en, code, cells)


# --- format and encoding detection ------------------------------------------


def detect_format(path: str | Path) -> str:
    """Return the canonical format name for ``path`` from its extension.

    One of ``csv``, ``tsv``, ``xlsx``, ``json``, ``jsonl``, ``parquet``,
    ``arrow`` (see :data:`FORMATS`).

    Raises:
        ReaderError: code ``unknown_format`` (or ``xls_not_supported``).
    """
    suffix = Path(path).suffix.lower()
    fmt = _BY_SUFFIX.get(suffix)
    if fmt is not None:
        return fmt
    if suffix == ".xls":
        raise ReaderError(
            "xls_not_supported",
            f"不支持旧版 Excel .xls 文件：{path}；请在 Excel/WPS 中另存为 .xlsx",
            f"old Excel .xls files are not supported: {path}; save it as .xlsx",
            path,
        )
    known = ", ".join(sorted(_BY_SUFFIX))
    raise ReaderError(
        "unknown_format",
        f"无法根据扩展名判断文件格式：{path}（支持 {known}）",
        f"cannot tell the file format from the extension of {path} (supported: {known})",
        path,
    )


_MAGIC = ((b"PK\x03\x04", "xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"), (b"PAR1", "parquet"),
          (b"ARROW1", "arrow"))


def data_format(path: Path) -> str:
    """The format of a data file: its extension's, unless its first bytes say otherwise. An
    .xlsx renamed .csv was read as text ("a line ends with a lone CR: Mac Excel's format"), an
    old .xls or a CSV renamed .xlsx failed with openpyxl's "File is not a zip file"."""
    fmt = detect_format(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return fmt  # the reader says why
    said = next((f for magic, f in _MAGIC if head.startswith(magic)), None)
    if said == "xls":
        raise ReaderError(
            "xls_not_supported",
            f"{path} 是旧版 Excel（.xls）文件，不支持；请在 Excel/WPS 中另存为 .xlsx",
            f"{path} is an old Excel .xls file, which is not supported; save it as .xlsx",
            path,
        )
    if said is not None and said != fmt and not (said == "xlsx" and fmt == "arrow"):
        return said  # unmistakable bytes: read what the file is
    if fmt == "xlsx" and said is None and head:
        raise ReaderError(
            "bad_xlsx",
            f"{path} 的扩展名是 {path.suffix}，内容却不是 Excel 工作簿（可能是改了扩展名的 CSV 或网页）；"
            "请用 Excel/WPS 打开后另存为 .xlsx，或改成它真正的扩展名",
            f"{path} is named {path.suffix} but is no Excel workbook (a CSV or web page renamed?); "
            "save it as .xlsx from Excel/WPS, or give it its real extension",
            path,
        )
    return fmt


def _canonical_format(fmt: str) -> str:
    key = fmt.lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        known = ", ".join(FORMATS)
        raise ReaderError(
            "unknown_format", f"未知的数据格式：{fmt!r}（支持 {known}）", f"unknown data format {fmt!r} (supported: {known})"
        )
    return key


def detect_encoding(path: str | Path) -> str:
    """Guess the text encoding of a CSV/TSV file without reading it all.

    A BOM decides (``utf-8-sig``, ``utf-16``, ``utf-32``). Otherwise the bytes
    are examined line by line, from the start until 1 MiB past the first
    non-ASCII byte (or the end of the file). The file is ``utf-8`` when the
    first line with non-ASCII bytes (usually the header) is valid UTF-8 and
    the bytes that are not are few: fewer than a quarter of the valid
    multi-byte UTF-8 characters seen (a stray ``\\xff`` in one row of a UTF-8
    export). Otherwise it is ``gb18030`` (a superset of GBK and GB2312, what
    Excel and WPS on Chinese Windows write): in GBK text almost every
    non-ASCII byte is invalid UTF-8. A file that is pure ASCII as far as we
    look (32 MiB) is reported as ``utf-8``. With ``utf-8`` chosen, a line that
    does not decode becomes one error record.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
        # UTF-32 LE's BOM starts with UTF-16 LE's, so test it first.
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        chunk = head + fh.read(_SNIFF_CHUNK - len(head))
        seen = 0
        non_ascii_at = -1
        first = b""  # the first line with non-ASCII bytes
        valid = invalid = 0  # non-ASCII characters that decode / bytes that do not
        wide = False  # a UTF-8 character of 3 or 4 bytes (every CJK ideograph) was seen
        pending = b""
        while True:
            eof = not chunk
            seen += len(chunk)
            data = pending + chunk
            cut = len(data) if eof else data.rfind(b"\n") + 1  # whole lines only
            if cut == 0 and len(data) > _SNIFF_LONG_LINE:  # a very long line: cut between characters
                cut = len(data)
                while cut > len(data) - 4 and 0x80 <= data[cut - 1] < 0xC0:
                    cut -= 1
                cut -= 1 if data[cut - 1] >= 0xC0 else 0
            text, pending = data[:cut], data[cut:]
            if text and not text.isascii():
                if non_ascii_at < 0:
                    non_ascii_at = seen
                    at = _HIGH_BYTE.search(text).start()
                    line = text[text.rfind(b"\n", 0, at) + 1 :]
                    line = line[: line.find(b"\n") + 1 or len(line)]
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError:
                        return "gb18030"  # the header (or first text) is not UTF-8
                    first = line
                high = len(text) - len(text.translate(None, _HIGH_BYTES))
                decoded = text.decode("utf-8", "surrogateescape")
                bad = len(_ESCAPED.findall(decoded))
                wide = wide or _WIDE.search(decoded) is not None
                invalid += bad
                valid += len(decoded) - (len(text) - high) - bad
            if eof:
                break
            if non_ascii_at >= 0 and seen - non_ascii_at >= _SNIFF_AFTER_NON_ASCII:
                break
            if non_ascii_at < 0 and seen >= _SNIFF_LIMIT:
                break
            chunk = fh.read(_SNIFF_CHUNK)
    if not wide and first and _gbk_read_as_utf8(first):
        return "gb18030"
    if invalid * 4 < valid or not invalid:
        return "utf-8"
    try:
        first.decode("gb18030")
    except UnicodeDecodeError:  # many stray bytes in mostly-ASCII rows, under a UTF-8 header
        return "utf-8"          # that GB18030 cannot read: the rows' bad lines become error rows
    return "gb18030"


def _gbk_read_as_utf8(line: bytes) -> bool:
    """A GBK header that happens to be valid UTF-8: 原值,实值 is D4AD D6B5,CAB5 D6B5 — as UTF-8
    two Armenian/Hebrew letters, no Chinese. Chinese in UTF-8 takes 3 bytes a character, so
    when no such character was seen, the header's UTF-8 reading has Cyrillic … NKo letters
    (U+0400–U+07FF: not the Latin-1 symbols ° × · ², accented or pinyin letters, or Greek μ Ω
    that a real UTF-8 header may have) and its GB18030 reading is all Chinese, the file is GBK
    (it was read as UTF-8, and every column was "missing")."""
    text = line.decode("utf-8")
    if not _MIDDLE.search(text):
        return False
    try:
        gb = line.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return all(c.isascii() or _CHINESE.match(c) for c in gb)


_WIDE = re.compile("[\u0800-\ud7ff\ue000-\U0010ffff]")  # not the surrogate escapes of bad bytes
_MIDDLE = re.compile("[\u0400-\u07ff]")
_CHINESE = re.compile("[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_ESCAPED = re.compile("[\udc80-\udcff]")


def encoding_hint(source: object) -> tuple[str, str] | None:
    """A sentence (zh, en) to add to a "missing columns" message when the source's text
    encoding was guessed (a wrong guess garbles the header names), else ``None``."""
    if not getattr(source, "encoding_guessed", False) or not getattr(source, "encoding", None):
        return None
    enc = source.encoding
    if codecs.lookup(enc).name != "gb18030":
        return None  # UTF-8 is only chosen when the header decodes as UTF-8: a safe guess
    return (
        f"文件编码按 {enc} 推测，若列名乱码请用 --encoding 指定（如 --encoding utf-8）",
        f"the text encoding was guessed as {enc}; if the column names look garbled, pass --encoding (e.g. --encoding utf-8)",
    )


# --- shared row helpers -------------------------------------------------------


def column_letter(index: int) -> str:
    """Excel column letter for a 1-based column index (1 → A, 27 → AA)."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _header_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an XLSX header 2023 arrives as 2023.0
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        value = value.date()  # a date typed as a header (a monitoring date): 2024-06-30, not 2024-06-30 00:00:00
    return str(value).strip().strip("\ufeff\u200b").strip()


def clean_header(raw_names: Sequence[object], repeats: dict | None = None) -> list[str]:
    """Turn raw header cells into unique, non-empty column names. A repeated name gets a
    suffix; `repeats`, when given, receives each repeated name's 1-based column positions (a
    rule file reading that name cannot know which column is meant: batch.resolve refuses it)."""
    names = [_header_text(v) for v in raw_names]
    while names and not names[-1]:
        names.pop()
    result: list[str] = []
    taken: set[str] = set()
    if repeats is not None:
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(names, 1):
            if name:
                positions.setdefault(name, []).append(i)
        repeats.update({name: at for name, at in positions.items() if len(at) > 1})
    for i, name in enumerate(names, 1):
        if not name:
            name = f"列{column_letter(i)}"
        if name in taken:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            name = f"{name}_{n}"
        taken.add(name)
        result.append(name)
    return result


def _is_empty_cell(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_empty_row(cells: Iterable[object]) -> bool:
    return all(_is_empty_cell(v) for v in cells)


def _is_blank_line(cells: Sequence[str]) -> bool:
    """A CSV/TSV line that is skipped: empty or whitespace only (no delimiter). A line with
    delimiters (``,,,``) is a record whose cells are all blank."""
    return len(cells) <= 1 and _is_empty_row(cells)


HEADER_SCAN_ROWS = 10  # non-empty rows looked at to find the header below a title


def pick_header(rows: Sequence[tuple[int, Sequence[object]]]) -> tuple[int, Sequence[object]]:
    """Which of the first non-empty (number, cells) rows of a sheet is the header.

    Spreadsheets from finance bureaus often put a title ("区卫健局2024年度绩效数据", merged
    across the table) and a unit line ("单位：万元") above the header, or a row of group
    captions over it. The header is the first row that fills at least half as many cells as
    the widest of these rows (and two or more); if none does, the first non-empty row."""
    counts = [sum(not _is_empty_cell(v) for v in cells) for _, cells in rows]
    need = max(2, (max(counts) + 1) // 2)
    return rows[next((i for i, c in enumerate(counts) if c >= need), 0)]


def _row_record(row: int, columns: list[str], cells: Sequence[object], short_ok: bool = True,
                end: int | None = None) -> Record:
    """Build a record from positional cells, rejecting non-empty extras; a short row is padded
    with blanks (a sheet row ends at its last value) or, with short_ok False (a CSV line: a
    truncated write or a broken line, not a shorter row), rejected. `end`: the CSV line the
    record ends on; a rejected record spanning lines says so (an unclosed quote swallows every
    line after it into one record, which would otherwise vanish without a word)."""
    width = len(columns)
    span_zh = span_en = ""
    if end is not None and end > row:
        span_zh = f"；第{row}–{end}行被读成了这一条记录：第{row}行可能有没闭合的引号"
        span_en = f"; lines {row}–{end} were read as this one record: an unclosed quote on line {row}?"
    elif not short_ok and any(isinstance(c, str) and ("," in c or "\t" in c) for c in cells):
        # the last line's unclosed quote swallows only the rest of its own line
        span_zh = f"；第{row}行可能有没闭合的引号"
        span_en = f"; an unclosed quote on line {row}?"
    if not short_ok and len(cells) < width:
        missing = "、".join(columns[len(cells):][:3]) + ("…" if width - len(cells) > 3 else "")
        return _error_record(
            row,
            "too_few_cells",
            f"第{row}行只有{len(cells)}个单元格，少于表头的{width}列（缺：{missing}；行可能被截断{span_zh}）",
            f"row {row} has {len(cells)} cells but the header has {width} columns (missing: "
            f"{missing.replace('、', ', ')}; a truncated line?{span_en})",
            dict(zip(columns, cells)),
        )
    if len(cells) > width:
        extra = cells[width:]
        if not _is_empty_row(extra):
            # each cell quoted as other messages quote a cell ('y'、'z'), not a Python list (['y', 'z'])
            shown = [short_repr(v) for v in extra if not _is_empty_cell(v)]
            more = "…" if len(shown) > 3 else ""
            return _error_record(
                row,
                "too_many_cells",
                f"第{row}行有{len(cells)}个单元格，多于表头的{width}列（多出的内容：{'、'.join(shown[:3])}{more}{span_zh}）",
                f"row {row} has {len(cells)} cells but the header has {width} columns "
                f"(extra: {', '.join(shown[:3])}{more}{span_en})",
                dict(zip(columns, cells)),
            )
        cells = cells[:width]
    values = dict(zip(columns, cells))
    if len(cells) < width:
        for name in columns[len(cells) :]:
            values[name] = None
    return Record(row, values)


# --- RecordSource -------------------------------------------------------------


class RecordSource:
    """An opened data file: header now, records on iteration.

    Attributes:
        path: the file.
        format: canonical format name.
        columns: cleaned header names, in file order.
        encoding: text encoding used (CSV/TSV/JSON/JSONL), else ``None``.
        encoding_guessed: True when ``encoding`` was detected (CSV/TSV without
            an explicit encoding), not given; see :func:`encoding_hint`.
        sheet: worksheet title (XLSX), else ``None``.
        skipped: empty rows skipped by the latest iteration.
        errors: error records yielded by the latest iteration.

    Iterating again re-reads the file from the start. Use as a context
    manager (or call :meth:`close`) to release open files promptly.
    """

    format: str = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: list[str] = []
        self.repeats: dict[str, list[int]] = {}  # a header name given to several columns → their positions
        self.encoding: str | None = None
        self.encoding_guessed = False
        self.sheet: str | None = None
        self.skipped = 0
        self.errors = 0

    def __iter__(self) -> Iterator[Record]:
        self.skipped = 0
        self.errors = 0
        for record in self._records():
            if record.error is not None:
                self.errors += 1
            yield record

    def _records(self) -> Iterator[Record]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release file handles held by the source (safe to call twice)."""

    def __enter__(self) -> RecordSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.format} {str(self.path)!r} columns={len(self.columns)}>"


# --- CSV / TSV ------------------------------------------------------------------


def _line_safe(encoding: str) -> bool:
    """True when b"\\n" only ever encodes a newline (not UTF-16/32)."""
    name = codecs.lookup(encoding).name
    return not name.startswith(("utf-16", "utf-32"))


class _CsvSource(RecordSource):
    def __init__(self, path: Path, fmt: str, encoding: str | None) -> None:
        super().__init__(path)
        self.format = fmt
        self._delimiter = "\t" if fmt == "tsv" else ","
        self.encoding_guessed = encoding is None
        if encoding is None:
            encoding = detect_encoding(path)
        else:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ReaderError(
                    "unknown_encoding", f"未知的文本编码：{encoding!r}", f"unknown text encoding {encoding!r}", path
                ) from None
        self.encoding = encoding
        self._header_line = 0
        with contextlib.closing(self._rows()) as rows:
            self._read_header(rows)
        if not self.columns:
            raise ReaderError("no_header", f"文件中没有表头行：{path}", f"no header row found in {path}", path)

    def _read_header(self, rows: Iterator[tuple[int, list[str], tuple[str, str] | None]]) -> None:
        seen: list[tuple[int, list[str]]] = []
        for start, cells, problem in rows:
            if problem is not None:
                if seen:
                    break  # a bad line after the header: the records' business
                code, detail = problem
                if code == "bad_encoding":
                    raise self._decode_error(start)
                if "new-line character seen in unquoted field" in detail:
                    # lines end in a bare CR (Excel for Mac's "Macintosh CSV"): Python's csv
                    # module's advice (universal-newline mode) means nothing to the user
                    raise ReaderError(
                        code,
                        f"表头行（第{start}行）CSV格式错误：行以单独的回车符（CR）结尾（Mac 版 Excel 的“Macintosh 逗号分隔”格式）；"
                        "请另存为“CSV UTF-8（逗号分隔）”",
                        f"header line {start}: CSV syntax error: lines end in a bare carriage return (CR, Excel for Mac's "
                        "\"Macintosh Comma Separated\"); save the file as \"CSV UTF-8 (Comma delimited)\"",
                        self.path,
                    )
                raise ReaderError(
                    code,
                    f"表头行（第{start}行）CSV格式错误：{detail}",
                    f"header line {start}: CSV syntax error: {detail}",
                    self.path,
                )
            if not _is_empty_row(cells):
                seen.append((start, cells))
                if len(seen) == HEADER_SCAN_ROWS:
                    break
        if seen:
            self._header_line, cells = pick_header(seen)
            self.columns = clean_header(cells, self.repeats)

    def _decode_error(self, line: int) -> ReaderError:
        return ReaderError(
            "bad_encoding",
            f"第{line}行无法按 {self.encoding} 解码；请用 --encoding 指定文件编码（如 gb18030 或 utf-8）",
            f"line {line} cannot be decoded as {self.encoding}; pass --encoding (e.g. gb18030 or utf-8)",
            self.path,
        )

    def _rows(self) -> Iterator[tuple[int, list[str], tuple[str, str] | None]]:
        """Yield (first physical line, cells, problem) for every CSV row.

        ``problem`` is ``None`` or ``(code, detail)`` with code
        ``bad_encoding`` (some line of the row had undecodable bytes) or
        ``csv_syntax``.
        """
        assert self.encoding is not None
        bad_lines: set[int] = set()
        with open(self.path, "rb") as fh:
            if _line_safe(self.encoding):
                # Decode line by line so that one bad byte spoils only its
                # own row instead of aborting a long import.
                lines: Iterator[str] = _decode_lines(fh, self.encoding, bad_lines)
            else:
                lines = io.TextIOWrapper(fh, encoding=self.encoding, newline="")
            reader = csv.reader(lines, delimiter=self._delimiter)
            previous = 0  # physical line where the previous row ended
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield previous + 1, [], ("csv_syntax", str(exc))
                    previous = reader.line_num
                    continue
                except UnicodeError:  # only for UTF-16/32 text streams; --encoding utf-16 on a file
                    # without a BOM raises UnicodeError itself (not a decode error): was exit 70
                    raise self._decode_error(previous + 1) from None
                end = reader.line_num
                problem = None
                if bad_lines:
                    span = range(previous + 1, end + 1)
                    if any(n in bad_lines for n in span):
                        problem = ("bad_encoding", "")
                    bad_lines.difference_update(span)
                self._row_end = end  # the physical line the row ends on (read by _records)
                yield previous + 1, cells, problem
                previous = end

    def _records(self) -> Iterator[Record]:
        columns = self.columns
        for start, cells, problem in self._rows():
            if start <= self._header_line:
                continue
            if problem is not None:
                code, detail = problem
                if code == "bad_encoding":
                    yield _error_record(
                        start,
                        code,
                        f"第{start}行无法按 {self.encoding} 解码（文件编码可能不对，可用 --encoding 指定）",
                        f"line {start} cannot be decoded as {self.encoding} (wrong encoding? use --encoding)",
                    )
                else:
                    yield _error_record(
                        start, code, f"第{start}行CSV格式错误：{detail}", f"line {start}: CSV syntax error: {detail}"
                    )
                continue
            if _is_blank_line(cells):
                self.skipped += 1
                continue
            yield _row_record(start, columns, cells, short_ok=False, end=self._row_end)


def _decode_lines(fh: Iterable[bytes], encoding: str, bad_lines: set[int]) -> Iterator[str]:
    for number, raw in enumerate(fh, 1):
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError:
            bad_lines.add(number)
            yield raw.decode(encoding, "replace")


# --- XLSX ---------------------------------------------------------------------


class _XlsxSource(RecordSource):
    format = "xlsx"

    def __init__(self, path: Path, sheet: str | int | None) -> None:
        super().__init__(path)
        try:
            import openpyxl
        except ImportError as exc:  # pragma: no cover - depends on install
            raise _missing_dependency("openpyxl", "xlsx", path) from exc
        self._fh = None
        target = path
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
            # a workbook under another name (data_format read its bytes): openpyxl refuses a
            # path by its extension, not a file object
            target = self._fh = open(path, "rb")
        try:
            self._workbook = openpyxl.load_workbook(target, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many unrelated types
            self.close()
            raise ReaderError(
                "bad_xlsx", f"无法打开 Excel 文件 {path}：{exc}", f"cannot open Excel file {path}: {exc}", path
            ) from exc
        try:
            self._sheet = self._pick_sheet(sheet)
            self.sheet = self._sheet.title
            # The stored <dimension> is often wrong or huge (formatting down to
            # row 1048576); without it openpyxl yields exactly the stored rows.
            self._sheet.reset_dimensions()
            self._header_row = 0
            self._merges = None
            self._uncached = None
            with contextlib.closing(self._rows()) as rows:
                seen = []
                for number, cells in rows:
                    if not _is_empty_row(cells):
                        seen.append((number, cells))
                        if len(seen) == HEADER_SCAN_ROWS:
                            break
            if seen:
                self._header_row, cells = pick_header(seen)
                self.columns = clean_header(self._two_level_header(seen, cells) or cells, self.repeats)
            if not self.columns:
                raise ReaderError(
                    "no_header",
                    f"工作表“{self.sheet}”是空的：{path}",
                    f"worksheet {self.sheet!r} is empty in {path}",
                    path,
                )
        except BaseException:
            self.close()
            raise

    def _two_level_header(self, seen: list[tuple[int, Sequence[object]]], top: Sequence[object]) -> list[str] | None:
        """The column names of a two-level header, or ``None`` for a one-row header.

        The header row (``top``) is two-level when some of its cells are merged across columns
        (财务数据 over B:C) and the row beneath holds text only, and only under those merges
        (全年预算数（万元）, 累计支出); cells of the header row merged down into that row (预算单位
        over A2:A3) are blank there. Each column is then named by its lowest label: the
        sub-label, or the header row's cell where there is none (a column merged down). A
        sub-label found under two merges (预算 under both 2023年 and 2024年) is joined to its
        parent with nothing between (``2023年预算``, ``2024年预算``). The records start below
        the second row.

        When the captions are few and wide (其他 over five columns), the caption row fills less
        than half the columns and pick_header chooses the row of sub-labels: its blanks that a
        cell of the row above is merged down into (单位名称, 满意率 over two rows) show that the
        row above is the header's top."""
        h = self._header_row
        if any(_is_empty_cell(v) for v in top):
            above = next((cells for number, cells in seen if number == h - 1), None)
            if above is not None:
                if self._merges is None:
                    self._merges = _merged_ranges(self._workbook, self._sheet)
                down = {c - 1 for c0, r0, c1, r1 in self._merges if r0 == h - 1 and r1 >= h for c in range(c0, c1 + 1)}
                if any(_is_empty_cell(v) and i in down for i, v in enumerate(top)):
                    self._header_row = h - 1
                    names = self._two_level_header(seen, above)
                    if names is not None:
                        return names
                    self._header_row = h
        below = next((cells for number, cells in seen if number == h + 1), None)
        if below is None or _is_empty_row(below) or not any(_is_empty_cell(v) for v in top):
            return None
        if not all(isinstance(v, str) for v in below if not _is_empty_cell(v)):
            return None  # a data row (numbers, dates) under a merged header cell
        if self._merges is None:
            self._merges = _merged_ranges(self._workbook, self._sheet)
        spans = [(c0 - 1, c1 - 1) for c0, r0, c1, r1 in self._merges if r0 == r1 == h and c1 > c0]
        parent_of: dict[int, int] = {}  # column → first column of the merge across above it
        for c0, c1 in spans:
            for col in range(c0, c1 + 1):
                parent_of[col] = c0
        labelled = [i for i, v in enumerate(below) if not _is_empty_cell(v)]
        if not any(i in parent_of for i in labelled) or any(i not in parent_of for i in labelled):
            return None
        width = max(len(top), len(below), max(c1 for _, c1 in spans) + 1)
        texts = [_header_text(top[i]) if i < len(top) else "" for i in range(width)]
        subs = [_header_text(below[i]) if i < len(below) else "" for i in range(width)]
        names = [sub or (texts[i] if parent_of.get(i, i) == i else "") for i, sub in enumerate(subs)]
        repeated = {n for n in names if n and names.count(n) > 1}
        for i, sub in enumerate(subs):
            if sub in repeated and i in parent_of:
                names[i] = texts[parent_of[i]] + sub
        self._header_row = h + 1
        return names

    def _pick_sheet(self, sheet: str | int | None) -> Any:
        wb = self._workbook
        names = wb.sheetnames
        if sheet is None:
            # The first sheet the user sees: a hidden one in front (a lookup table, an export's
            # settings) is not "the first sheet" of the workbook as Excel shows it.
            return next((ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"),
                        wb.worksheets[0])
        if isinstance(sheet, str):
            if sheet in names:
                return wb[sheet]
            folded = {n.strip().casefold(): n for n in names}
            if sheet.strip().casefold() in folded:
                return wb[folded[sheet.strip().casefold()]]
            if sheet.strip().isdigit():
                sheet = int(sheet.strip())
        if isinstance(sheet, int) and not isinstance(sheet, bool) and 1 <= sheet <= len(names):
            return wb.worksheets[sheet - 1]
        listed = "、".join(names)
        raise ReaderError(
            "no_such_sheet",
            f"找不到工作表 {sheet!r}；文件中的工作表：{listed}",
            f"no worksheet {sheet!r}; the workbook has: {', '.join(names)}",
            self.path,
        )

    def _rows(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        # openpyxl fills rows missing from the XML with empty tuples, so the
        # enumeration index is the sheet row number.
        percent = _percent_styles(self._workbook)
        if not percent:  # (reading cells, not values, costs ~15 %: only when it can matter)
            yield from enumerate(self._sheet.iter_rows(values_only=True), 1)
            return
        for number, row in enumerate(self._sheet.iter_rows(), 1):
            yield number, tuple(_percent_text(c.value) if getattr(c, "_style_id", None) in percent else c.value
                                for c in row)

    def _records(self) -> Iterator[Record]:
        columns = self.columns
        if self._merges is None:  # read once, though a source may be iterated twice (population pass)
            self._merges = _merged_ranges(self._workbook, self._sheet)
        if self._uncached is None:
            self._uncached = _uncached_formulas(self._workbook, self._sheet)
        fill = _VerticalMerges(self._merges, self._header_row)
        for number, cells in self._rows():
            if number <= self._header_row:
                continue
            if fill:
                cells = fill.apply(number, cells)
            # a formula without a stored result reads as an empty cell: a row of only such
            # cells is an error row like any other, not an empty row to skip
            if _is_empty_row(cells) and not (self._uncached and number in self._uncached):
                self.skipped += 1
                continue
            if self._uncached and number in self._uncached:
                found = [(ref, col) for ref, col in self._uncached[number]
                         if col < len(columns) and (col >= len(cells) or _is_empty_cell(cells[col]))]
                if found:
                    refs, names = [ref for ref, _ in found], [columns[col] for _, col in found]
                    yield _error_record(
                        number,
                        "formula_without_value",
                        f"第{number}行 {'、'.join(names)}：单元格 {'、'.join(refs)} 是公式，但文件里没有它的计算结果"
                        "（文件可能不是 Excel/WPS 保存的）；请在 Excel 中打开并保存，或把公式粘贴为数值",
                        f"row {number} {', '.join(names)}: cell {', '.join(refs)} holds a formula whose result the file "
                        "does not store (perhaps not saved by Excel/WPS); open and save it in Excel, or paste the values",
                        dict(zip(columns, cells)),  # the row's other cells name the record (its id)
                    )
                    continue
            yield _row_record(number, columns, cells)

    def close(self) -> None:
        wb = getattr(self, "_workbook", None)
        if wb is not None:
            wb.close()
            self._workbook = None
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()
            self._fh = None


def _missing_dependency(module: str, fmt: str, path: Path) -> ReaderError:
    return ReaderError(
        "missing_dependency",
        f"读取 {fmt} 文件需要安装 {module}（pip install 'perfrules[data]'）",
        f"reading {fmt} files needs {module} (pip install 'perfrules[data]')",
        path,
    )


# --- JSON / JSONL ----------------------------------------------------------------


# A number token a float64 may not carry exactly: 16 or more digits and dots in a row, or an
# exponent of three digits. Only a hint (it may sit inside a string): such text is parsed again
# by the standard library, which keeps every number exactly.
_LONG_NUMBER = re.compile(rb"[0-9][0-9.]{15}|[0-9][eE][-+]?[0-9]{3}")


def _wide_bom(raw: bytes) -> str | None:
    """"utf-32" or "utf-16" for a text that starts with that encoding's BOM, else None."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # UTF-32 LE's BOM starts like UTF-16 LE's
        return "utf-32"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _loads(data: bytes, encoding: str | None) -> Any:
    import orjson

    if encoding is not None and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        data = data.decode(encoding).encode("utf-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if _LONG_NUMBER.search(data) is None:
        parsed = orjson.loads(data)
        # orjson keeps the last of repeated keys ({"支出数": 95, "支出数": 50} → 50) without a word;
        # fewer keys parsed than `"…":` written is the hint (a `":` inside a string too)
        if _keys_in(parsed) >= len(_KEY_END.findall(data)):
            return parsed
    # orjson reads every number as a float64 (and integers beyond 64 bits too): a figure of more
    # than 15 significant digits would lose digits (1.00000000000000000001 → 1.0, 1e-400 → 0.0)
    # and 1e400 rejects the whole file. These are read exactly, and repeated keys are found.
    import json

    return json.loads(data.decode("utf-8"), parse_float=_json_float, parse_constant=_json_constant,
                      object_pairs_hook=_object_or_repeats)


_KEY_END = re.compile(rb'"\s*:')


def _keys_in(value) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_keys_in(v) for v in value.values() if isinstance(v, (dict, list)))
    if isinstance(value, list):
        return sum(_keys_in(v) for v in value if isinstance(v, (dict, list)))
    return 0


class RepeatedKeys:
    """A JSON object that names a key twice: which value is meant is a guess (an error record)."""

    __slots__ = ("keys",)

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys


def _object_or_repeats(pairs: list):
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set = set()
    return RepeatedKeys(list(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k))))


def _mostly_gbk(data: bytes) -> bool:
    """A JSON file's text is GB18030 (GBK) rather than UTF-8: it does not decode as UTF-8 and its
    undecodable bytes are not few — a quarter or more of the non-ASCII characters that do decode
    (the rule detect_encoding applies to a CSV's lines; a JSON file is often one line)."""
    if data.startswith(codecs.BOM_UTF8) or data.isascii():
        return False
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return bad * 4 >= good


def _json_float(text: str):
    """A JSON number with a fraction or exponent: the float orjson gives when its shortest
    decimal is the number written (the usual case), else the exact Decimal."""
    from decimal import Decimal

    f = float(text)
    exact = Decimal(text)
    if f == f and abs(f) != float("inf") and Decimal(repr(f)) == exact:
        return f
    return exact


def _json_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN/Infinity: orjson rejects them as well


class _KeyedSource(RecordSource):
    """Shared logic for sources whose rows are JSON objects."""

    def _set_columns(self, raw_keys: list[str]) -> None:
        self.columns = clean_header(raw_keys, self.repeats)
        # clean_header drops trailing empty names; keep the mapping total.
        self._rename = dict(zip(raw_keys, self.columns))

    def _object_record(self, row: int, obj: object) -> Record | None:
        """Record for one JSON value; ``None`` (and counted) for ``{}``. An object with keys
        is a record even when every value is blank, like a CSV line of delimiters."""
        if isinstance(obj, RepeatedKeys):
            keys = "、".join(obj.keys)
            return _error_record(
                row,
                "repeated_key",
                f"第{row}条记录里 {keys} 出现了不止一次，不知道该用哪个值",
                f"record {row} names {', '.join(obj.keys)} more than once: it is not clear which value to use",
            )
        if not isinstance(obj, dict):
            return _error_record(
                row,
                "not_an_object",
                f"第{row}条记录不是对象（{{\"列名\": 值}}）：{short_repr(obj)}",
                f"record {row} is not an object: {short_repr(obj)}",
            )
        if not obj:
            self.skipped += 1
            return None
        values: dict[str, Any] = dict.fromkeys(self.columns)
        rename = self._rename
        for key, value in obj.items():
            name = rename.get(key)
            if name is None:
                name = _header_text(key) or str(key)
            values[name] = value
        return Record(row, values)


def _union_keys(objects: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for obj in objects:
        if isinstance(obj, dict):
            for key in obj:
                if key not in seen:
                    seen[key] = None
    return list(seen)


class _JsonSource(_KeyedSource):
    format = "json"

    def __init__(self, path: Path, encoding: str | None) -> None:
        super().__init__(path)
        raw = path.read_bytes()
        if encoding is None and _wide_bom(raw):  # PowerShell 5 writes UTF-16 with a BOM
            encoding = _wide_bom(raw)
            self.encoding_guessed = True
        elif encoding is None and _mostly_gbk(raw):  # --help: "default: detect UTF-8/BOM/GB18030"
            encoding = "gb18030"
            self.encoding_guessed = True
        self.encoding = encoding or "utf-8"
        try:
            data = _loads(raw, encoding)
        except (ValueError, UnicodeDecodeError) as exc:  # orjson.JSONDecodeError is a ValueError
            raise ReaderError(
                "bad_json", f"JSON 文件格式错误：{path}：{json_problem_zh(exc)}", f"malformed JSON in {path}: {exc}", path
            ) from exc
        if isinstance(data, dict) and isinstance(data.get("records"), list):
            data = data["records"]
        elif isinstance(data, dict) and not any(isinstance(v, (list, dict)) for v in data.values()):
            data = [data]  # one department's record, as a service would post it
        if not isinstance(data, list):
            raise ReaderError(
                "bad_json_shape",
                f"JSON 文件应为对象数组、单个记录对象，或 {{\"records\": [...]}}：{path}",
                f'JSON file must be an array of objects, one record object or {{"records": [...]}}: {path}',
                path,
            )
        self._data = data
        self._set_columns(_union_keys(data))

    def _records(self) -> Iterator[Record]:
        for index, obj in enumerate(self._data, 1):
            record = self._object_record(index, obj)
            if record is not None:
                yield record


class _JsonlSource(_KeyedSource):
    format = "jsonl"

    def __init__(self, path: Path, encoding: str | None) -> None:
        super().__init__(path)
        guessed = detect_encoding(path) if encoding is None else None
        if guessed in ("gb18030", "utf-16", "utf-32"):  # line by line, as for a CSV
            encoding = guessed
            self.encoding_guessed = True
        self.encoding = encoding or "utf-8"
        self._given_encoding = encoding
        with contextlib.closing(self._lines()) as lines:
            sample = [obj for _number, obj in itertools.islice(lines, JSONL_SCAN_LINES) if obj is not _BLANK]
        self._set_columns(_union_keys(sample))

    def _lines(self) -> Iterator[tuple[int, object]]:
        """Yield (line number, parsed object, ``_BLANK`` or ``_Bad``)."""
        with open(self.path, "rb") as fh:
            lines: Iterable[bytes] = fh
            encoding = self._given_encoding
            if encoding is not None and not _line_safe(encoding):
                # UTF-16/32: a b"\n" byte is no line end there (every line was cut apart, and the
                # file had "no records"); the text's own lines, as UTF-8
                text = io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")
                lines, encoding = (t.encode("utf-8") for t in text), None
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    yield number, _BLANK
                    continue
                try:
                    yield number, _loads(line, encoding)
                except (ValueError, UnicodeDecodeError) as exc:  # orjson.JSONDecodeError is a ValueError
                    yield number, _Bad(str(exc), json_problem_zh(exc, one_line=True))

    def _records(self) -> Iterator[Record]:
        for number, obj in self._lines():
            if obj is _BLANK:
                self.skipped += 1
                continue
            if isinstance(obj, _Bad):
                yield _error_record(
                    number,
                    "bad_json",
                    f"第{number}行不是合法的 JSON：{obj.detail_zh}",
                    f"line {number} is not valid JSON: {obj.detail}",
                )
                continue
            record = self._object_record(number, obj)
            if record is not None:
                yield record


# orjson's messages (English) → what to fix, for the Chinese text; the first match wins
_JSON_PROBLEMS = (
    ("expected a string key", "键要用英文双引号括起来"),
    ("expected ':'", "键后面少了冒号"),
    ("expected ','", "少了逗号或右括号"),
    ("expected a json value", "这里应是一个值（文字要加英文双引号，true、false、null 要小写）"),
    ("trailing comma", "最后多了一个逗号"),
    ("end of data", "内容不完整（少了右括号或引号？）"),
    ("zero-length", "内容是空的"),
    ("content after document", "JSON 结束后还有多余的内容"),
    ("control character", "引号里有未转义的控制字符（如换行）"),
    ("escaped sequence", "引号里有无效的转义（\\ 后面的字符）"),
    ("leading zero", "数字不能以 0 开头"),
    ("number", "数字写法不对"),
    ("invalid literal", "值写法不对（true、false、null 要小写，文字要加英文双引号）"),
    ("utf-8", "不是 UTF-8 编码的文字"),
    ("unexpected character", "这里有不该出现的字符"),
)


def json_problem_zh(exc: Exception, one_line: bool = False) -> str:
    """A JSON syntax error (orjson's) said in Chinese, with where it is."""
    message = str(exc).lower()
    what = next((zh for key, zh in _JSON_PROBLEMS if key in message), "格式不对")
    line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if col is None:
        return what
    return f"第{col}个字符处：{what}" if one_line else f"第{line}行第{col}列：{what}"


class _Bad:
    __slots__ = ("detail", "detail_zh")

    def __init__(self, detail: str, detail_zh: str) -> None:
        self.detail, self.detail_zh = detail, detail_zh


_BLANK = object()


# --- Parquet / Arrow IPC -----------------------------------------------------------


class _ArrowSource(RecordSource):
    """Iterates Arrow record batches; subclasses provide ``_batches``."""

    def _set_schema(self, schema: Any) -> None:
        self._raw_names = list(schema.names)
        self.columns = clean_header(self._raw_names, self.repeats)
        # Keep positions for all raw columns even if clean_header dropped a
        # trailing unnamed one; such a column gets its letter name instead.
        while len(self.columns) < len(self._raw_names):
            self.columns.append(f"列{column_letter(len(self.columns) + 1)}")

    def _batches(self) -> Iterator[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _records(self) -> Iterator[Record]:
        from .batches import unview_column  # binary columns of UTF-8 text as text

        columns = self.columns
        row = 0
        for batch in self._batches():
            # Column-wise conversion is much faster than batch.to_pylist()
            # and keeps duplicate column names apart.
            data = [widen_short_floats(unview_column(batch.column(i))).to_pylist() for i in range(batch.num_columns)]
            for cells in zip(*data):
                row += 1
                if _is_empty_row(cells):
                    self.skipped += 1
                    continue
                yield Record(row, dict(zip(columns, cells)))


class _ParquetSource(_ArrowSource):
    format = "parquet"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover
            raise _missing_dependency("pyarrow", "parquet", path) from exc
        try:
            self._file = pq.ParquetFile(path)
        except Exception as exc:
            raise ReaderError(
                "bad_parquet", f"无法打开 Parquet 文件 {path}：{exc}", f"cannot open Parquet file {path}: {exc}", path
            ) from exc
        self._set_schema(self._file.schema_arrow)

    def _batches(self) -> Iterator[Any]:
        return self._file.iter_batches(batch_size=_BATCH_ROWS)

    def close(self) -> None:
        f = getattr(self, "_file", None)
        if f is not None:
            f.close()
            self._file = None


class _IpcSource(_ArrowSource):
    format = "arrow"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise _missing_dependency("pyarrow", "arrow", path) from exc
        self._stream = False
        try:
            source, reader = self._open()
            try:
                self._set_schema(reader.schema)
            finally:
                source.close()
        except Exception as exc:
            raise ReaderError(
                "bad_arrow",
                f"无法打开 Arrow/Feather 文件 {path}（仅支持 Arrow IPC 与 Feather v2）：{exc}",
                f"cannot open Arrow/Feather file {path} (Arrow IPC and Feather v2 only): {exc}",
                path,
            ) from exc

    def _open(self) -> tuple[Any, Any]:
        """Return (memory map, IPC reader); the caller closes the map."""
        import pyarrow as pa

        # The IPC *file* format (Feather v2) allows random access; some
        # tools write the *stream* format to ".arrow" files too.
        source = pa.memory_map(str(self.path))
        try:
            if not self._stream:
                try:
                    return source, pa.ipc.open_file(source)
                except pa.ArrowInvalid:
                    self._stream = True
                    source.seek(0)
            return source, pa.ipc.open_stream(source)
        except BaseException:
            source.close()
            raise

    def _batches(self) -> Iterator[Any]:
        source, reader = self._open()
        try:
            if self._stream:
                yield from reader
            else:
                for i in range(reader.num_record_batches):
                    yield reader.get_batch(i)
        finally:
            source.close()


_MERGE_REF = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_ranges(workbook: Any, sheet: Any) -> list[tuple[int, int, int, int]]:
    """The merged ranges (min_col, min_row, max_col, max_row) of a sheet, read from its XML in
    the workbook archive (openpyxl's read-only mode does not expose them); none if that fails."""
    try:
        from openpyxl.utils.cell import range_boundaries

        out, tail = [], b""
        with workbook._archive.open(sheet._worksheet_path) as fh:  # private to openpyxl: guarded
            while True:
                block = fh.read(1 << 20)
                if not block:
                    break
                text = tail + block
                out.extend(range_boundaries(m.group(1).decode()) for m in _MERGE_REF.finditer(text))
                tail = text[-80:]  # a reference cut by the block boundary is found next time
        return list(dict.fromkeys(out))  # (and one found twice counts once)
    except Exception:  # noqa: BLE001 - merges are a convenience: without them cells read as blank
        return []


# A formula cell with no stored result: written by a program (openpyxl, a report exporter) that
# does not compute formulas. openpyxl's data_only mode reads it as blank, which would score the
# field as missing data without a word.
_UNCACHED = re.compile(rb"<c\b([^>]*)>\s*(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_CELL_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_CELL_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')


def _percent_styles(workbook: Any) -> frozenset[int]:
    """The workbook's cell style ids whose number format shows a percentage (0.00%); none if
    openpyxl's style tables cannot be read."""
    try:
        from openpyxl.styles.numbers import BUILTIN_FORMATS

        custom = workbook._number_formats  # private to openpyxl: guarded
        out = set()
        for i, style in enumerate(workbook._cell_styles):
            fid = style.numFmtId
            fmt = BUILTIN_FORMATS.get(fid, "") if fid < 164 else custom[fid - 164]
            if "%" in fmt.replace("\\%", "").replace('"%"', ""):  # (a quoted or escaped % is a literal)
                out.add(i)
        return frozenset(out)
    except Exception:  # noqa: BLE001 - a convenience: without it such cells read as fractions
        return frozenset()


def _percent_text(value: object) -> object:
    """A number shown as a percentage (0.955 under 0.0%) as the text the clerk sees and typed,
    "95.5%": read like the same text in a CSV (a percent input takes 0.955, an amount refuses
    it); anything else as it is."""
    if type(value) is float and math.isfinite(value):
        exact = Fraction(repr(value)) * 100
    elif type(value) is int:
        exact = Fraction(value) * 100
    else:
        return value
    from ..runtime.numbers import format_plain

    return format_plain(exact, 28) + "%"


def _uncached_formulas(workbook: Any, sheet: Any) -> dict[int, list[tuple[str, int]]]:
    """Sheet row → [(cell reference, 0-based column)] of the formula cells whose result the file
    does not store (a cached empty text, t="str", is a result); none if reading the XML fails."""
    try:
        from openpyxl.utils.cell import column_index_from_string

        out: dict[int, list[tuple[str, int]]] = {}
        tail = b""
        with workbook._archive.open(sheet._worksheet_path) as fh:  # private to openpyxl: guarded
            while True:
                block = fh.read(1 << 20)
                text = tail + block
                if block:  # a cell cut by the block boundary is searched with the next block
                    cut = text.rfind(b"<c ")
                    text, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
                if b"<f" in text:
                    for m in _UNCACHED.finditer(text):
                        ref, kind = _CELL_REF.search(m.group(1)), _CELL_TYPE.search(m.group(1))
                        if ref is None or (kind is not None and kind.group(1) == b"str"):
                            continue
                        letters, row = ref.group(1).decode(), int(ref.group(2))
                        out.setdefault(row, []).append((letters + str(row), column_index_from_string(letters) - 1))
                if not block:
                    break
        return out
    except Exception:  # noqa: BLE001 - a convenience: without it such cells read as blank
        return {}


class _VerticalMerges:
    """Data cells merged down a column (one 单位名称 over several rows) give every row of the
    merge their value, as the sheet shows it. Merges across columns are left alone: a note
    spread over columns is not a value for each of them."""

    def __init__(self, ranges, header_row: int) -> None:
        self.by_col: dict[int, list[tuple[int, int]]] = {}
        for min_col, min_row, max_col, max_row in ranges:
            if min_col == max_col and max_row > min_row and min_row > header_row:
                self.by_col.setdefault(min_col - 1, []).append((min_row, max_row))
        self.held: dict[int, object] = {}

    def __bool__(self) -> bool:
        return bool(self.by_col)

    def apply(self, number: int, cells):
        out = None
        for col, spans in self.by_col.items():
            for lo, hi in spans:
                if number == lo:
                    self.held[col] = cells[col] if col < len(cells) else None
                elif lo < number <= hi and (col >= len(cells) or _is_empty_cell(cells[col])):
                    if out is None:
                        out = list(cells)
                    if col >= len(out):
                        out.extend([None] * (col + 1 - len(out)))
                    out[col] = self.held.get(col)
        return cells if out is None else tuple(out)


# --- entry point --------------------------------------------------------------------


def file_format(p: Path, fmt: str | None) -> str:
    """The format to read the data file p as: `fmt` when given, else its extension's unless
    its first bytes say otherwise (data_format). ReaderError for a folder (its name has no
    extension: the format check said it could not tell the format), an unknown format or a
    missing file."""
    if p.is_dir():
        raise ReaderError("is_a_folder", f"数据文件 {p} 是一个文件夹，请给出其中的数据文件",
                          f"the data file {p} is a folder: name a file in it", p)
    given = fmt is not None
    fmt = _canonical_format(fmt) if given else detect_format(p)
    if not p.is_file():
        raise ReaderError("file_not_found", f"找不到数据文件：{p}", f"data file not found: {p}", p)
    return fmt if given else data_format(p)


def open_records(
    path: str | Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> RecordSource:
    """Open a data file and read its header.

    Args:
        path: the data file.
        fmt: format name (see :data:`FORMATS`); detected from the extension
            when ``None``.
        encoding: text encoding for CSV/TSV/JSON/JSONL; detected for CSV/TSV
            when ``None`` (see :func:`detect_encoding`), UTF-8 for JSON.
        sheet: XLSX worksheet, by name or 1-based index; the first visible sheet
            when ``None``.

    Returns:
        A :class:`RecordSource`; iterate it for :class:`Record` objects.

    Raises:
        ReaderError: the file is missing, of an unknown format, or cannot be
            read as a whole (no header, malformed JSON document, …).
    """
    p = Path(path)
    fmt = file_format(p, fmt)
    if fmt in ("csv", "tsv"):
        return _CsvSource(p, fmt, encoding)
    if fmt == "xlsx":
        return _XlsxSource(p, sheet)
    if fmt == "json":
        return _JsonSource(p, encoding)
    if fmt == "jsonl":
        return _JsonlSource(p, encoding)
    if fmt == "parquet":
        return _ParquetSource(p)
    return _IpcSource(p)
