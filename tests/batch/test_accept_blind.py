"""Regressions from a blind acceptance run: rule files and department data written from the
documents by someone who had not seen the implementation."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from perfrules.cli import main

RULES = """\
settings { total 10 }

input 预算数: amount
input 支出数: amount

indicator 执行率 weight 10 {
  value 支出数 / 预算数
  score ratio(target: 100%)
}
"""


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_xlsx_formula_error_row_keeps_the_record_id(tmp_path, capsys):
    # A row whose formula has no stored result is an error row; its 单位名称 cell is plain
    # text, yet the error row had no id: the person reading the results could not tell which
    # department to fix (a too-short CSV line keeps its id the same way).
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "预算数", "支出数"])
    ws.append(["甲局", 100, "=B2*0.95"])
    ws.append(["乙局", 100, 90])
    data = tmp_path / "d.xlsx"
    wb.save(data)
    rules = tmp_path / "t.rules"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["eval", str(rules), "--data", str(data), "--id", "单位名称", "-o", str(out), "--lang", "zh"]) == 0
    rows = _rows(out)
    assert [(r["记录"], r["行号"], r["状态"]) for r in rows] == [("甲局", "2", "错误"), ("乙局", "3", "正常")]
    assert "C2" in rows[0]["错误"]
