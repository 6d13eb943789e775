"""Tests for perfrules.io.readers."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import subprocess
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

from perfrules.io import ReaderError, detect_encoding, detect_format, open_records
from perfrules.io.readers import column_letter


def rows_of(source):
    return [(r.row, r.values) for r in source]


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- format detection -------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("a.csv", "csv"), ("A.CSV", "csv"), ("a.tsv", "tsv"), ("a.xlsx", "xlsx"), ("a.xlsm", "xlsx"),
        ("a.json", "json"), ("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a.parquet", "parquet"),
        ("a.arrow", "arrow"), ("a.feather", "arrow"), ("a.ipc", "arrow"), ("dir.v2/数据.csv", "csv"),
    ],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


@pytest.mark.parametrize("name, code", [("a.txt", "unknown_format"), ("a", "unknown_format"), ("a.xls", "xls_not_supported")])
def test_detect_format_unknown(name, code):
    with pytest.raises(ReaderError) as info:
        detect_format(name)
    assert info.value.code == code
    assert name in info.value.message_zh


def test_fmt_override_and_bad_fmt(tmp_path):
    path = write_bytes(tmp_path, "data.txt", "单位,金额\n甲,1\n".encode())
    with open_records(path, fmt="CSV") as src:
        assert rows_of(src) == [(2, {"单位": "甲", "金额": "1"})]
    with pytest.raises(ReaderError) as info:
        open_records(path, fmt="excel")
    assert info.value.code == "unknown_format"


def test_missing_file(tmp_path):
    with pytest.raises(ReaderError) as info:
        open_records(tmp_path / "nope.csv")
    assert info.value.code == "file_not_found"


def test_importing_io_does_not_import_heavy_libraries():
    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import sys; import perfrules; before = set(sys.modules); import perfrules.io;"
        "heavy = {'pyarrow', 'openpyxl', 'numpy', 'pandas', 'polars'};"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(src)}
    )
    assert out.stdout.strip() == "[]"


# --- CSV encodings ----------------------------------------------------------------

TEXT = "单位名称,实际支出（万元）,备注\n甲局,\"1,234.50\",正常\n乙局,88,无\n"


@pytest.mark.parametrize(
    "data, expected",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),  # Python writes a BOM, like Excel's "Unicode text"
        (b"a,b\n1,2\n", "utf-8"),
    ],
)
def test_encoding_detection_and_reading(tmp_path, data, expected):
    path = write_bytes(tmp_path, "data.csv", data)
    assert detect_encoding(path) == expected
    with open_records(path) as src:
        assert src.encoding == expected
        if expected != "utf-8" or b"a,b" not in data:
            assert src.columns == ["单位名称", "实际支出（万元）", "备注"]
            assert rows_of(src) == [
                (2, {"单位名称": "甲局", "实际支出（万元）": "1,234.50", "备注": "正常"}),
                (3, {"单位名称": "乙局", "实际支出（万元）": "88", "备注": "无"}),
            ]


def test_gb18030_after_long_ascii_prefix(tmp_path):
    # The first non-ASCII byte is beyond the first sniffing chunk.
    ascii_part = ("code,amount\n" + "A001,1\n" * 300_000).encode()
    assert len(ascii_part) > 2 << 20
    path = write_bytes(tmp_path, "big.csv", ascii_part + "甲局,2\n".encode("gb18030"))
    assert detect_encoding(path) == "gb18030"
    with open_records(path) as src:
        last = None
        for last in src:
            pass
    assert last.values == {"code": "甲局", "amount": "2"}
    assert last.row == 300_002


def test_bom_is_removed_even_with_explicit_utf8(tmp_path):
    path = write_bytes(tmp_path, "data.csv", codecs.BOM_UTF8 + " 单位 ,金额\n甲,1\n".encode())
    with open_records(path, encoding="utf-8") as src:
        assert src.columns == ["单位", "金额"]


def test_encoding_override(tmp_path):
    path = write_bytes(tmp_path, "data.csv", TEXT.encode("gb18030"))
    with open_records(path, encoding="gb18030") as src:
        assert src.columns[0] == "单位名称"
    with pytest.raises(ReaderError) as info:
        open_records(path, encoding="utf-8")
    assert info.value.code == "bad_encoding"
    assert "--encoding" in info.value.message_zh
    with pytest.raises(ReaderError) as info:
        open_records(path, encoding="klingon")
    assert info.value.code == "unknown_encoding"


def test_undecodable_line_becomes_error_record(tmp_path):
    data = "单位,金额\n甲,1\n".encode() + "乙,2\n".encode("gbk") + "丙,3\n".encode()
    path = write_bytes(tmp_path, "mixed.csv", data)
    # Detection looks at the whole small file and picks gb18030; the user
    # insists on UTF-8, so only the one bad line is lost.
    assert detect_encoding(path) == "gb18030"
    with open_records(path, encoding="utf-8") as src:
        records = list(src)
        assert [r.row for r in records] == [2, 3, 4]
        assert records[0].values == {"单位": "甲", "金额": "1"}
        assert records[1].values is None and records[1].error_code == "bad_encoding"
        assert "第3行" in records[1].error and "line 3" in records[1].error_en
        assert records[2].values == {"单位": "丙", "金额": "3"}
        assert src.errors == 1


# --- CSV structure ----------------------------------------------------------------


def test_csv_row_numbers_blank_rows_and_ragged_rows(tmp_path):
    text = (
        "\n"                       # 1: blank line before the header
        "单位,金额,备注\n"          # 2: header
        "甲,1,a\n"                 # 3
        ",,\n"                     # 4: a row of blank cells -> a record (nothing lost)
        "\n"                       # 5: blank line -> skipped
        "乙,2\n"                   # 6: short row -> error record (a truncated line)
        "丙,3,c,多余\n"             # 7: too many cells -> error record
        "丁,4,d,,\n"               # 8: trailing empty cells are tolerated
        "戊,\"多行\n说明\",e\n"      # 9-10: quoted newline
        "己,6, \n"                 # 11
    )
    path = write_bytes(tmp_path, "data.csv", text.encode())
    with open_records(path) as src:
        records = list(src)
        assert src.skipped == 1
        assert src.errors == 2
    by_row = {r.row: r for r in records}
    assert sorted(by_row) == [3, 4, 6, 7, 8, 9, 11]
    assert by_row[4].values == {"单位": "", "金额": "", "备注": ""}  # raw cells, blank
    assert by_row[3].values == {"单位": "甲", "金额": "1", "备注": "a"}
    assert by_row[6].values is None and by_row[6].error_code == "too_few_cells"
    assert "第6行只有2个单元格" in by_row[6].error and "备注" in by_row[6].error
    assert by_row[7].values is None
    assert by_row[7].error_code == "too_many_cells"
    assert "第7行" in by_row[7].error and "多余" in by_row[7].error
    assert by_row[8].values == {"单位": "丁", "金额": "4", "备注": "d"}
    assert by_row[9].values["金额"] == "多行\n说明"
    assert by_row[11].values == {"单位": "己", "金额": "6", "备注": " "}  # raw, not cleaned


def test_header_names_cleaned_and_deduplicated(tmp_path):
    path = write_bytes(tmp_path, "data.csv", " 金额 ,金额,,\u3000备注\u3000,金额_2,,\n1,2,3,4,5\n".encode())
    with open_records(path) as src:
        assert src.columns == ["金额", "金额_2", "列C", "备注", "金额_2_2"]
        assert rows_of(src) == [(2, dict(zip(src.columns, ["1", "2", "3", "4", "5"])))]


def test_tsv(tmp_path):
    path = write_bytes(tmp_path, "data.tsv", "单位\t金额\n甲\t1,234\n".encode())
    with open_records(path) as src:
        assert rows_of(src) == [(2, {"单位": "甲", "金额": "1,234"})]


def test_header_only_and_empty_files(tmp_path):
    path = write_bytes(tmp_path, "h.csv", "单位,金额\n".encode())
    with open_records(path) as src:
        assert src.columns == ["单位", "金额"]
        assert list(src) == []
    for data in (b"", b"\n\n,,\n"):
        path = write_bytes(tmp_path, "e.csv", data)
        with pytest.raises(ReaderError) as info:
            open_records(path)
        assert info.value.code == "no_header"


def test_oversized_field_is_an_error_record_not_a_crash(tmp_path):
    huge = "x" * 200_000  # beyond the csv module's field size limit
    path = write_bytes(tmp_path, "data.csv", f"a,b\n1,{huge}\n2,ok\n".encode())
    with open_records(path) as src:
        records = list(src)
    assert records[0].error_code == "csv_syntax"
    assert records[-1].values == {"a": "2", "b": "ok"}


def test_iterating_twice_rereads(tmp_path):
    path = write_bytes(tmp_path, "data.csv", "a\n1\n\n2\n".encode())
    with open_records(path) as src:
        first = rows_of(src)
        second = rows_of(src)
        assert first == second == [(2, {"a": "1"}), (4, {"a": "2"})]
        assert src.skipped == 1


def test_csv_streams_with_bounded_memory(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("单位,金额,备注\n")
        for i in range(100_000):
            fh.write(f"单位{i},{i}.50,说明文字说明文字\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with open_records(path) as src:
            count = sum(1 for _ in src)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < size / 4, (peak, size)


# --- XLSX -------------------------------------------------------------------------


def make_workbook(path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    # Row 1 left empty; the header is on row 2 with a merged "预算数" over C:D.
    ws.append([])
    ws.append(["单位", " 指标 ", "预算数", None, "日期"])
    ws.merge_cells("C2:D2")
    ws.append(["甲局", "执行率", 100, 0.1, dt.datetime(2024, 6, 30)])
    ws.append([None, None, None, None, None])  # empty row in the middle
    ws.append(["乙局", "覆盖率", "1,234.5", None, "2024年6月30日"])
    # Trailing blank rows and a blank column that only carry formatting.
    for row in range(6, 12):
        ws.cell(row=row, column=1).font = Font(bold=True)
    ws.cell(row=3, column=9).font = Font(italic=True)
    ws.cell(row=3, column=8).value = "   "
    other = wb.create_sheet("明细")
    other.append(["a", "b"])
    other.append([1, 2])
    wb.save(path)


def test_xlsx_merged_header_and_blank_trailing_rows(tmp_path):
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    with open_records(path) as src:
        assert src.sheet == "汇总"
        assert src.columns == ["单位", "指标", "预算数", "列D", "日期"]
        records = list(src)
        # Row 4 (empty) and the formatted trailing rows are skipped.
        assert src.skipped >= 1
        assert src.errors == 0
    assert [(r.row, r.values) for r in records] == [
        (3, {"单位": "甲局", "指标": "执行率", "预算数": 100, "列D": 0.1, "日期": dt.datetime(2024, 6, 30)}),
        (5, {"单位": "乙局", "指标": "覆盖率", "预算数": "1,234.5", "列D": None, "日期": "2024年6月30日"}),
    ]


def test_xlsx_percent_formatted_cells_read_as_the_percentages_shown(tmp_path):
    """A cell shown as 95.5% (0.955 under a 0.0% format) reads as the text "95.5%", as the
    same cell of a CSV would: a percent input takes 0.955, an amount refuses it."""
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "pct.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位", "执行率", "支出", "说明"])
    ws.append(["甲局", 0.955, 90, 0.25])
    ws.append(["乙局", 1, 0.5, "未到期"])
    ws["B2"].number_format = "0.0%"
    ws["B3"].number_format = "0%"
    ws["C3"].number_format = "0.00%"
    ws["D2"].number_format = '0.00"%"'  # a quoted % is a literal sign, not a percentage
    ws["D3"].number_format = "0%"  # text under a percent format stays text
    wb.save(path)
    with open_records(path) as src:
        rows = [r.values for r in src]
    assert rows == [{"单位": "甲局", "执行率": "95.5%", "支出": 90, "说明": 0.25},
                    {"单位": "乙局", "执行率": "100%", "支出": "50%", "说明": "未到期"}]


def test_xlsx_percent_formatted_cells_scored_like_csv_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    import perfrules

    rules = tmp_path / "r.rules"
    rules.write_text("""ruleset "t" version "1"
