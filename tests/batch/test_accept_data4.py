"""Regressions from the fourth data acceptance run (another system's files and services)."""
from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

import perfrules
from conftest import ROOT
from perfrules.cli import main

RANGES = """\
settings { total 10 }
input 分: number in [0, 100]
input 率: percent in [0, 100%]
input 件: count
indicator 综合 weight 10 {
  value 分
  score value / 10
}
output 件值 = 件
"""


def _write(path, text: str):
    """path, with text written to it (UTF-8)."""
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def ranges(tmp_path):
    path = _write(tmp_path / "r.rules", RANGES)
    return perfrules.load(path)


@pytest.mark.parametrize("name, cell", [
    ("件", "3.0000000000000000001"),  # no whole number, though its float is 3.0
    ("件", 3.0000000000000004),  # a float column: the row path reads 3.0000000000000004
    ("分", "100.0000000000000001"),  # outside [0, 100], though its float is 100.0
    ("率", "1.0000000000000000001"),
    ("分", 2**60),  # an integer beyond 2**53
    ("件", "12345678901234567890"),  # a valid count beyond a float's digits
    ("分", "99.99999999999999999"),
])
@pytest.mark.parametrize("backend", ["columnar", "reference"])
def test_cells_beyond_fifteen_digits_are_checked_like_the_row_path(ranges, name, cell, backend):
    # Such a cell was marked for the exact evaluator without its type's checks (its float and
    # places cannot show them); the exact evaluator then met the conversion error the columnar
    # conversion had not reported: AssertionError out of evaluate_table and perfrules eval.
    record = {"分": "50", "率": "50%", "件": "3", name: cell}
    one = ranges.evaluate_one(record)
    table = ranges.evaluate_table(pa.table({k: [v] for k, v in record.items()}), backend=backend, lang="en")
    assert table.column("total")[0].as_py() == one.total
    assert table.column("error")[0].as_py() == (one.error.message_en if one.error else None)


def test_a_long_count_cell_in_a_file_is_an_error_row(tmp_path, capsys):
    rules = _write(tmp_path / "r.rules", RANGES)
    data = _write(tmp_path / "d.csv", "分,率,件\n50,50%,3\n50,50%,3.0000000000000000001\n")
    out = tmp_path / "o.jsonl"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "en"]) == 0
    rows = [__import__("json").loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in rows] == ["ok", "error"]
    assert "not a whole number" in rows[1]["error"]


ROUTED = 'applies to "区甲局"\nsettings { total 10 }\ninput 数: amount\nindicator 甲 weight 10 {\n  value 数\n  score value\n}\n'


def _routes_dir(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "a.rules").write_text(ROUTED, encoding="utf-8")
    data = _write(tmp_path / "d.csv", "单位名称,数\n区甲局,5\n")
    return d, data


def test_a_folder_named_like_a_rule_file_is_not_read(tmp_path, capsys):
    d, data = _routes_dir(tmp_path)
    (d / "old.rules").mkdir()  # e.g. a backup folder: it was "[Errno 21] Is a directory"
    assert main(["eval", "--rulesets", str(d), "--data", str(data), "-o", str(tmp_path / "o.csv")]) == 0
    assert "Errno" not in capsys.readouterr().err


def test_an_unreadable_rule_file_under_rulesets_is_named_in_the_users_language(tmp_path, capsys):
    d, data = _routes_dir(tmp_path)
    (d / "gone.rules").symlink_to(tmp_path / "nowhere.rules")
    assert main(["eval", "--rulesets", str(d), "--data", str(data), "-o", str(tmp_path / "o.csv"), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "Errno" not in err and "PR804" in err and "gone.rules" in err and "不存在" in err


def test_too_many_cells_quotes_the_extra_cells_not_a_python_list(tmp_path, capsys):
    rules = _write(tmp_path / "r.rules", RANGES)
    data = _write(tmp_path / "d.csv", "分,率,件\n50,50%,3,y,z\n")
    for backend in ("columnar", "row"):
        out = tmp_path / f"o-{backend}.csv"
        assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "zh", "--backend", backend]) == 0
        text = out.read_text(encoding="utf-8-sig")
        assert "多出的内容：'y'、'z'" in text and "['" not in text


