"""Acceptance fixes in the readers: encoding detection with a few bad bytes, rows of only
delimiters, and XLSX two-level (merged) headers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from perfrules.cli import main
from perfrules.io import detect_encoding, open_records
from perfrules.io.batches import open_batches

MONITOR = """
ruleset "acc/monitor" version "1"
settings { time_progress by_month; total 10 }
input 预算单位: 文本
input 全年预算: 金额 from "全年预算数（万元）"
input 累计支出: 金额
input 上报日期: 日期
let 支出进度 = 累计支出 / 全年预算
indicator 执行进度 weight 10 {
  value 支出进度
  score ratio(target: 50%)
}
"""

HEADER = "预算单位,全年预算,累计支出,上报日期\n"


def _records(path, **kw):
    with open_records(path, **kw) as src:
        return [(r.row, r.values, r.error_code) for r in src], src


def _batched(path, **kw):
    out = []
    with open_batches(path, **kw) as src:
        for piece in src:
            b = piece.batch
            cols = {n: (b.column(n) if isinstance(b.column(n), list) else b.column(n).to_pylist()) for n in src.columns}
            good = [(int(r), {n: cols[n][i] for n in src.columns}, None) for i, r in enumerate(piece.rows)]
            bad = [(e.row, None, e.error_code) for e in piece.errors]
            out.extend(sorted(good + bad, key=lambda t: t[0]))
        return out, src.skipped


def _eval(tmp_path, rules_text, data, *extra):
    rules = tmp_path / "r.rules"
    rules.write_text(rules_text, encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = tmp_path / "s.json"
    code = main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "en",
                 "--summary-json", str(summary), *extra])
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig"))) if out.exists() else []
    return code, rows, (json.loads(summary.read_text()) if summary.exists() else None)


# --- 1. a few bad bytes in a UTF-8 file ------------------------------------------------------


def test_utf8_with_one_bad_byte_sequence_is_utf8(tmp_path):
    data = (HEADER + "甲,1000,500,2024-06-30\n").encode() + "乙,1000,".encode() + b"\xff\xfe" + \
        "400,2024-06-30\n丙,1000,300,2024-06-30\n".encode()
    path = tmp_path / "badbytes.csv"
    path.write_bytes(data)
    assert detect_encoding(path) == "utf-8"
    recs, src = _records(path)
    assert src.encoding == "utf-8" and src.encoding_guessed
    assert src.columns == ["预算单位", "全年预算", "累计支出", "上报日期"]
    assert [(r, code) for r, _, code in recs] == [(2, None), (3, "bad_encoding"), (4, None)]
    batched, _ = _batched(path)
    assert batched == recs
    code, rows, summary = _eval(tmp_path, MONITOR, path, "--as-of", "2024-06-30")
    assert code == 0
    assert summary["records"] == 3 and summary["errors"] == 1
    assert [r["status"] for r in rows] == ["ok", "error", "ok"]


def test_big_utf8_file_with_a_bad_byte_far_down(tmp_path):
    lines = [HEADER] + [f"单位{i},1000,{i % 900},2024-06-30\n" for i in range(20_000)]
    data = bytearray("".join(lines).encode())
    at = data.index("单位15000,".encode())  # physical line 15002
    data[at:at] = b"\xff\xfe"
    path = tmp_path / "big.csv"
    path.write_bytes(bytes(data))
    assert detect_encoding(path) == "utf-8"
    recs, _ = _records(path)
    assert len(recs) == 20_000
    assert [(r, c) for r, _, c in recs if c] == [(15002, "bad_encoding")]
    batched, _ = _batched(path)
    assert batched == recs


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gbk_text_still_detected(tmp_path, codec):
    # an ASCII header, GBK data: every non-ASCII line is undecodable as UTF-8
    text = "unit,amount,note\n" + "".join(f"区卫健局{i},{i},正常执行\n" for i in range(200))
    path = tmp_path / "g.csv"
    path.write_bytes(text.encode(codec))
    assert detect_encoding(path) == "gb18030"
    # a Chinese GBK header
    path.write_bytes(("单位名称,金额\n" + "甲局,1\n乙局,2\n").encode(codec))
    assert detect_encoding(path) == "gb18030"


def test_explicit_encoding_is_not_a_guess(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes((HEADER + "甲,1,2,2024-06-30\n").encode())
    with open_records(path, encoding="utf-8") as src:
        assert not src.encoding_guessed
    with open_records(path) as src:
        assert src.encoding_guessed


def test_guessed_encoding_hint(tmp_path):
    """A hint for a "missing columns" message: the guessed encoding and --encoding."""
    from perfrules.io.readers import encoding_hint

    path = tmp_path / "d.csv"
    path.write_bytes("预算单位,全年预算\n甲,1\n".encode("gbk"))
    with open_records(path) as src:
        zh, en = encoding_hint(src)
    assert "gb18030" in zh and "--encoding utf-8" in zh and "gb18030" in en and "--encoding" in en
    with open_batches(path) as src:
        assert encoding_hint(src) == (zh, en)
    with open_records(path, encoding="gb18030") as src:
        assert encoding_hint(src) is None


# --- 2. a line of only delimiters is a record --------------------------------------------------


def test_delimiters_only_line_is_a_record(tmp_path):
    text = ("甲,乙,丙,日,真\n"
            "2.675,0,0.125%,2024-02-29,是\n"
            ",,,,\n"          # 3: a record whose cells are all blank
            "\n"              # 4: an empty line: skipped
            "   \n"           # 5: whitespace only, no delimiter: skipped
            "1,1,1%,2024-01-01,否\n"
            "\n")             # 7: trailing empty line: skipped
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    recs, src = _records(path)
    assert [r for r, _, _ in recs] == [2, 3, 6]
    assert recs[1][1] == {"甲": "", "乙": "", "丙": "", "日": "", "真": ""}
    assert src.skipped == 3
    batched, skipped = _batched(path)
    assert batched == recs and skipped == 3


def test_delimiters_only_line_is_evaluated_not_lost(tmp_path):
    rules = """
