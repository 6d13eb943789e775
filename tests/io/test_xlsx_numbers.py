"""Result sheets hold numbers Excel can sum: decimal columns become number cells that show the
exact text's places; other columns stay text."""
import openpyxl
import pyarrow as pa

import perfrules
from perfrules.io import write_rows
from perfrules.io.batch_writers import write_batches
from conftest import RULESETS


def test_write_rows_decimal_columns_as_numbers(tmp_path):
    out = tmp_path / "o.xlsx"
    rows = [{"名": "甲", "分": "69.29", "值": "0.333333", "大": "12345678901234567.5", "空": None},
            {"名": "=SUM(A1)", "分": "100.00", "值": "1", "大": "x", "空": None}]
    write_rows(rows, out, types={"分": "decimal(18,2)", "值": "decimal(38,10)", "大": "decimal(38,10)"})
    ws = openpyxl.load_workbook(out).active
    cells = list(ws.iter_rows(min_row=2, values_only=False))
    a, b = cells
    assert a[0].value == "甲" and a[1].value == 69.29 and a[1].number_format == "0.00"
    assert a[2].value == 0.333333 and a[2].number_format == "0.000000"
    assert a[3].value == "12345678901234567.5"  # beyond 15 significant digits: kept as text
    assert b[0].value == "=SUM(A1)" and b[0].data_type == "s"  # text that looks like a formula stays text
    assert b[1].value == 100 and b[1].number_format == "0.00" and b[2].number_format == "0"
    assert b[3].value == "x"


def test_result_sheet_scores_are_numbers(tmp_path):
    rules = perfrules.load(RULESETS / "health" / "health.rules")
    from benchmarks.health_data import make_health_table

    table = make_health_table(20, seed=3)
    batch = rules.evaluate_table(table)
    out = tmp_path / "r.xlsx"
    from perfrules import flat

    write_batches([batch.to_batches()[0]] if batch.num_rows else [], out, batch.schema, to_text=flat.as_text)
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    first = [c for c in ws[2]]
    total = first[header.index("总分")]
    assert isinstance(total.value, (int, float)) and total.number_format == "0.00"
    assert str(batch.column("总分")[0].as_py()) == f"{total.value:.2f}"
    assert isinstance(first[header.index("状态")].value, str)
