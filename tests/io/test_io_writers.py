"""Tests for perfrules.io.writers."""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import orjson
import pytest

from perfrules.io import WriterError, open_records, write_rows

ROWS = [
    {"单位": "甲局", "得分": "95.50", "等级": "优", "通过": True, "问题": ["执行率低", "序时滞后"]},
    {"单位": "乙局", "得分": "78.25", "等级": "中", "通过": False, "问题": []},
    {"单位": "丙局", "得分": None, "等级": None, "通过": None, "问题": None},
]
COLUMNS = ["单位", "得分", "等级", "通过", "问题"]


def gen(rows):
    yield from rows


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --- round trips through the readers -----------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "tsv", "xlsx", "parquet", "arrow"])
def test_tabular_round_trip(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    assert write_rows(gen(ROWS), path) == 3
    with open_records(path) as src:
        assert src.columns == COLUMNS
        records = list(src)
    first = records[0].values
    assert first["单位"] == "甲局"
    assert first["得分"] == "95.50"  # decimal strings stay exact text
    assert orjson.loads(first["问题"]) == ["执行率低", "序时滞后"]  # lists become JSON text
    # Booleans: text in CSV/Parquet, native in XLSX.
    assert first["通过"] in ("true", True)
    third = records[2].values
    assert third["单位"] == "丙局"
    assert all(third[c] in (None, "") for c in COLUMNS[1:])
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_json_round_trip(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    assert write_rows(gen(ROWS), path) == 3
    if ext == "json":
        assert orjson.loads(path.read_bytes()) == ROWS  # one array
    else:
        lines = path.read_bytes().splitlines()
        assert [orjson.loads(line) for line in lines] == ROWS
    with open_records(path) as src:
        assert [r.values for r in src] == ROWS


def test_empty_outputs(tmp_path):
    assert write_rows([], tmp_path / "e.json") == 0
    assert orjson.loads((tmp_path / "e.json").read_bytes()) == []
    assert write_rows([], tmp_path / "e.csv", columns=["a", "b"]) == 0
    assert (tmp_path / "e.csv").read_bytes() == codecs.BOM_UTF8 + b"a,b\r\n"


# --- CSV specifics --------------------------------------------------------------------


def test_csv_defaults_to_utf8_bom(tmp_path):
    path = tmp_path / "out.csv"
    write_rows(ROWS, path, columns=["单位", "得分"], extra="ignore")
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig").splitlines() == ["单位,得分", "甲局,95.50", "乙局,78.25", "丙局,"]


def test_csv_gb18030_option(tmp_path):
    path = tmp_path / "out.csv"
    write_rows(ROWS[:1], path, columns=["单位"], encoding="gb18030", extra="ignore")
    assert path.read_bytes() == "单位\r\n甲局\r\n".encode("gb18030")
    with open_records(path) as src:
        assert src.encoding == "gb18030"
        assert [r.values for r in src] == [{"单位": "甲局"}]


def test_unencodable_character_fails_cleanly(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("previous good export", encoding="utf-8")
    with pytest.raises(WriterError) as info:
        write_rows([{"a": "ok"}, {"a": "😀"}], path, encoding="gbk")
    assert info.value.code == "encoding"
    assert "第2行" in info.value.message_zh
    # The earlier file is untouched and no temporary file is left behind.
    assert path.read_text(encoding="utf-8") == "previous good export"
    assert leftovers(tmp_path) == []


def test_value_conversions_in_csv(tmp_path):
    path = tmp_path / "out.csv"
    row = {
        "dec": Decimal("1E+2"),
        "neg": Decimal("-0.50"),
        "big": 10**20,
        "date": dt.date(2024, 6, 30),
        "dict": {"k": "值"},
        "float": 0.1,
    }
    write_rows([row], path)
    with open_records(path) as src:
        assert [r.values for r in src] == [
            {"dec": "100", "neg": "-0.50", "big": "100000000000000000000", "date": "2024-06-30",
             "dict": '{"k":"值"}', "float": "0.1"}
        ]


# --- columns ----------------------------------------------------------------------------


def test_explicit_columns_order_and_missing_keys(tmp_path):
    path = tmp_path / "out.csv"
    write_rows([{"b": "2"}, {"a": "1", "b": "3"}], path, columns=["a", "b"])
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["a,b", ",2", "1,3"]


@pytest.mark.parametrize("ext", ["csv", "jsonl", "json", "parquet", "xlsx"])
def test_key_outside_explicit_columns_is_an_error(tmp_path, ext):
    with pytest.raises(WriterError) as info:
        write_rows([{"a": "1"}, {"a": "2", "z": "3"}], tmp_path / f"out.{ext}", columns=["a"])
    assert info.value.code == "unknown_column"
    assert "z" in info.value.message_en
    assert not (tmp_path / f"out.{ext}").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("ext", ["csv", "json", "parquet"])
def test_extra_ignore_drops_unlisted_keys(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    assert write_rows([{"a": "1", "secret": "x"}], path, columns=["a"], extra="ignore") == 1
    with open_records(path) as src:
        assert src.columns == ["a"]
        assert [r.values for r in src] == [{"a": "1"}]


def test_inferred_columns_union_of_first_batch(tmp_path):
    path = tmp_path / "out.csv"
    write_rows(gen([{"a": "1"}, {"b": "2", "a": "3"}]), path)
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["a,b", "1,", "3,2"]


@pytest.mark.parametrize("ext", ["csv", "parquet", "xlsx"])
def test_key_after_first_batch_needs_explicit_columns(tmp_path, ext):
    rows = [{"a": str(i)} for i in range(5)] + [{"a": "5", "late": "x"}]
    with pytest.raises(WriterError) as info:
        write_rows(gen(rows), tmp_path / f"out.{ext}", batch_size=3)
    assert info.value.code == "unknown_column"
    assert "columns" in info.value.message_zh
    # With columns given the same rows are fine.
    assert write_rows(gen(rows), tmp_path / f"ok.{ext}", columns=["a", "late"], batch_size=3) == 6


def test_jsonl_without_columns_keeps_each_rows_keys(tmp_path):
    path = tmp_path / "out.jsonl"
    write_rows(gen([{"a": 1}, {"b": 2, "a": 3}]), path)
    assert path.read_bytes() == b'{"a":1}\n{"b":2,"a":3}\n'


def test_json_with_columns_orders_and_fills(tmp_path):
    path = tmp_path / "out.json"
    write_rows([{"b": 2, "a": 1}, {"a": 3}], path, columns=["a", "b"])
    assert orjson.loads(path.read_bytes()) == [{"a": 1, "b": 2}, {"a": 3, "b": None}]
    assert path.read_bytes().index(b'"a"') < path.read_bytes().index(b'"b"')


# --- streaming -------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_streams_generator_in_batches(tmp_path, ext):
    consumed = []

    def rows():
        for i in range(10_000):
            consumed.append(i)
            yield {"i": i, "text": f"行{i}"}

    path = tmp_path / f"out.{ext}"
    assert write_rows(rows(), path, batch_size=1000) == 10_000
    assert len(consumed) == 10_000
    with open_records(path) as src:
        values = [r.values for r in src]
    assert len(values) == 10_000
    assert str(values[-1]["i"]) == "9999" and values[-1]["text"] == "行9999"


def test_parquet_is_written_in_several_row_groups(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "out.parquet"
    write_rows(({"i": i} for i in range(2500)), path, batch_size=1000)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 2500
    assert meta.num_row_groups == 3


# --- XLSX specifics -----------------------------------------------------------------------


def test_xlsx_keeps_formula_like_text_and_big_ints_as_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "out.xlsx"
    rows = [{"说明": "=1+1", "错误": "#N/A", "代码": 123456789012345678, "数": 42, "控制": "a\x01b",
             "日期": dt.date(2024, 6, 30)}]
    write_rows(rows, path, sheet_name="结果")
    wb = openpyxl.load_workbook(path)  # not data_only: a formula would show up as one
    ws = wb["结果"]
    assert [c.value for c in ws[1]] == ["说明", "错误", "代码", "数", "控制", "日期"]
    cells = ws[2]
    assert cells[0].value == "=1+1" and cells[0].data_type == "s"
    assert cells[1].value == "#N/A" and cells[1].data_type == "s"
    assert cells[2].value == "123456789012345678"
    assert cells[3].value == 42
    assert cells[4].value == "ab"
    assert cells[5].value.date() == dt.date(2024, 6, 30)


# --- Parquet type hints --------------------------------------------------------------------


def test_parquet_type_hints(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "out.parquet"
    rows = [{"单位": "甲", "人数": 12, "达标": True, "金额": "1234.56"}, {"单位": "乙", "人数": None, "达标": None, "金额": None}]
    write_rows(rows, path, types={"人数": "int64", "达标": "bool", "金额": "decimal(12, 2)"})
    table = pq.read_table(path)
    assert [str(t) for t in table.schema.types] == ["string", "int64", "bool", "decimal128(12, 2)"]
    assert table.to_pylist()[0] == {"单位": "甲", "人数": 12, "达标": True, "金额": Decimal("1234.56")}


@pytest.mark.parametrize(
    "types, row, code",
    [
        ({"n": "int64"}, {"n": "12"}, "type_mismatch"),
        ({"n": "bool"}, {"n": 1}, "type_mismatch"),
        ({"n": "decimal(5,2)"}, {"n": "1.234"}, "type_mismatch"),  # would lose a digit
        ({"n": "float128"}, {"n": 1}, "bad_type_hint"),
        ({"zz": "int64"}, {"n": 1}, "bad_type_hint"),
    ],
)
def test_parquet_type_hint_errors(tmp_path, types, row, code):
    with pytest.raises(WriterError) as info:
        write_rows([row], tmp_path / "out.parquet", types=types)
    assert info.value.code == code
    assert leftovers(tmp_path) == []


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "json", "parquet"])
def test_fraction_is_refused(tmp_path, ext):
    with pytest.raises(WriterError) as info:
        write_rows([{"a": Fraction(1, 3)}], tmp_path / f"out.{ext}")
    assert info.value.code == "unsupported_value"
    assert "Fraction" in info.value.message_en


def test_non_mapping_row_and_bad_options(tmp_path):
    with pytest.raises(WriterError) as info:
        write_rows([["a", "b"]], tmp_path / "out.csv")
    assert info.value.code == "not_a_mapping"
    with pytest.raises(WriterError) as info:
        write_rows([{"a": 1}], tmp_path / "out.json", encoding="gbk")
    assert info.value.code == "encoding_not_applicable"
    with pytest.raises(WriterError) as info:
        write_rows([{"a": 1}], tmp_path / "out.txt")
    assert info.value.code == "unknown_format"
    with pytest.raises(WriterError) as info:
        write_rows([{"a": 1}], tmp_path / "out.csv", fmt="docx")
    assert info.value.code == "unknown_format"
    assert leftovers(tmp_path) == []


def test_output_into_missing_directory(tmp_path):
    with pytest.raises(WriterError) as info:
        write_rows([{"a": 1}], tmp_path / "no" / "out.csv")
    assert info.value.code == "cannot_write"
    assert "out.csv" in info.value.message_zh


def test_numpy_integers_are_written(tmp_path):
    np = pytest.importorskip("numpy")
    path = tmp_path / "out.csv"
    write_rows([{"n": np.int64(7)}], path)
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["n", "7"]


# --- CSV: text a spreadsheet would run as a formula -----------------------------------------

# (cell as the data had it, as the CSV must hold it)
FORMULA_CELLS = [
    ("=HYPERLINK(\"http://x\",\"点此\")", "'=HYPERLINK(\"http://x\",\"点此\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("-12.50", "-12.50"),  # numbers stay numbers
    ("+3%", "+3%"),
    ("-1,234.56", "-1,234.56"),
    ("甲局 = 乙局", "甲局 = 乙局"),  # only the first character counts
]


@pytest.mark.parametrize("ext", ["csv", "tsv"])
def test_csv_text_is_never_a_formula(tmp_path, ext):
    import csv

    path = tmp_path / f"out.{ext}"
    rows = [{"单位": cell, "得分": Decimal("-1.50")} for cell, _ in FORMULA_CELLS]
    write_rows(rows, path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        got = list(csv.reader(fh, delimiter="\t" if ext == "tsv" else ","))
    assert got[0] == ["单位", "得分"]
    assert [r[0] for r in got[1:]] == [want for _, want in FORMULA_CELLS]
    assert {r[1] for r in got[1:]} == {"-1.50"}  # a negative number is not touched


def test_batch_csv_text_is_never_a_formula(tmp_path):
    import csv

    import pyarrow as pa

    from perfrules.io.batch_writers import write_batches

    cells = [cell for cell, _ in FORMULA_CELLS]
    schema = pa.schema([("编号", pa.string()), ("得分", pa.decimal128(18, 2)), ("提示", pa.list_(pa.string()))])
    batch = pa.RecordBatch.from_arrays([
        pa.array(cells),
        pa.array([Decimal("-1.50")] * len(cells), pa.decimal128(18, 2)),
        pa.array([["=1+1"]] + [None] * (len(cells) - 1), pa.list_(pa.string())),
    ], schema=schema)

    def to_text(b):  # as flat.as_text does: decimals and lists as strings
        return pa.RecordBatch.from_arrays(
            [b.column(0), b.column(1).cast(pa.string()),
             pa.array([None if v is None else "; ".join(v) for v in b.column(2).to_pylist()])],
            names=b.schema.names)

    path = tmp_path / "out.csv"
    assert write_batches([batch], path, schema, to_text=to_text) == len(cells)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        got = list(csv.reader(fh))
    assert [r[0] for r in got[1:]] == [want for _, want in FORMULA_CELLS]
    assert {r[1] for r in got[1:]} == {"-1.50"}
    assert got[1][2] == "'=1+1"
    # Parquet keeps the data as it is
    pq_path = tmp_path / "out.parquet"
    write_batches([batch], pq_path, schema, to_text=to_text)
    import pyarrow.parquet as pq

    assert pq.read_table(pq_path).column("编号").to_pylist() == cells


def test_xlsx_on_a_full_disk_fails_once_without_a_stray_traceback(tmp_path, monkeypatch):
    """A full disk while saving an XLSX left openpyxl's zip archive unclosed; closing it when it
    was collected failed again, and Python printed "Exception ignored in ZipFile.__del__" with a
    traceback under perfrules' own message."""
    import errno
    import gc
    import sys
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    def part_then_full(self):
        self._archive.writestr("[Content_Types].xml", "<Types/>")
        full()

    monkeypatch.setattr(ExcelWriter, "write_data", part_then_full)
    monkeypatch.setattr(zipfile.ZipFile, "_write_end_record", full)
    stray = []
    monkeypatch.setattr(sys, "unraisablehook", stray.append)
    with pytest.raises(OSError) as info:
        write_rows(gen([{"a": "1"}]), tmp_path / "out.xlsx")
    assert info.value.errno == errno.ENOSPC
    del info  # its traceback holds the frames that hold the archive
    gc.collect()
    assert stray == [], [(u.object, u.exc_value) for u in stray]
    assert leftovers(tmp_path) == []