@pytest.mark.parametrize("header", ["原值,实值", "学校,实值"])
def test_a_gbk_header_that_is_valid_utf8_is_read_as_gbk(tmp_path, capsys, header):
    # Every character of 原值,实值 in GBK is a lead byte C2–DF and a trail byte 80–BF: valid
    # UTF-8 (Armenian and Hebrew letters). Read as UTF-8, every column was "missing".
    from perfrules.io.readers import detect_encoding

    rules = tmp_path / "r.rules"
    rules.write_text("settings { total 10 }\ninput 原值: amount\ninput 实值: amount\n"
                     "indicator 比 weight 10 {\n  value 实值 / 原值\n  score ratio(target: 100%)\n}\n", encoding="utf-8")
    rules.write_text(rules.read_text(encoding="utf-8").replace("原值", header.split(",")[0]), encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_bytes(f"{header}\n100,95\n".encode("gbk"))
    assert detect_encoding(data) == "gb18030"
    out = tmp_path / "o.csv"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out)]) == 0
    assert "9.50" in out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("text", ["café,naïve\n1,2\n", "m²,x\n1,2\n", "Ωμ,x\n1,2\n", "Dānwèi,x\n1,2\n", "原值,实值\n1,2\n",
                                  "Отдел,x\n1,2\n" + "区卫健局,1\n"])
def test_utf8_headers_stay_utf8(tmp_path, text):
    from perfrules.io.readers import detect_encoding

    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("utf-8"))
    assert detect_encoding(path) == "utf-8"


def test_a_hidden_first_sheet_is_not_the_default(tmp_path, capsys):
    from openpyxl import Workbook

    rules = _write(tmp_path / "r.rules", RANGES)
    wb = Workbook()
    wb.active.title = "参数"
    wb.active.append(["这是导出程序的参数页"])
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("数据")
    for row in (["分", "率", "件"], [50, "50%", 3]):
        ws.append(row)
    data = tmp_path / "d.xlsx"
    wb.save(data)
    out = tmp_path / "o.csv"
    # Excel shows 数据 as the first sheet; the hidden one was read: "missing columns 分、率、件"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out)]) == 0
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "o2.csv"), "--sheet", "2"]) == 0
    assert out.read_bytes() == (tmp_path / "o2.csv").read_bytes()
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--sheet", "1"]) == 2  # numbers count hidden sheets


def test_summary_json_onto_the_output_or_an_input_is_refused_before_work(tmp_path, capsys):
    rules = _write(tmp_path / "r.rules", ROUTED)
    data = _write(tmp_path / "d.csv", "单位名称,数\n区甲局,5\n")
    out = tmp_path / "o.csv"
    # the summary was written over the results after scoring (exit 0, every result gone)
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--summary-json", str(tmp_path / "." / "o.csv")]) == 2
    assert not out.exists()
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--summary-json", str(rules)]) == 2
    mapping = _write(tmp_path / "m.json", '{"数": "数"}')
    assert main(["eval", str(rules), "--data", str(data), "--map", str(mapping), "-o", str(mapping)]) == 2
    routes = _write(tmp_path / "routes.json", '{"区甲局": "r.rules"}')
    assert main(["eval", "--routes", str(routes), "--data", str(data), "-o", str(routes)]) == 2
    assert main(["eval", "--routes", str(routes), "--data", str(data), "-o", str(out), "--summary-json", str(routes)]) == 2
    assert rules.read_text(encoding="utf-8") == ROUTED and mapping.read_text(encoding="utf-8") == '{"数": "数"}'
    assert routes.read_text(encoding="utf-8") == '{"区甲局": "r.rules"}'
    err = capsys.readouterr().err
    assert "Errno" not in err and ("overwritten" in err or "覆盖" in err)