input 执行率: percent
input 支出: amount
indicator 执行 weight 100 {
  indicator 执行率 weight 60 { value 执行率; score ratio(target: 100%) }
  indicator 支出 weight 40 { value 支出; score ratio(target: 100) }
}
""", encoding="utf-8")
    path = tmp_path / "d.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["执行率", "支出"])
    ws.append([0.955, 90])
    ws.append([0.8, 0.5])
    for ref in ("A2", "A3", "B3"):
        ws[ref].number_format = "0.0%"
    wb.save(path)
    out = tmp_path / "o.csv"
    from perfrules.batch import run_file

    run_file(perfrules.load(rules), path, out)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [r["总分"] for r in got] == ["93.30", ""]  # 0.955 × 60 = 57.30, 90 / 100 × 40 = 36.00
    assert "金额不能写成百分数" in got[1]["错误"] and "50%" in got[1]["错误"]


def test_xlsx_title_and_unit_rows_above_the_header(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["区卫健局2024年度绩效数据"])
    ws.merge_cells("A1:D1")
    ws.append(["单位：万元"])
    ws.append(["单位名称", "年初预算数", "实际支出", "备注"])
    ws.append(["甲局", 100, 95.5, None])
    path = tmp_path / "title.xlsx"
    wb.save(path)
    with open_records(path) as src:
        assert src.columns == ["单位名称", "年初预算数", "实际支出", "备注"]
        assert rows_of(src) == [(4, {"单位名称": "甲局", "年初预算数": 100, "实际支出": 95.5, "备注": None})]


def test_xlsx_cells_merged_down_a_column_fill_every_row(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "项目", "金额", "备注", "说明"])
    ws.append(["甲局", "一", 10, "跨两列的说明", None])
    ws.append([None, "二", 20, None, None])
    ws.append([None, "三", 30, None, None])
    ws.append(["乙局", "四", 40, None, None])
    ws.merge_cells("A2:A4")  # 甲局 over three projects
    ws.merge_cells("D2:E2")  # a note across two columns: not copied into 说明
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    with open_records(path) as src:
        rows = rows_of(src)
    assert [v["单位名称"] for _, v in rows] == ["甲局", "甲局", "甲局", "乙局"]
    assert rows[0][1]["说明"] is None and rows[0][1]["备注"] == "跨两列的说明"
    assert [n for n, _ in rows] == [2, 3, 4, 5]


@pytest.mark.parametrize("text, columns, first", [
    # a title and a blank line above the header; the data rows keep their line numbers
    ("绩效数据表\n\n单位,金额,数量\n甲,1,2\n", ["单位", "金额", "数量"], (4, {"单位": "甲", "金额": "1", "数量": "2"})),
    # group captions over the header fill fewer cells than it
    (",预算,,\n单位,年初,调整后,支出\n甲,1,2,3\n", ["单位", "年初", "调整后", "支出"],
     (3, {"单位": "甲", "年初": "1", "调整后": "2", "支出": "3"})),
    # a one-column file: its header is its first row
    ("金额\n1\n", ["金额"], (2, {"金额": "1"})),
    # a two-column file whose first row is full is not skipped
    ("a,b\n1,2\n", ["a", "b"], (2, {"a": "1", "b": "2"})),
])
def test_csv_header_below_a_title(tmp_path, text, columns, first):
    path = write_bytes(tmp_path, "d.csv", text.encode())
    with open_records(path) as src:
        assert src.columns == columns
        assert rows_of(src)[0] == first


@pytest.mark.parametrize("sheet", ["明细", 2, "2", " 明细 "])
def test_xlsx_sheet_selection(tmp_path, sheet):
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    with open_records(path, sheet=sheet) as src:
        assert src.sheet == "明细"
        assert rows_of(src) == [(2, {"a": 1, "b": 2})]


@pytest.mark.parametrize("sheet", ["不存在", 3, 0])
def test_xlsx_unknown_sheet_lists_names(tmp_path, sheet):
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    with pytest.raises(ReaderError) as info:
        open_records(path, sheet=sheet)
    assert info.value.code == "no_such_sheet"
    assert "汇总" in info.value.message_zh and "明细" in info.value.message_zh


def test_xlsx_value_beyond_header_is_error_record(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", "b"])
    ws.append([1, 2, "stray"])
    ws.append([3, 4])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    with open_records(path) as src:
        records = list(src)
    assert records[0].row == 2 and records[0].error_code == "too_many_cells"
    assert records[1].values == {"a": 3, "b": 4}


def test_not_really_xlsx(tmp_path):
    path = write_bytes(tmp_path, "fake.xlsx", b"not a zip")
    with pytest.raises(ReaderError) as info:
        open_records(path)
    assert info.value.code == "bad_xlsx"


# --- JSON / JSONL -------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [False, True])
def test_json_array_and_records_wrapper(tmp_path, wrap):
    records = [{"单位": "甲", "金额": 1.5}, {"金额": "2", "备注": None}, {}, [1, 2]]
    doc = {"records": records} if wrap else records
    path = write_bytes(tmp_path, "d.json", json.dumps(doc, ensure_ascii=False).encode())
    with open_records(path) as src:
        assert src.columns == ["单位", "金额", "备注"]
        out = list(src)
        assert src.skipped == 1
        assert src.errors == 1
    assert [(r.row, r.values) for r in out[:2]] == [
        (1, {"单位": "甲", "金额": 1.5, "备注": None}),
        (2, {"单位": None, "金额": "2", "备注": None}),
    ]
    assert out[2].row == 4 and out[2].error_code == "not_an_object"


def test_json_single_record_object(tmp_path):
    path = write_bytes(tmp_path, "d.json", json.dumps({"单位": "甲", "金额": "1.50"}, ensure_ascii=False).encode())
    with open_records(path) as src:
        out = list(src)
    assert [(r.row, r.values) for r in out] == [(1, {"单位": "甲", "金额": "1.50"})]


@pytest.mark.parametrize("data, code", [(b"{not json", "bad_json"), (b'{"rows": []}', "bad_json_shape"), (b"42", "bad_json_shape")])
def test_json_whole_file_errors(tmp_path, data, code):
    path = write_bytes(tmp_path, "d.json", data)
    with pytest.raises(ReaderError) as info:
        open_records(path)
    assert info.value.code == code


def test_jsonl_with_malformed_and_blank_lines(tmp_path):
    lines = [
        '{"单位": "甲", "金额": "1"}',
        "",
        '{"单位": "乙", "金额": 2',   # malformed
        '   ',
        '["not", "an", "object"]',
        '{"单位": "丙", "金额": 3, "新列": true}',
    ]
    path = write_bytes(tmp_path, "d.jsonl", codecs.BOM_UTF8 + "\n".join(lines).encode() + b"\n")
    with open_records(path) as src:
        assert src.columns == ["单位", "金额", "新列"]
        out = list(src)
        assert src.skipped == 2
        assert src.errors == 2
    assert [r.row for r in out] == [1, 3, 5, 6]
    assert out[0].values == {"单位": "甲", "金额": "1", "新列": None}
    assert out[1].values is None and out[1].error_code == "bad_json" and "第3行" in out[1].error
    assert out[2].error_code == "not_an_object"
    assert out[3].values == {"单位": "丙", "金额": 3, "新列": True}


def test_jsonl_keys_after_scan_window_still_delivered(tmp_path, monkeypatch):
    from perfrules.io import readers

    monkeypatch.setattr(readers, "JSONL_SCAN_LINES", 1)
    path = write_bytes(tmp_path, "d.jsonl", b'{"a": 1}\n{"a": 2, "late": 3}\n')
    with open_records(path) as src:
        assert src.columns == ["a"]
        assert rows_of(src)[1] == (2, {"a": 2, "late": 3})


def test_json_gb18030_with_explicit_encoding(tmp_path):
    path = write_bytes(tmp_path, "d.json", '[{"单位": "甲"}]'.encode("gb18030"))
    with open_records(path, encoding="gb18030") as src:
        assert rows_of(src) == [(1, {"单位": "甲"})]


# --- Parquet / Arrow ----------------------------------------------------------------


def test_parquet_many_batches_and_types(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 20_000  # more than one record batch
    table = pa.table(
        {
            "单位": [f"u{i}" for i in range(n)],
            "金额": pa.array([Decimal(i) / 100 for i in range(n)], type=pa.decimal128(12, 2)),
            "比例": [0.1] * n,
            "空": pa.array([None] * n, type=pa.string()),
        }
    )
    # Make one row entirely null.
    table = pa.concat_tables([table, pa.table({k: pa.nulls(1, type=table.schema.field(k).type) for k in table.column_names})])
    path = tmp_path / "d.parquet"
    pq.write_table(table, path, row_group_size=3000)
    with open_records(path) as src:
        assert src.columns == ["单位", "金额", "比例", "空"]
        count = 0
        last = None
        for rec in src:
            count += 1
            last = rec
        assert src.skipped == 1
    assert count == n
    assert last.row == n
    assert last.values == {"单位": f"u{n - 1}", "金额": Decimal("199.99"), "比例": 0.1, "空": None}


@pytest.mark.parametrize("stream", [False, True])
def test_arrow_ipc_file_and_stream(tmp_path, stream):
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"a": [1, None, 3], "b": ["x", None, "z"]})
    path = tmp_path / "d.arrow"
    opener = pa.ipc.new_stream if stream else pa.ipc.new_file
    with opener(str(path), table.schema) as writer:
        writer.write_table(table)
    with open_records(path) as src:
        assert rows_of(src) == [(1, {"a": 1, "b": "x"}), (3, {"a": 3, "b": "z"})]
        assert src.skipped == 1


def test_feather_v2(tmp_path):
    pa = pytest.importorskip("pyarrow")
    from pyarrow import feather

    path = tmp_path / "d.feather"
    feather.write_feather(pa.table({"x": ["甲"]}), str(path))
    with open_records(path) as src:
        assert rows_of(src) == [(1, {"x": "甲"})]


def test_bad_parquet_and_arrow(tmp_path):
    for name, code in (("d.parquet", "bad_parquet"), ("d.arrow", "bad_arrow")):
        path = write_bytes(tmp_path, name, b"garbage")
        with pytest.raises(ReaderError) as info:
            open_records(path)
        assert info.value.code == code


@pytest.mark.parametrize("index, letter", [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (703, "AAA")])
def test_column_letter(index, letter):
    assert column_letter(index) == letter


def test_a_json_record_naming_a_key_twice_is_an_error_record(tmp_path):
    # orjson keeps the last of repeated keys: {"支出数": 95, "支出数": 50} was scored with 50, silently
    lines = ['{"预算数": 100, "支出数": 95, "支出数": 50}', '{"预算数": 100, "支出数": 95}',
             '{"预算数": 100, "支出数": 95, "备注": "a\\": b", "x": {"y": 1}}']
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "d.json").write_text("[" + ", ".join(lines) + "]", encoding="utf-8")
    for name in ("d.jsonl", "d.json"):
        recs = list(open_records(tmp_path / name))
        assert [r.row for r in recs] == [1, 2, 3]
        assert recs[0].values is None and recs[0].error_code == "repeated_key" and "支出数" in recs[0].error
        assert recs[1].values == {"预算数": 100, "支出数": 95, "备注": None, "x": None}
        assert recs[2].values["备注"] == 'a": b'


@pytest.mark.parametrize("line, zh", [
    ('{单位: "甲"}', "第2个字符处：键要用英文双引号括起来"),
    ('{"单位": "甲",}', "最后多了一个逗号"),
    ('{"单位": "甲"', "内容不完整"),
    ('{"金额": True}', "true、false、null 要小写"),
])
def test_a_json_syntax_error_is_said_in_chinese(tmp_path, line, zh):
    # The Chinese error row carried orjson's English ("unexpected character, expected a string
    # key: line 1 column 2 (char 1)"); the English row keeps it.
    path = write_bytes(tmp_path, "d.jsonl", ('{"单位": "乙"}\n' + line + "\n").encode())
    with open_records(path) as src:
        bad = list(src)[1]
    assert bad.error_code == "bad_json" and zh in bad.error and "unexpected" not in bad.error
    assert "line 2 is not valid JSON: " in bad.error_en
