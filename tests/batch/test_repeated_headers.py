"""A header name shared by several columns: refused (PR802, with the positions) when the rules
read that column — which of them holds the data is a guess — on every path alike; harmless
(renamed 名_2) when nothing reads it."""
from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import perfrules
from perfrules.batch import DataProblem
from perfrules.cli import main

RULES = 'applies to "区卫健局"\ninput 甲: number\ninput 乙: number\nindicator 一 weight 100 {\n  value 甲 / 乙\n  score ratio(target: 1)\n}\n'


@pytest.fixture
def rules_file(tmp_path):
    p = tmp_path / "r.rules"
    p.write_text(RULES, encoding="utf-8")
    return p


def write(tmp_path, name, header, row):
    if name.endswith(".parquet"):
        pq.write_table(pa.Table.from_arrays([pa.array([v]) for v in row], names=header), tmp_path / name)
    else:
        with open(tmp_path / name, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, row])
    return tmp_path / name


@pytest.mark.parametrize("name", ["d.csv", "d.parquet"])
@pytest.mark.parametrize("out", [None, "o.csv"])  # the terminal table (record path) and the streamed file
def test_a_repeated_column_the_rules_read_is_refused(tmp_path, rules_file, capsys, name, out):
    data = write(tmp_path, name, ["单位名称", "甲", "乙", "甲"], ["区卫健局", 1.0, 2.0, 3.0])
    args = ["eval", str(rules_file), "--data", str(data), "--lang", "en"] + (["-o", str(tmp_path / out)] if out else [])
    assert main(args) == 2
    assert "error[PR802]" in (err := capsys.readouterr().err)
    assert "the header 甲 names 2 columns (2, 4): it is not clear which one to read" in err
    assert out is None or not (tmp_path / out).exists()


@pytest.mark.parametrize("name", ["d.csv", "d.parquet"])
def test_a_repeated_column_nothing_reads_is_harmless(tmp_path, rules_file, name):
    data = write(tmp_path, name, ["单位名称", "甲", "乙", "备注", "备注"], ["区卫健局", 1.0, 2.0, "a", "b"])
    assert main(["eval", str(rules_file), "--data", str(data), "-o", str(tmp_path / "o.csv"), "--lang", "en"]) == 0
    assert [r["total"] for r in csv.DictReader(open(tmp_path / "o.csv", encoding="utf-8-sig"))] == ["50.00"]


def test_a_repeated_id_or_unit_column_is_refused(tmp_path, rules_file, capsys):
    data = write(tmp_path, "d.csv", ["单位名称", "甲", "乙", "单位名称"], ["区卫健局", 1.0, 2.0, "x"])
    assert main(["eval", "--rulesets", str(rules_file.parent), "--data", str(data), "-o", str(tmp_path / "o.csv"),
                 "--lang", "en"]) == 2
    assert "the header 单位名称 names 2 columns (1, 4)" in capsys.readouterr().err
    assert main(["eval", str(rules_file), "--data", str(data), "--id", "单位名称", "-o", str(tmp_path / "o.csv"),
                 "--lang", "en"]) == 2
    assert "the header 单位名称 names 2 columns (1, 4)" in capsys.readouterr().err


def test_in_memory_tables_alike(rules_file):
    rules = perfrules.load(rules_file)
    arrays = [pa.array([1.0]), pa.array([2.0]), pa.array([3.0])]
    with pytest.raises(DataProblem) as err:
        rules.evaluate_table(pa.Table.from_arrays(arrays, names=["甲", "乙", "甲"]))
    assert err.value.code == "PR802" and "列名 甲 出现了 2 次（第 1、3 列）" in err.value.zh
    table = pa.Table.from_arrays(arrays + [pa.array(["x"])], names=["甲", "乙", "丙", "丙"])
    assert str(rules.evaluate_table(table).column("总分")[0]) == "50.00"