POP = """\
settings { total 10 }
input 数: amount
indicator 名次 weight 10 {
  value 数
  score if rank(value) = 1 then full else 0
}
"""


def test_a_wrong_pop_is_named(tmp_path):
    import pyarrow as pa

    rules = perfrules.compile(POP)
    other = perfrules.load(ROOT / "docs" / "cookbook" / "rank.rules")
    table = pa.table({"数": ["1", "2"]})
    foreign = other.population_stats(pa.table({"完成数": ["1"], "计划数": ["2"]}))
    for pop, error in (([], ValueError), ("x", TypeError), (foreign, ValueError)):
        with pytest.raises(error, match="pop="):  # was IndexError / AttributeError from inside
            list(rules.evaluate_batches([table], pop=pop))
        with pytest.raises(error, match="pop="):
            rules.evaluate_one({"数": "1"}, pop=pop)
    pop = rules.population_stats(table)
    got = [b.column("total").to_pylist() for b in rules.evaluate_batches([table], pop=tuple(pop), lang="en")]
    assert got == [[rules.evaluate_one({"数": "1"}, pop=pop).total, rules.evaluate_one({"数": "2"}, pop=pop).total]]


def test_an_xlsx_cell_beyond_excels_limit_ends_with_an_ellipsis(tmp_path, capsys):
    from openpyxl import load_workbook

    rules = _write(tmp_path / "r.rules", RANGES.replace("output 件值 = 件", "input 备注: text\noutput 备注值 = 备注"))
    data = _write(tmp_path / "d.csv", "分,率,件,备注\n50,50%,3," + "x" * 40000 + "\n")
    out = tmp_path / "o.xlsx"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "en"]) == 0
    ws = load_workbook(out).active
    header, row = list(ws.iter_rows(values_only=True))
    cell = row[header.index("备注值")]
    assert len(cell) == 32767 and cell.endswith("…")  # openpyxl cut it without a sign


def test_a_map_wins_over_a_column_named_like_the_input(tmp_path, capsys):
    # The file's own 预算数 is last year's; the map says 调整后预算 is the one. The name tier came
    # first, so the map was ignored without a word (执行率 95 / 50).
    rules = tmp_path / "r.rules"
    rules.write_text("settings { total 10 }\ninput 预算数: amount\ninput 支出数: amount\n"
                     "indicator 执行率 weight 10 {\n  value 支出数 / 预算数\n  score ratio(target: 100%)\n}\n",
                     encoding="utf-8")
    data = _write(tmp_path / "d.csv", "预算数,调整后预算,支出数\n50,100,95\n")
    mapping = _write(tmp_path / "m.json", '{"调整后预算": "预算数"}')
    out = tmp_path / "o.jsonl"
    assert main(["eval", str(rules), "--data", str(data), "--map", str(mapping), "-o", str(out), "--lang", "en"]) == 0
    assert '"total":"9.50"' in out.read_text(encoding="utf-8")
    from perfrules.io import InputSpec, resolve_columns

    plan = resolve_columns(["预算数", "调整后预算"], [InputSpec("预算数")], {"调整后预算": "预算数"})
    assert plan.by_input == {"预算数": "调整后预算"} and plan.how == {"预算数": "mapping"}


