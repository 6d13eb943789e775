"""Nothing is lost on hostile data: records in = results + error rows, in input order, and the
batch readers see exactly the rows (numbers and raw values) open_records sees."""
from __future__ import annotations

import codecs
import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import perfrules
from perfrules.cli import main
from perfrules.io import open_records
from perfrules.io.batches import open_batches

RULES = """
input 实际支出: amount
input 调整后预算数: amount
input 完成率: percent
input 名次: count in [1, 13]
input 等次: choice(优秀, 良好, 合格)
input 违规数: count = 0
indicator 执行 weight 60 {
  value 实际支出 / 调整后预算数
  score ratio(target: 100%)
}
indicator 完成 weight 20 {
  value 完成率
  score bands { >= 95% -> full; >= 80% -> 10; otherwise -> 0 }
}
indicator 名次 weight 10 {
  value 名次
  score bands { <= 3 -> full; otherwise -> 5 }
}
indicator 综合 weight 10 {
  value 等次
  score match value { 优秀 -> 10, 良好 -> 8, 合格 -> 6 }
}
grade by total { 优 >= 90; 良 >= 80; 差 otherwise }
alert 超支 warning when 执行.value > 100% { message "执行率 {执行.value:pct}，支出 {实际支出:amount}" }
"""

HEADER = ["单位名称", "实际支出", "调整后预算数", "完成率", "名次", "等次", "违规数"]
HOSTILE = [
    ["甲", "95231.47", "98560.00", "96%", "1", "优秀", ""],
    ["乙", "1,234.50", "1,000", "95%", "13", "良好", "2"],
    ["丙", "（空）", "100", "0.80", "2", "合格", ""],
    ["丁", "１２３４．５", "２０００", "９５％", "３", "优秀", ""],
    ["戊", " 50 ", "0", "N/A", "14", "良好", ""],
    ["己", "九万五", "100", "120", "0", "较好", "-1"],
    ["庚", "(1,234.00)", "5000", "99.5%", "4", "合格", "1.5"],
    ["辛", "#DIV/0!", "100", "95 %", "5", "优秀", ""],
    ["壬", "1e3", "1000", "0.95", "6", "优秀", "0"],
    ["癸", "123456789012345678", "3", "1%", "7", "良好", ""],
    ["子", "", "", "", "", "", ""],
    ["丑", "100", "100", "100%", "1", "优秀", "", "多余的内容"],
    ["寅", "100", "100"],
    ["卯", "50", "100", "50%", "2", "合格", "", ""],
]


@pytest.fixture(scope="module")
def rules():
    return perfrules.compile(RULES)


def write_csv(path, rows, encoding="utf-8-sig", extra=b""):
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(HEADER)
    for r in rows:
        w.writerow(r)
    text = buf.getvalue()
    path.write_bytes(text.encode(encoding) + extra)
    return path


def _records(path, **kw):
    return [(r.row, r.values, r.error_code) for r in open_records(path, **kw)]


def _batched(path, **kw):
    out = []
    with open_batches(path, **kw) as src:
        for piece in src:
            b = piece.batch
            cols = {n: (b.column(n) if isinstance(b.column(n), list) else b.column(n).to_pylist()) for n in src.columns}
            good = [(int(r), {n: cols[n][i] for n in src.columns}, None) for i, r in enumerate(piece.rows)]
            bad = [(e.row, None, e.error_code) for e in piece.errors]
            out.extend(sorted(good + bad, key=lambda t: t[0]))
    return out


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_batches_see_what_open_records_sees(tmp_path, encoding):
    path = write_csv(tmp_path / "d.csv", HOSTILE, encoding)
    assert _batched(path) == _records(path)


def test_csv_odd_lines_quoted_newlines_bad_bytes(tmp_path):
    text = ("单位名称,实际支出,调整后预算数,完成率,名次,等次,违规数\r\n"
            "\r\n"
            '"甲\n乙",100,100,95%,1,优秀,\r\n'
            ",,,,,,\n"
            "丙,100,100,95%,1,优秀,\n"
            "   \n"
            '丁,"1,000.00",100,"50%",2,合格,1\n').encode("utf-8")
    bad = "戊,100,100,95%,1,优秀,\n".encode("gb18030") + "己,1,2,3%,1,合格,0".encode("utf-8")
    path = tmp_path / "odd.csv"
    path.write_bytes(text + bad)
    assert _batched(path, encoding="utf-8") == _records(path, encoding="utf-8")


def test_csv_blocks_cut_anywhere(tmp_path):
    """Small blocks and batches: rows are cut and regrouped at every size and stay the same."""
    from perfrules.io.batches import CsvBatches

    rows = HOSTILE * 7
    path = write_csv(tmp_path / "many.csv", rows)
    want = _records(path)
    for block, batch in ((64, 3), (97, 5), (1000, 2), (1 << 20, 100)):
        src = CsvBatches(path, "csv", None, batch_rows=batch, block_bytes=block)
        got = []
        for piece in src:
            b = piece.batch
            cols = {n: (b.column(n) if isinstance(b.column(n), list) else b.column(n).to_pylist()) for n in src.columns}
            got += [(int(r), {n: cols[n][i] for n in src.columns}, None) for i, r in enumerate(piece.rows)]
            got += [(e.row, None, e.error_code) for e in piece.errors]
        assert sorted(got, key=lambda t: t[0]) == want, (block, batch)


