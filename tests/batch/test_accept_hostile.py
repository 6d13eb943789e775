"""Regressions from the hostile-data acceptance run (a clerk's and another service's files)."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from perfrules.cli import main

from test_accept_data import RULES as _RULES  # the same small rule file, named for routing

RULES = 'applies to "区甲局"\n\n' + _RULES


@pytest.fixture()
def rules(tmp_path):
    path = tmp_path / "t.rules"
    path.write_text(RULES, encoding="utf-8")
    return path


def _write(tmp_path, name, header, rows):
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    elif name.endswith(".xlsx"):
        from openpyxl import Workbook

        wb = Workbook()
        for r in [header, *rows]:
            wb.active.append(r)
        wb.save(path)
    else:
        pq.write_table(pa.Table.from_arrays([pa.array([r[i] for r in rows]) for i in range(len(header))], names=header), path)
    return path


def test_a_map_naming_a_header_the_file_lacks_says_so(rules, tmp_path, capsys):
    # The --map gave 支出额（万元） for 支出数 but the file says 本年支出: the error only said
    # 支出数 is missing, not that the --map's header is nowhere in the file.
    data = _write(tmp_path, "d.csv", ["单位名称", "预算数", "本年支出"], [["区甲局", "100", "95"]])
    (tmp_path / "map.json").write_text(json.dumps({"支出额（万元）": "支出数", "单位名称": "单位名称x"}), encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "--map", str(tmp_path / "map.json"), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "缺少必需的列：支出数" in err and "列对照（--map）里的列 支出额（万元） 在数据的表头里没有" in err
    assert "单位名称 在数据" not in err  # a header the file has is not named


@pytest.mark.parametrize("routes, code, text", [
    ({}, 1, "路由文件里没有任何单位"),  # was an internal error (KeyError: '记录')
    ({"区甲局": ""}, 2, "单位名称或规则文件为空：“区甲局”"),  # was "无法读取规则文件 （…）：这是一个文件夹"
    ({" ": "t.rules"}, 2, "单位名称或规则文件为空"),
])
def test_an_empty_or_blank_routes_file_is_reported(rules, tmp_path, capsys, routes, code, text):
    (tmp_path / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    data = _write(tmp_path, "d.csv", ["单位名称", "预算数", "支出数"], [["区甲局", "100", "95"]])
    for out in (["-o", str(tmp_path / "out.csv")], []):
        assert main(["eval", "--routes", str(tmp_path / "routes.json"), "--data", str(data), "--lang", "zh", *out]) == code
        err = capsys.readouterr().err
        assert text in err and "内部错误" not in err


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_a_percent_in_an_amount_column_is_named_in_chinese(rules, tmp_path, capsys, backend):
    # The message said "amount 类型不接受百分数 '95%'": the rule file's English type name.
    data = _write(tmp_path, "d.csv", ["单位名称", "预算数", "支出数"], [["区甲局", "100", "95%"]])
    out = tmp_path / "out.csv"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--backend", backend, "--lang", "zh"]) == 0
    assert "支出数：金额不能写成百分数：'95%'" in out.read_text(encoding="utf-8-sig")


def test_a_pandas_object_column_mixing_numbers_and_text(rules):
    # pd.read_excel of a hand-typed sheet gives object columns with floats beside '1,234.56' or
    # '（空）': pyarrow cannot type them and evaluate_table raised ArrowInvalid.
    pd = pytest.importorskip("pandas")
    import datetime as dt
    from decimal import Decimal

    import numpy as np

    import perfrules

    r = perfrules.load(rules)
    cells = [95.5, "95.5", "1,234.56", np.nan, None, pd.NA, Decimal("95.50"), np.float32(95.5), "（空）", 0.1 + 0.2,
             dt.date(2024, 6, 30)]
    frame = pd.DataFrame({"单位名称": ["区甲局"] * len(cells), "预算数": [100] * len(cells), "支出数": pd.Series(cells, dtype=object)})
    got = r.evaluate_table(frame)
    want = [r.evaluate_one({"预算数": 100, "支出数": None if c is pd.NA or (isinstance(c, float) and c != c) else c})
            for c in cells]
    assert [None if v is None else str(v) for v in got.column("总分").to_pylist()] == [
        None if not w.ok else str(w.total) for w in want]
    assert got.column("总分").to_pylist()[:3] == [Decimal("8.14"), Decimal("8.14"), Decimal("8.50")]
    assert got.column("总分").to_pylist()[9] == Decimal("0.52")  # 0.30000000000000004, read as it shows
    assert "'2024-06-30'" in got.column("错误").to_pylist()[10]


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_pandas_missing_markers_are_blank_in_evaluate_one(rules, backend):
    # A record from a pandas row (df.to_dict("records")) carries pd.NA or pd.NaT for a missing
    # cell: evaluate_table read them as blank but evaluate_one said "无法识别为数字：<NA>" (and
    # crashed on NaT while quoting it).
    pd = pytest.importorskip("pandas")

    import perfrules

    r = perfrules.load(rules)
    table = r.evaluate_table(pd.DataFrame({"预算数": [100, 100], "支出数": pd.array([None, None], dtype="Float64")}))
    for missing in (pd.NA, pd.NaT):
        one = r.evaluate_one({"预算数": 100, "支出数": missing}, backend=backend)
        assert one.ok and str(one.total) == str(table.column("总分")[0].as_py()) == "0.50"


@pytest.mark.parametrize("backend", ["columnar", "row"])
@pytest.mark.parametrize("to_file", [True, False])
def test_a_missing_id_column_is_named_with_the_missing_inputs(rules, tmp_path, capsys, backend, to_file):
    # Missing inputs and a missing --id column: the first run named only the inputs, the
    # second only the id column.
    data = _write(tmp_path, "d.csv", ["单位名称", "预算数"], [["区甲局", "100"]])
    out = ["-o", str(tmp_path / "out.csv")] if to_file else []
    assert main(["eval", str(rules), "--data", str(data), "--id", "单位", "--backend", backend, "--lang", "zh", *out]) == 2
    err = capsys.readouterr().err
    assert "缺少必需的列：支出数；找不到记录标识列 单位（--id）" in err


@pytest.mark.parametrize("to_file", [True, False])
def test_a_folder_given_as_the_data_file_is_called_a_folder(rules, tmp_path, capsys, to_file):
    # It said it could not tell the format from the extension, listing the extensions.
    (tmp_path / "数据").mkdir()
    out = ["-o", str(tmp_path / "out.csv")] if to_file else []
    assert main(["eval", str(rules), "--data", str(tmp_path / "数据"), "--lang", "zh", *out]) == 2
    err = capsys.readouterr().err
    assert "是一个文件夹" in err and "扩展名" not in err


@pytest.mark.parametrize("backend", ["columnar", "row"])
def test_parquet_text_without_the_utf8_annotation(rules, tmp_path, capsys, backend):
    # Hive and older Spark write text as plain binary: every cell read as bytes, "not a number:
    # b'95'", and the unit b'区甲局' matched no rule file.
    t = pa.table({"单位名称": pa.array(["区甲局".encode(), "区甲局".encode()], pa.binary()),
                  "预算数": pa.array([b"100", b"100"], pa.large_binary()),
                  "支出数": pa.array([b"95", b"9\xff"], pa.binary())})
    pq.write_table(t, tmp_path / "b.parquet")
    out = tmp_path / "out.csv"
    assert main(["eval", str(rules), "--data", str(tmp_path / "b.parquet"), "--id", "单位名称", "-o", str(out),
                 "--backend", backend, "--lang", "zh"]) == 0
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[1].startswith("区甲局,1,正常,,8.10")
    assert "支出数：无法识别为数字：'9\ufffd'" in text[2]  # the bad cell alone, its bad byte shown
    (tmp_path / "routes.json").write_text(json.dumps({"区甲局": "t.rules"}), encoding="utf-8")
    assert main(["eval", "--routes", str(tmp_path / "routes.json"), "--data", str(tmp_path / "b.parquet"),
                 "-o", str(out), "--backend", backend, "--lang", "zh"]) == 0
    assert "8.10" in out.read_text(encoding="utf-8-sig")


def test_evaluate_table_of_binary_text_columns(rules):
    import perfrules

    r = perfrules.load(rules)
    t = pa.table({"预算数": pa.chunked_array([[b"100"], [b"100"]]), "支出数": pa.chunked_array([[b"95"], [b"\xff"]])})
    got = r.evaluate_table(t)
    assert [str(v) if v is not None else None for v in got.column("总分").to_pylist()] == ["8.10", None]


def test_a_macro_enabled_workbook_is_not_written(rules, tmp_path, capsys):
    # -o 结果.xlsm wrote a plain workbook under that name (Excel refuses to open it), after
    # scoring every record; now refused before any work, and a plain .xlsx still written.
    data = _write(tmp_path, "d.csv", ["单位名称", "预算数", "支出数"], [["区甲局", "100", "95"]])
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "结果.xlsm"), "--lang", "zh"]) == 2
    assert "不能写出启用宏的工作簿" in capsys.readouterr().err and not (tmp_path / "结果.xlsm").exists()
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "结果.xlsx"), "--lang", "zh"]) == 0
    assert (tmp_path / "结果.xlsx").exists()