def test_gbk_map_and_routes_files_are_read(tmp_path, capsys):
    # Notepad on Chinese Windows saves "ANSI" (GBK): the routes file was an internal error
    # (exit 70, UnicodeDecodeError), the map file a Python decoding message.
    d, data = _routes_dir(tmp_path)
    routes = tmp_path / "routes.json"
    routes.write_bytes('{"区甲局": "rules/a.rules"}'.encode("gbk"))
    mapping = tmp_path / "m.json"
    mapping.write_bytes('{"数": "数"}'.encode("gbk"))
    out = tmp_path / "o.csv"
    assert main(["eval", "--routes", str(routes), "--data", str(data), "--map", str(mapping), "-o", str(out)]) == 0
    assert "5.00" in out.read_text(encoding="utf-8-sig")
    routes.write_bytes(b'{"\xff": "a.rules"}')
    assert main(["eval", "--routes", str(routes), "--data", str(data), "-o", str(out), "--lang", "en"]) == 2
    assert "neither UTF-8 nor GB18030" in capsys.readouterr().err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_utf16_encoding_given_for_a_utf8_file_is_a_data_problem(tmp_path, capsys, encoding):
    # Python's UTF-16 decoder raises a bare UnicodeError (no BOM), not a UnicodeDecodeError:
    # it was an internal error, exit 70.
    rules = _write(tmp_path / "r.rules", RANGES)
    data = _write(tmp_path / "d.csv", "分,率,件\n50,50%,3\n")
    assert main(["eval", str(rules), "--data", str(data), "--encoding", encoding, "-o", str(tmp_path / "o.csv"),
                 "--lang", "en"]) == 2
    assert f"cannot be decoded as {encoding}" in capsys.readouterr().err


def _workbook(path):
    from openpyxl import Workbook

    wb = Workbook()
    for row in (["分", "率", "件"], [50, "50%", 3]):
        wb.active.append(row)
    wb.save(path)


@pytest.mark.parametrize("backend", ["columnar", "row"])
def test_a_workbook_named_csv_is_read_as_a_workbook(tmp_path, capsys, backend):
    # It was read as text: "the header line ends with a lone CR (Mac Excel's format)".
    rules = _write(tmp_path / "r.rules", RANGES)
    _workbook(tmp_path / "real.xlsx")
    data = tmp_path / "export.csv"
    data.write_bytes((tmp_path / "real.xlsx").read_bytes())
    for name, path in (("a", data), ("b", tmp_path / "real.xlsx")):
        assert main(["eval", str(rules), "--data", str(path), "-o", str(tmp_path / f"{name}.csv"), "--backend", backend]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert main(["eval", str(rules), "--data", str(data)]) == 0  # the terminal table reads it too


@pytest.mark.parametrize("content, says", [(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "old Excel .xls"),
                                           ("分,率,件\n50,50%,3\n".encode(), "no Excel workbook")], ids=["xls", "csv"])
def test_a_file_named_xlsx_that_is_none_says_what_it_is(tmp_path, capsys, content, says):
    rules = _write(tmp_path / "r.rules", RANGES)
    data = tmp_path / "d.xlsx"
    data.write_bytes(content)
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "o.csv"), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert says in err and "zip" not in err  # was openpyxl's "File is not a zip file"


def test_the_terminal_summary_counts_skipped_blank_lines(tmp_path, capsys):
    rules = _write(tmp_path / "r.rules", RANGES)
    data = _write(tmp_path / "d.csv", "分,率,件\n50,50%,3\n\n50,50%,3\n")
    summary = tmp_path / "s.json"
    assert main(["eval", str(rules), "--data", str(data), "--summary-json", str(summary), "--lang", "en"]) == 0
    assert "1 empty rows skipped" in capsys.readouterr().err  # said with -o, not on the terminal
    assert '"skipped_empty_rows": 1' in summary.read_text(encoding="utf-8")


def test_a_pandas_named_index_is_a_column(tmp_path):
    # df.set_index("单位名称") or a groupby result: the index was dropped, so --id 单位名称 was
    # "not found" and an input kept there "missing". An unnamed index stays out.
    pd = pytest.importorskip("pandas")
    rules = perfrules.compile(RANGES)
    df = pd.DataFrame({"单位名称": ["甲", "乙"], "分": [50, 90], "率": ["50%", "1"], "件": [3, 4]})
    got = rules.evaluate_table(df.set_index("单位名称"), id_column="单位名称", lang="en")
    assert got.column("id").to_pylist() == ["甲", "乙"] and got.column("total").to_pylist() == [Decimal("5.00"), Decimal("9.00")]
    assert rules.evaluate_table(df.set_index("分"), lang="en").column("total").to_pylist() == [Decimal("5.00"), Decimal("9.00")]
    plain = rules.evaluate_table(df[df["分"] > 60], lang="en")  # index [1]: not a column, not row 2
    assert plain.column("row").to_pylist() == [1] and "index" not in plain.column_names


