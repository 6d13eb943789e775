"""A CSV line with too many or too few cells is an error row that still names its record (the
id column's cell), on the batch and the row path: the person fixing the file finds the unit."""
import csv
import io

import pytest

import perfrules
from perfrules.cli import main

RULES = """
input 完成数: count
input 计划数: count
indicator 完成率 weight 100 { value 完成数 / 计划数; score ratio(target: 100%) }
"""


@pytest.mark.parametrize("backend", ["columnar", "row"])
def test_rejected_lines_keep_their_id(tmp_path, capsys, backend):
    rules = tmp_path / "r.rules"
    rules.write_text(RULES, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("单位名称,完成数,计划数\n甲单位,1,2\n乙单位,1,2,多余\n丙单位,3\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    main(["eval", str(rules), "--data", str(data), "--id", "单位名称", "--backend", backend, "-o", str(out), "--lang", "zh"])
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["记录"], r["行号"], r["状态"]) for r in rows] == [
        ("甲单位", "2", "正常"), ("乙单位", "3", "错误"), ("丙单位", "4", "错误")]
    assert "多于表头" in rows[1]["错误"] and "少于表头" in rows[2]["错误"]
