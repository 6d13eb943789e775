"""Writing a stream of Arrow record batches (flat results) to CSV, TSV, XLSX, JSON, JSONL,
Parquet or Arrow, consuming the stream once so memory stays bounded.

CSV/TSV is written by pyarrow from the batches' text form (`to_text`), with the header written
by the `csv` module exactly as `write_rows` writes it: UTF-8 with a BOM (Excel shows Chinese
correctly), minimal quoting, CRLF line ends; text a spreadsheet would run as a formula gets a
leading apostrophe (`writers.excel_safe`). Parquet and Arrow keep the batches' types (exact
decimals). JSON, JSONL and XLSX rows go through `write_rows`. As with `write_rows`, output goes
to a temporary file that replaces the target only on success.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ..oserrors import os_reason
from .errors import ReaderError, WriterError
from .readers import _canonical_format, detect_format
from .writers import writable_format, write_rows


def check_fits(path: str | Path, rows: int | None, *, fmt: str | None = None) -> None:
    """Refuse, before any work, an XLSX output that cannot hold `rows` records (known up front
    for Parquet and Arrow files): the writer would stop only after scoring a million rows."""
    from .writers import _EXCEL_MAX_ROWS

    if not rows or rows < _EXCEL_MAX_ROWS:
        return
    try:
        fmt = _canonical_format(fmt) if fmt is not None else detect_format(Path(path))
    except ReaderError:
        return  # write_batches reports it
    if fmt == "xlsx":
        raise WriterError(
            "too_many_rows",
            f"数据有 {rows} 条记录，超过 Excel 工作表上限（{_EXCEL_MAX_ROWS - 1} 行数据）；请改用 CSV 或 Parquet",
            f"the data has {rows} records, more than an Excel sheet holds ({_EXCEL_MAX_ROWS - 1} data rows); "
            f"use CSV or Parquet",
        )


def write_batches(batches: Iterable, path: str | Path, schema, *, fmt: str | None = None,
                  to_text: Callable | None = None, typed: Callable | None = None) -> int:
    """Write record batches of `schema`; returns the number of rows written.

    `to_text(batch)` gives the batch as strings (CSV, JSON, JSONL, XLSX); `typed(batch)` the
    batch as it should be stored in Parquet/Arrow (default: as it is)."""
    target = Path(path)
    if target.is_symlink():  # write through the link (os.replace would swap the link for a file)
        target = target.resolve()
    fmt = writable_format(target, fmt)
    to_text = to_text or (lambda b: b)
    typed = typed or (lambda b: b)
    if fmt in ("json", "jsonl", "xlsx"):
        names = list(schema.names)

        def rows():
            for b in batches:
                yield from to_text(b).to_pylist()

        # XLSX cells of decimal columns are numbers (written from their exact text)
        types = {f.name: "decimal" for f in schema if str(f.type).startswith("decimal")} if fmt == "xlsx" else None
        return write_rows(rows(), target, fmt=fmt, columns=names, types=types)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    count = 0
    try:  # from the file's creation on: an interrupt (Ctrl-C, SIGTERM) right after it removes it too
        try:
            open(tmp, "xb").close()
        except OSError as exc:
            raise WriterError("cannot_write", f"无法写入输出文件 {target}：{os_reason(exc)}",
                              f"cannot write output file {target}: {exc.strerror or exc}") from exc
        if fmt in ("csv", "tsv"):
            count = _csv(batches, tmp, schema, "\t" if fmt == "tsv" else ",", to_text)
        else:
            count = _arrow(batches, tmp, schema, fmt == "parquet", typed)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:  # never created (it could not be), or already moved into place
            pass
        raise
    return count


def _csv(batches, tmp: Path, schema, delimiter: str, to_text) -> int:
    """Text batches as CSV bytes identical to write_rows': pyarrow writes batches that need no
    quoting, the csv module the others (minimal quoting)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    head = io.StringIO()
    csv.writer(head, delimiter=delimiter).writerow(list(schema.names))
    special = "[" + ("\t" if delimiter == "\t" else ",") + '"\r\n]'
    texts = [i for i, f in enumerate(schema) if pa.types.is_string(f.type) or pa.types.is_list(f.type)]
    count = 0
    with open(tmp, "wb") as fh:
        fh.write(head.getvalue().encode("utf-8-sig"))
        writer = None
        for b in batches:
            t = _excel_safe(to_text(b), texts)
            count += t.num_rows
            if not t.num_rows:
                continue
            quoting = any(pc.any(pc.match_substring_regex(col, special)).as_py()
                          for col in t.columns if pa.types.is_string(col.type))
            if quoting:
                text = io.StringIO()
                w = csv.writer(text, delimiter=delimiter)
                w.writerows([["" if v is None else str(v) for v in row.values()] for row in t.to_pylist()])
                fh.write(text.getvalue().encode("utf-8"))
                continue
            if writer is None:
                writer = pcsv.CSVWriter(fh, t.schema, write_options=pcsv.WriteOptions(
                    include_header=False, delimiter=delimiter, eol="\r\n", quoting_style="none"))
            writer.write_batch(t)
        if writer is not None:
            writer.close()
    return count


def _excel_safe(batch, texts: list[int]):
    """writers.excel_safe over the text columns `texts` of a batch (numbers are never touched:
    -12.50 is a score, not a formula)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .writers import FORMULA_START, PLAIN_NUMBER

    arrays = batch.columns
    changed = False
    for i in texts:
        col = arrays[i]
        if not pa.types.is_string(col.type) or col.null_count == len(col):
            continue
        risky = pc.match_substring_regex(col, FORMULA_START)
        if not pc.any(risky).as_py():
            continue
        risky = pc.and_(risky, pc.invert(pc.match_substring_regex(col, PLAIN_NUMBER)))
        arrays[i] = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        changed = True
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema) if changed else batch


def _parquet_options(schema) -> dict:
    """Statistics only for non-text columns (min/max of long texts such as flags in every row
    group's footer would grow the writer's memory with the file); dictionary encoding only for
    text (decimals written plain are about a quarter faster to write)."""
    import pyarrow as pa

    text = [f.name for f in schema if pa.types.is_string(f.type)]
    return {"write_statistics": [f.name for f in schema if f.name not in text], "use_dictionary": text}


def _arrow(batches, tmp: Path, schema, parquet: bool, typed) -> int:
    import pyarrow as pa

    count = 0
    writer = None
    try:
        for b in batches:
            t = typed(b)
            if writer is None:
                if parquet:
                    import pyarrow.parquet as pq

                    writer = pq.ParquetWriter(str(tmp), t.schema, **_parquet_options(t.schema))
                else:
                    writer = pa.ipc.new_file(str(tmp), t.schema)
            if t.num_rows:
                if parquet:  # a complete row group per batch: write_batch would buffer rows
                    writer.write_table(pa.Table.from_batches([t]))
                else:
                    writer.write_batch(t)
            count += t.num_rows
        if writer is None:  # no rows at all: still write the columns
            empty = typed(pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema))
            if parquet:
                import pyarrow.parquet as pq

                writer = pq.ParquetWriter(str(tmp), empty.schema)
            else:
                writer = pa.ipc.new_file(str(tmp), empty.schema)
    finally:
        if writer is not None:
            writer.close()
    return count
