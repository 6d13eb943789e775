"""Regressions from the data-office acceptance run: unusual but legitimate Arrow column types,
file formats and cells from other systems."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import perfrules
from perfrules.cli import main

RULES = """\
settings { total 10 }

input 预算数: amount
input 支出数: amount
input 等次: choice(优秀, 良好, 合格) = 合格

indicator 执行率 weight 8 {
  value 支出数 / 预算数
  score ratio(target: 100%)
}
indicator 考评 weight 2 {
  score match 等次 { 优秀 -> 2, 良好 -> 1, 合格 -> 0.5 }
}
"""


@pytest.fixture()
def rules(tmp_path):
    path = tmp_path / "t.rules"
    path.write_text(RULES, encoding="utf-8")
    return path


def _table(view: bool):
    t = pa.table({"预算数": ["100", "200.5", "（空）"], "支出数": ["95.5", "1,234.56", "3"], "等次": ["优秀", "良好", None]})
    if view:
        t = pa.table({name: t.column(name).cast(pa.string_view()) for name in t.column_names})
    return t


def test_string_view_columns_score_like_strings(rules):
    # Polars' newest Arrow (to_arrow(compat_level=newest)) and Parquet/IPC files written from
    # it have string_view columns; they crashed the conversion (no `take` kernel for views).
    r = perfrules.load(rules)
    want = r.evaluate_table(_table(False)).drop_columns(["记录"]).to_pylist()
    assert r.evaluate_table(_table(True)).drop_columns(["记录"]).to_pylist() == want


def test_string_view_parquet_and_arrow_files(rules, tmp_path, capsys):
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    pq.write_table(_table(True), tmp_path / "v.parquet")
    with ipc.new_file(tmp_path / "v.arrow", _table(True).schema) as w:
        w.write_table(_table(True))
    pq.write_table(_table(False), tmp_path / "s.parquet")
    assert main(["eval", str(rules), "--data", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "s.csv")]) == 0
    want = (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    for name in ("v.parquet", "v.arrow"):
        out = tmp_path / (name + ".csv")
        assert main(["eval", str(rules), "--data", str(tmp_path / name), "-o", str(out)]) == 0, capsys.readouterr().err
        assert out.read_text(encoding="utf-8-sig") == want


def test_string_view_unit_column_routed(rules, tmp_path, capsys):
    import pyarrow.parquet as pq

    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "t.rules").write_text('applies to "甲局", "乙局"\n' + RULES, encoding="utf-8")
    t = _table(False).append_column("单位名称", pa.array(["甲局", "丁局", "乙局"]))
    outs = []
    for view in (False, True):
        if view:
            t = pa.table({name: t.column(name).cast(pa.string_view()) for name in t.column_names})
        pq.write_table(t, tmp_path / "all.parquet")
        assert main(["eval", "--rulesets", str(tmp_path / "rs"), "--data", str(tmp_path / "all.parquet"), "--format", "csv"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[1] == outs[0] and "丁局" in outs[0]


def test_numeric_unit_codes_in_a_float_column_are_routed(rules, tmp_path, capsys):
    # A code column with a blank is float64 in Parquet (and a number cell in XLSX): 101.0
    # matched no route for unit 101, and every record became an error row.
    import pyarrow.parquet as pq

    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "t.rules").write_text('applies to "101", "102"\n' + RULES, encoding="utf-8")
    t = _table(False).append_column("单位名称", pa.array([101.0, None, 102.0]))
    pq.write_table(t, tmp_path / "codes.parquet")
    assert main(["eval", "--rulesets", str(tmp_path / "rs"), "--data", str(tmp_path / "codes.parquet"),
                 "--format", "csv", "--lang", "zh"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 3 and sum("没有适用的规则" in r or "路由" in r or "错误" in r for r in rows) == 1, rows


TIE = """\
settings { total 4 }
input 预算数: amount
input 支出数: amount
indicator 执行率 weight 4 {
  value 支出数 / 预算数
  score ratio(target: 100%)
}
"""


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_numbers_are_read_exactly(tmp_path, capsys, fmt):
    # 0.98625 / 1.00000000000000000001 × 4 = 3.94499… → 3.94; orjson read the budget as the
    # float 1.0 (→ 3.95), 1e-400 as 0 (a division by zero) and rejected the file for 1e400.
    rules = tmp_path / "tie.rules"
    rules.write_text(TIE, encoding="utf-8")
    objs = ['{"预算数": 1.00000000000000000001, "支出数": 0.98625}',
            '{"预算数": 1, "支出数": 0.98625}',
            '{"预算数": 1e-400, "支出数": 0}',
            '{"预算数": 1e400, "支出数": 123456789012345678901234567890}',
            '{"预算数": 100, "支出数": 95.5}']
    data = tmp_path / f"d.{fmt}"
    data.write_text("[" + ",\n".join(objs) + "]" if fmt == "json" else "\n".join(objs) + "\n", encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    totals = [line.split(",")[4] for line in lines[1:]]
    assert totals == ["3.94", "3.95", "0.00", "0.00", "3.82"]
    assert ",0," in lines[3]  # 0 / 1e-400 is 0, not a division by zero


def test_xlsx_two_level_header_with_few_wide_captions(tmp_path):
    # The caption row (单位名称, 财务数据 over B:C, 满意率, 其他 over E:I) fills less than half
    # the columns of a data row, so the sub-label row was taken for the header and the columns
    # merged down both rows (单位名称, 满意率) were named 列A, 列D: "missing column 满意率".
    openpyxl = pytest.importorskip("openpyxl")
    from perfrules.io import open_records

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年度绩效数据"])
    ws.merge_cells("A1:I1")
    ws.append(["单位名称", "财务数据", None, "满意率", "其他"])
    ws.append([None, "预算数（万元）", "支出数", None, "违规数", "已整改", "等次", "完成日期", "备注"])
    for ref in ("A2:A3", "B2:C2", "D2:D3", "E2:I2"):
        ws.merge_cells(ref)
    ws.append(["甲局", 100, 95.5, 0.9, 0, "是", "优秀", "2024-06-30", "a"])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    src = open_records(path)
    assert src.columns == ["单位名称", "预算数（万元）", "支出数", "满意率", "违规数", "已整改", "等次", "完成日期", "备注"]
    assert [(r.row, r.values["单位名称"], r.values["满意率"]) for r in src] == [(4, "甲局", 0.9)]


def _formula_book(path, cached: bool):
    openpyxl = pytest.importorskip("openpyxl")
    import zipfile

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "预算数", "支出数", "备注"])
    ws.append(["甲局", 100, "=B2*0.95", '=IF(B2>0,"","x")'])
    ws.append(["乙局", 100, 90, "y"])
    wb.save(path)
    if cached:  # as Excel saves it: each formula with its result (an empty text result is t="str")
        with zipfile.ZipFile(path) as z:
            files = {n: z.read(n) for n in z.namelist()}
        name = next(n for n in files if n.startswith("xl/worksheets/sheet"))
        xml = files[name].decode()
        xml = xml.replace('<c r="C2"><f>B2*0.95</f><v /></c>', '<c r="C2"><f>B2*0.95</f><v>95</v></c>')
        xml = xml.replace('<c r="D2"><f>IF(B2&gt;0,"","x")</f><v /></c>', '<c r="D2" t="str"><f>IF(B2&gt;0,"","x")</f><v></v></c>')
        assert "<v>95</v>" in xml and 't="str"' in xml
        files[name] = xml.encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in files.items():
                z.writestr(n, data)


def test_xlsx_formula_without_stored_result_is_an_error_row(tmp_path):
    # A workbook written by a program that does not compute formulas (openpyxl, report
    # exporters) stores no result: the cell read as blank and 支出数 scored as missing data.
    from perfrules.io import open_records

    path = tmp_path / "f.xlsx"
    _formula_book(path, cached=False)
    recs = list(open_records(path))
    assert recs[0].values is None and "C2" in recs[0].error and "支出数" in recs[0].error
    assert "D2" in recs[0].error  # D2's formula has no stored result either
    assert recs[1].values == {"单位名称": "乙局", "预算数": 100, "支出数": 90, "备注": "y"}
    _formula_book(path, cached=True)
    recs = list(open_records(path))
    assert [r.values for r in recs] == [{"单位名称": "甲局", "预算数": 100, "支出数": 95, "备注": None},
                                        {"单位名称": "乙局", "预算数": 100, "支出数": 90, "备注": "y"}]


def test_progress_position_is_of_the_rows_scored_not_of_the_reader(tmp_path, monkeypatch):
    # The reader runs pieces ahead of scoring; the progress line showed its position, so it
    # said 100% with a quarter of the records still to score.
    import perfrules.io.batches as batches
    from perfrules.batch import run_file

    monkeypatch.setattr(batches, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(batches, "BATCH_ROWS", 50)
    header = "预算数,支出数,等次\n"
    line = "100.00,95.50,优秀\n"
    n = 3000
    data = tmp_path / "d.csv"
    data.write_text(header + line * n, encoding="utf-8")
    rules = tmp_path / "t.rules"
    rules.write_text(RULES, encoding="utf-8")
    head, size = len(header.encode()), len(line.encode())

    class Seen:
        rows, at = 0, []

        def update(self, src, rows, at=0):
            self.rows += rows
            self.at.append((self.rows, at or src.bytes_done))

        def done(self):
            pass

    seen = Seen()
    run_file(perfrules.load(rules), data, tmp_path / "o.csv", progress=seen)
    assert seen.rows == n and len(seen.at) > 10
    assert [at for _, at in seen.at] == [head + rows * size for rows, _ in seen.at]


@pytest.mark.parametrize("backend", ["columnar", "row"])
def test_unclosed_quote_names_the_lines_it_swallowed(rules, tmp_path, capsys, backend):
    # An unclosed quote on line 3 makes lines 3–6 one record (CSV's rule): three records
    # vanished into one error row that named line 3 only.
    data = tmp_path / "q.csv"
    data.write_text('预算数,支出数,等次\n100,95,优秀\n100,"95,良好\n100,90,优秀\n100,80,优秀\n100,70,"x"\n', encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "--format", "csv", "--backend", backend, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "第3–6行被读成了这一条记录" in out and out.count("\n") == 3


def test_unclosed_quote_on_the_last_line_is_named(rules, tmp_path, capsys):
    # On the last line the quote swallows only the rest of that line: the error row said
    # "a truncated line?" and nothing of the quote.
    data = tmp_path / "q.csv"
    data.write_text('预算数,支出数,等次\n100,95,优秀\n"100,90,优秀\n', encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "--format", "csv", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "第3行可能有没闭合的引号" in out and out.count("\n") == 3


def test_bare_cr_line_ends_say_what_to_do(rules, tmp_path, capsys):
    # Excel for Mac's "Macintosh Comma Separated" ends lines in CR; the message was Python's
    # csv module's "do you need to open the file in universal-newline mode?"
    data = tmp_path / "mac.csv"
    data.write_bytes("预算数,支出数,等次\r100,95,优秀\r".encode("utf-8"))
    assert main(["eval", str(rules), "--data", str(data), "--format", "csv", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "回车符（CR）" in err and "universal-newline" not in err


POP = """\
settings { total 5 }
input 完成数: count
indicator 名次 weight 5 {
  value 完成数
  score value / max_of(value) * full
}
"""


def test_population_stats_of_a_polars_frame(tmp_path):
    # Iterating a DataFrame gives its columns: population_stats took each column for a record,
    # rejected it, and returned empty statistics without a word (every max_of missing).
    pl = pytest.importorskip("polars")
    path = tmp_path / "pop.rules"
    path.write_text(POP, encoding="utf-8")
    r = perfrules.load(path)
    t = pa.table({"完成数": ["10", "20", "40"]})
    want = r.population_stats(t)
    got = r.population_stats(pl.from_arrow(t))
    assert [repr(s) for s in got] == [repr(s) for s in want]
    scores = [x["名次"] for x in pa.Table.from_batches(list(r.evaluate_batches(t.to_batches(), pop=got))).to_pylist()]
    assert [str(s) for s in scores] == ["1.25", "2.50", "5.00"]
    with pytest.raises(TypeError):
        r.population_stats(["完成数"])


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_gb18030_json_is_detected(rules, tmp_path, capsys, fmt):
    # `--encoding` says "default: detect UTF-8/BOM/GB18030", but a GBK JSON file was rejected
    # ("str is not valid UTF-8") and a GBK JSONL file reported every column missing.
    import json

    recs = [{"预算数": 100, "支出数": 95, "等次": "优秀"}, {"预算数": 100, "支出数": 80, "等次": "良好"}]
    text = json.dumps(recs, ensure_ascii=False) if fmt == "json" else "\n".join(json.dumps(r, ensure_ascii=False) for r in recs)
    data = tmp_path / f"g.{fmt}"
    data.write_bytes(text.encode("gb18030"))
    assert main(["eval", str(rules), "--data", str(data), "--format", "csv", "--lang", "zh"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(",")[4] for line in out[1:]] == ["9.60", "7.40"]


def test_numpy_scalars_in_a_record(rules, tmp_path):
    # A record built from numpy arrays: np.bool_ was "not 是/否", np.datetime64 "not a date".
    np = pytest.importorskip("numpy")
    path = tmp_path / "b.rules"
    path.write_text("""settings { total 2 }