ruleset "acc/msg" version "1"
settings { total 1 }
input 甲: amount
input 乙: amount
indicator 指标 weight 1 { value 甲; score if 甲 > 0 then full else 0 }
"""
    path = tmp_path / "d.csv"
    path.write_text("甲,乙\n1,2\n,\n3,4\n\n", encoding="utf-8")
    for backend in ("columnar", "reference"):
        code, rows, summary = _eval(tmp_path, rules, path, "--backend", backend)
        assert code == 0
        assert summary["records"] == 3 == summary["results"] + summary["errors"]
        assert [r["row"] for r in rows] == ["2", "3", "4"]


def test_delimiters_only_rows_in_a_big_csv(tmp_path):
    """The pyarrow block path keeps blank-celled rows as the row path does."""
    lines = ["a,b,c\n"] + [(",,\n" if i % 7 == 0 else f"{i},x,y\n") for i in range(5000)] + ["\n"]
    path = tmp_path / "d.csv"
    path.write_text("".join(lines), encoding="utf-8")
    recs, src = _records(path)
    assert len(recs) == 5000 and src.skipped == 1
    batched, skipped = _batched(path)
    assert batched == recs and skipped == 1


def test_single_column_csv_blank_lines(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a\n1\n\n  \n2\n", encoding="utf-8")
    recs, src = _records(path)
    assert [r for r, _, _ in recs] == [2, 5] and src.skipped == 2
    batched, skipped = _batched(path)
    assert batched == recs and skipped == 2


def test_json_object_with_blank_values_is_a_record(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"a": 1, "b": "x"}, {"a": None, "b": ""}, {}, {"a": 2, "b": "y"}]),
                    encoding="utf-8")
    recs, src = _records(path)
    assert [(r, v) for r, v, _ in recs] == [(1, {"a": 1, "b": "x"}), (2, {"a": None, "b": ""}),
                                           (4, {"a": 2, "b": "y"})]
    assert src.skipped == 1  # {} has no cells at all: like an empty line
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1}\n{"a": null}\n\n{}\n', encoding="utf-8")
    recs, src = _records(path)
    assert [(r, v) for r, v, _ in recs] == [(1, {"a": 1}), (2, {"a": None})]
    assert src.skipped == 2


def test_xlsx_blank_rows_are_skipped(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", "b"])
    ws.append([1, 2])
    ws.append([None, None])
    ws.append([3, 4])
    ws.append([None, None])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    recs, src = _records(path)
    assert [r for r, _, _ in recs] == [2, 4]
    assert src.skipped >= 1


# --- 3. XLSX two-level merged header -------------------------------------------------------------


def _twolevel(path: Path, groups=False) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年6月预算执行监控表"])
    ws.merge_cells("A1:D1")
    ws.append(["预算单位", "财务数据", None, "上报日期"])
    ws.append([None, "全年预算数（万元）", "累计支出", None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:D3")
    ws.append(["甲", 1000, 500, "2024-06-30"])
    ws.append(["乙", 1000, 300, "2024-06-30"])
    wb.save(path)


def test_xlsx_two_level_header(tmp_path):
    path = tmp_path / "twolevel.xlsx"
    _twolevel(path)
    recs, src = _records(path)
    assert src.columns == ["预算单位", "全年预算数（万元）", "累计支出", "上报日期"]
    assert [(r, v) for r, v, _ in recs] == [
        (4, {"预算单位": "甲", "全年预算数（万元）": 1000, "累计支出": 500, "上报日期": "2024-06-30"}),
        (5, {"预算单位": "乙", "全年预算数（万元）": 1000, "累计支出": 300, "上报日期": "2024-06-30"}),
    ]
    batched, _ = _batched(path)
    assert batched == recs
    code, rows, summary = _eval(tmp_path, MONITOR, path, "--as-of", "2024-06-30")
    assert code == 0 and summary["errors"] == 0 and len(rows) == 2


def test_xlsx_two_level_header_repeated_sub_labels_join_parent(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位", "2023年", None, "2024年", None])
    ws.append([None, "预算", "支出", "预算", "支出"])
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:C1")
    ws.merge_cells("D1:E1")
    ws.append(["甲", 1, 2, 3, 4])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    recs, src = _records(path)
    assert src.columns == ["单位", "2023年预算", "2023年支出", "2024年预算", "2024年支出"]
    assert recs == [(3, dict(zip(src.columns, ["甲", 1, 2, 3, 4])), None)]


def test_xlsx_merged_header_over_data_is_still_one_header(tmp_path):
    """A header cell merged across two columns with a data row right beneath is one header row."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位", "预算数", None, "日期"])
    ws.merge_cells("B1:C1")
    ws.append([None, 100, 0.1, "2024-06-30"])  # 单位 blank in the first data row
    ws.append(["乙", 200, 0.2, "2024-06-30"])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    recs, src = _records(path)
    assert src.columns == ["单位", "预算数", "列C", "日期"]
    assert [r for r, _, _ in recs] == [2, 3]