def test_routing_matches_a_unit_written_with_other_widths_spaces_or_case(tmp_path, capsys):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "a.rules").write_text(ROUTED.replace('"区甲局"', '"区农业农村局（含下属单位）", "Dept A"'), encoding="utf-8")
    (d / "b.rules").write_text(ROUTED.replace('"区甲局"', '"区乙局"'), encoding="utf-8")
    data = _write(tmp_path / "d.csv", "单位名称,数\n区农业农村局(含下属单位),1\nDEPT A,2\nＤｅｐｔ　Ａ,3\n区 乙局,4\n区丙局,5\n")
    out = tmp_path / "o.jsonl"
    assert main(["eval", "--rulesets", str(d), "--data", str(data), "-o", str(out), "--lang", "en"]) == 0
    import json

    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["total"] for r in rows] == ["1.00", "2.00", "3.00", "4.00", None]
    assert [r["ruleset"] is not None for r in rows] == [True] * 4 + [False]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_json_with_a_bom_is_read(tmp_path, capsys, fmt, encoding):
    # PowerShell 5 writes UTF-16 with a BOM: a JSON file failed with "'gb18030' codec can't
    # decode byte 0xff", a JSONL file had "no records" (its lines were cut at b"\n" bytes).
    rules = _write(tmp_path / "r.rules", RANGES)
    data = tmp_path / f"d.{fmt}"
    rows = ['{"分": 50, "率": "50%", "件": 3}', '{"分": 90, "率": "1", "件": 4}']
    data.write_text(("[" + ",\n".join(rows) + "]" if fmt == "json" else "\n".join(rows) + "\n"), encoding=encoding)
    out = tmp_path / "o.csv"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "en"]) == 0
    assert ",5.00," in out.read_text(encoding="utf-8-sig") and ",9.00," in out.read_text(encoding="utf-8-sig")
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--encoding", encoding, "--lang", "en"]) == 0


