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