input 已整改: bool
input 完成日期: date
indicator 按时 weight 2 {
  score checklist { 已整改 -> 1; 完成日期 <= 2024-06-30 -> 1 }
}
""", encoding="utf-8")
    r = perfrules.load(path)
    for when in (np.datetime64("2024-06-30"), np.datetime64("2024-06-30T08:00:00.000000000")):
        res = r.evaluate_one({"已整改": np.bool_(True), "完成日期": when})
        assert res.ok and str(res.total) == "2.00", res.error
    res = r.evaluate_one({"已整改": np.bool_(False), "完成日期": np.datetime64("NaT")})
    assert res.ok and str(res.total) == "0.00"


def test_stray_bytes_under_a_utf8_header_that_gb18030_cannot_read(rules, tmp_path, capsys):
    # Mostly-ASCII rows with a few stray bytes outnumber the header's UTF-8 characters, so the
    # file was guessed GB18030 — and then rejected whole: "line 1 cannot be decoded as gb18030".
    lines = ["预算数,支出数,等次"] + ["100,95,"] * 40 + ["100,9\xff5,"] * 3
    data = tmp_path / "d.csv"
    data.write_bytes("\n".join(lines).encode("utf-8").replace("\xff".encode("utf-8"), b"\xff") + b"\n")
    assert main(["eval", str(rules), "--data", str(data), "--format", "csv", "--lang", "zh"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 44 and sum("无法按 utf-8 解码" in line for line in out) == 3


def test_polars_categorical_and_enum_in_newest_arrow(rules, tmp_path, capsys):
    # Polars' newest Arrow gives Categorical/Enum columns as dictionaries of string_view:
    # decoding them crashed (no take kernel for string_view).
    pl = pytest.importorskip("polars")
    import pyarrow.ipc as ipc

    df = pl.DataFrame({"单位名称": ["甲局", "乙局", None], "预算数": ["100", "200.5", "（空）"],
                       "支出数": ["95.5", "1,234.56", "3"], "等次": ["优秀", "良好", None]})
    df = df.with_columns(pl.col("单位名称").cast(pl.Categorical), pl.col("等次").cast(pl.Enum(["优秀", "良好", "合格"])))
    r = perfrules.load(rules)
    want = r.evaluate_table(df.to_arrow(), id_column="单位名称").to_pylist()
    t = df.to_arrow(compat_level=pl.CompatLevel.newest())
    assert pa.types.is_dictionary(t.schema.field("等次").type)
    assert r.evaluate_table(t, id_column="单位名称").to_pylist() == want
    with ipc.new_file(tmp_path / "c.arrow", t.schema) as w:
        w.write_table(t)
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "t.rules").write_text('applies to "甲局", "乙局"\n' + RULES, encoding="utf-8")
    assert main(["eval", "--rulesets", str(tmp_path / "rs"), "--data", str(tmp_path / "c.arrow"), "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 4


def test_xlsx_row_of_only_uncomputed_formulas_is_an_error_row(tmp_path):
    # it read as an empty row and was skipped: neither a result nor an error row
    openpyxl = pytest.importorskip("openpyxl")
    from perfrules.io import open_records

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "预算数", "支出数", "备注"])
    ws.append(["甲局", 100, 90, "y"])
    ws.append([None, None, None, "=1/0"])
    ws.append([None, None, None, None])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    src = open_records(path)
    recs = list(src)
    assert [r.row for r in recs] == [2, 3]
    assert recs[1].values is None and "D3" in recs[1].error and "备注" in recs[1].error