def test_an_output_in_a_missing_folder_is_refused_before_reading(tmp_path, capsys, monkeypatch):
    # It was found when the first results were written: for rules with population functions,
    # after reading the whole file once.
    import perfrules.batch as batch

    rules = _write(tmp_path / "r.rules", POP)
    data = _write(tmp_path / "d.csv", "数\n1\n2\n")
    monkeypatch.setattr(batch, "open_data", lambda *a, **k: pytest.fail("read before the output was checked"))
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "no" / "o.csv"), "--lang", "en"]) == 2
    assert "no folder" in capsys.readouterr().err
    (tmp_path / "f").write_text("", encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "f" / "o.csv"), "--lang", "en"]) == 2
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("sep, says", [("\t", "tab-separated; rename it .tsv"), (";", "semicolon-separated")])
@pytest.mark.parametrize("to_file", [True, False])
def test_a_csv_with_another_delimiter_says_so(tmp_path, capsys, sep, says, to_file):
    rules = _write(tmp_path / "r.rules", RANGES)
    data = _write(tmp_path / "d.csv", sep.join(["分", "率", "件"]) + "\n" + sep.join(["50", "50%", "3"]) + "\n")
    args = ["eval", str(rules), "--data", str(data), "--lang", "en"] + (["-o", str(tmp_path / "o.csv")] if to_file else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "missing required columns" in err and says in err  # was only "missing required columns: 分, 率, 件"


@pytest.mark.parametrize("option", [{"backend": "refrence"}, {"lang": "fr"}])
def test_evaluate_table_and_batches_name_a_bad_backend_or_lang(option):
    # backend="refrence" ran the columnar evaluator without a word; lang="fr" was KeyError: 'fr'
    rules = perfrules.compile(RANGES)
    table = pa.table({"分": ["50"], "率": ["50%"], "件": ["3"]})
    with pytest.raises(ValueError, match=next(iter(option))):
        rules.evaluate_table(table, **option)
    with pytest.raises(ValueError, match=next(iter(option))):
        list(rules.evaluate_batches([table], **option))


def test_pyarrow_scalars_in_a_record_and_records_that_are_no_mapping():
    rules = perfrules.compile(RANGES)
    batch = pa.record_batch({"分": pa.array([50.5], pa.float32()), "率": pa.array(["50%"]), "件": pa.array([3], pa.int8())})
    record = {name: batch.column(name)[0] for name in batch.schema.names}  # a service iterating a batch
    one = rules.evaluate_one(record)
    assert one.ok and one.total == rules.evaluate_table(batch).column("总分")[0].as_py() == Decimal("5.05")
    assert rules.evaluate_one(pa.array([{"分": 50, "率": "50%", "件": 3}])[0]).total == Decimal("5.00")  # a StructScalar row
    for bad in ([50, "50%", 3], None):
        with pytest.raises(TypeError, match="mapping"):  # was AttributeError: … has no attribute 'get'
            rules.evaluate_one(bad)


def test_json_values_in_messages_are_written_as_json(tmp_path, capsys):
    # "not a number: True", "{'a': 1}", "datetime.timedelta(seconds=1)": Python's reprs
    rules = _write(tmp_path / "r.rules", RANGES)
    data = _write(tmp_path / "d.json", '[{"分": true, "率": "50%", "件": 3}, {"分": {"a": 1}, "率": [1], "件": 3}]')
    out = tmp_path / "o.jsonl"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "en"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "not a number: true" in text and 'not a number: {\\"a\\": 1}' in text and "not a number: [1]" in text
    table = pa.table({"分": pa.array([1], pa.duration("s")), "率": ["50%"], "件": ["3"]})
    assert perfrules.compile(RANGES).evaluate_table(table, lang="en").column("error")[0].as_py() == "分: not a number: 0:00:01"


def test_a_date_header_is_named_by_its_date_and_sheet_follows_the_content(tmp_path, capsys):
    import datetime

    from openpyxl import Workbook

    rules = tmp_path / "r.rules"
    rules.write_text(RANGES.replace("input 分: number in [0, 100]", 'input 分: number in [0, 100] from "2024-06-30"'),
                     encoding="utf-8")
    wb = Workbook()
    wb.active.title = "数据"
    for row in ([datetime.datetime(2024, 6, 30), "率", "件"], [50, "50%", 3]):
        wb.active.append(row)
    data = tmp_path / "export.csv"  # a workbook saved under .csv: --sheet is no longer "ignored"
    wb.save(data)
    out = tmp_path / "o.csv"
    # the header was named "2024-06-30 00:00:00": no alias or --map could name it as written
    assert main(["eval", str(rules), "--data", str(data), "--sheet", "数据", "-o", str(out), "--lang", "en"]) == 0
    assert "--sheet" not in capsys.readouterr().err
    assert ",5.00," in out.read_text(encoding="utf-8-sig")


def test_a_map_giving_one_input_two_columns_says_so(tmp_path, capsys):
    rules = _write(tmp_path / "r.rules", RANGES)
    data = _write(tmp_path / "d.csv", "A,B,率,件\n50,60,50%,3\n")
    mapping = _write(tmp_path / "m.json", '{"A": "分", "B": "分"}')
    assert main(["eval", str(rules), "--data", str(data), "--map", str(mapping), "-o", str(tmp_path / "o.csv"),
                 "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "maps A, B all to input 分" in err and "use --map" not in err  # --map was the cause, not the cure