def _rows_of(out):
    return list(csv.DictReader(out.open(encoding="utf-8-sig")))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx", "json"])
def test_records_in_equal_results_plus_errors(tmp_path, rules, fmt, capsys):
    src = write_csv(tmp_path / "d.csv", HOSTILE)
    data = src
    if fmt != "csv":
        recs = [r.values for r in open_records(src) if r.values is not None]
        data = tmp_path / f"d.{fmt}"
        if fmt == "jsonl":
            data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n{not json\n", encoding="utf-8")
        elif fmt == "json":
            data.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
        elif fmt == "parquet":
            pq.write_table(pa.Table.from_pylist(recs), data)
        else:
            from perfrules.io import write_rows

            write_rows(recs, data)
    rules_path = tmp_path / "r.rules"
    rules_path.write_text(RULES, encoding="utf-8")
    read = list(open_records(data))
    outs = {}
    for backend in ("columnar", "reference"):
        out = tmp_path / f"out_{backend}.csv"
        code = main(["eval", str(rules_path), "--data", str(data), "--id", "单位名称", "-o", str(out),
                     "--backend", backend, "--lang", "en", "--summary-json", str(tmp_path / "s.json")])
        assert code == 0
        outs[backend] = out.read_bytes()
        rows = _rows_of(out)
        summary = json.loads((tmp_path / "s.json").read_text())
        assert len(rows) == len(read) == summary["records"]
        assert summary["records"] == summary["results"] + summary["errors"]
        assert [int(r["row"]) for r in rows] == [r.row for r in read]
        assert sum(r["status"] == "error" for r in rows) == summary["errors"] > 0
    assert outs["columnar"] == outs["reference"]
    capsys.readouterr()


def test_error_rows_name_the_field(tmp_path, rules):
    table = pa.table({h: pa.array([r[i] if i < len(r) else None for r in HOSTILE], pa.string())
                      for i, h in enumerate(HEADER)})
    out = rules.evaluate_table(table, lang="en").to_pylist()
    by_unit = {HOSTILE[i][0]: row for i, row in enumerate(out)}
    err = by_unit["己"]["error"]
    assert by_unit["己"]["status"] == "error"
    for field in ("实际支出", "完成率", "名次", "等次", "违规数"):
        assert field in err
    assert by_unit["甲"]["status"] == "ok"
    assert by_unit["癸"]["status"] == "ok"  # 18 digits: evaluated exactly, not an error


def test_alert_amount_with_comma_is_quoted_in_csv(tmp_path, capsys):
    """A batch holding a text with a comma is written with quoting, like write_rows does."""
    rules_path = tmp_path / "r.rules"
    rules_path.write_text(RULES, encoding="utf-8")
    data = write_csv(tmp_path / "d.csv", [["甲", "1234567.89", "1000000", "96%", "1", "优秀", ""]])
    out = tmp_path / "o.csv"
    assert main(["eval", str(rules_path), "--data", str(data), "-o", str(out), "--lang", "zh"]) == 0
    rows = _rows_of(out)
    assert rows[0]["预警"] == "[预警] 超支: 执行率 123.46%，支出 1,234,567.89"
    capsys.readouterr()


def test_utf16_csv_goes_through_records(tmp_path, rules):
    path = tmp_path / "u16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "单位名称,实际支出,调整后预算数,完成率,名次,等次\r\n甲,1,2,3%,1,优秀\r\n".encode("utf-16-le"))
    assert _batched(path) == _records(path)


HUGE = """
input a: number
input b: number
indicator 比例 weight 100 {
  value a / b
  score ratio(target: 100%)
}
output 乘积 = a * b
"""


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
@pytest.mark.parametrize("out", ["o.csv", "o.parquet", "o.json"])
def test_figures_beyond_the_decimal_columns_are_flagged_not_a_crash(tmp_path, backend, out, capsys):
    rules = tmp_path / "huge.rules"
    rules.write_text(HUGE, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1e308,1e-308\n100000000000000000000,100000000000\n3,4\n", encoding="utf-8")
    target = tmp_path / out
    assert main(["eval", str(rules), "--data", str(data), "-o", str(target), "--backend", backend, "--lang", "en"]) == 0
    if out.endswith(".parquet"):
        rows = pq.read_table(target).to_pylist()
    elif out.endswith(".json"):
        rows = json.loads(target.read_text(encoding="utf-8"))
    else:
        rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [str(r["total"]) for r in rows] == ["100.00", "100.00", "75.00"]
    assert rows[0]["比例.value"] is None or rows[0]["比例.value"] == ""
    assert "比例: the value 100000000000… (617 digits) has more than the 28 whole digits" in rows[0]["flags"]
    assert "乘积" in rows[1]["flags"] and not rows[2]["flags"]
    assert str(rows[2]["乘积"]) in ("12", "12.0000000000")
