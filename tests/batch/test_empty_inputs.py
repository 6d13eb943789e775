"""Files with nothing in them: a JSON `[]` or an empty JSONL file has no records and so no
columns — PR804 saying so, as an empty CSV (no header row) is, not PR802 listing every input as
a missing column. A CSV with a header and no rows is a run of 0 records."""
import pytest

from perfrules.cli import main

RULES = "input 分: number\nindicator 综合 weight 100 { value 分; score value }\n"


@pytest.mark.parametrize("name, text", [("d.json", "[]"), ("d.jsonl", ""), ("d.csv", "")])
def test_no_records_no_columns(tmp_path, capsys, name, text):
    rules = tmp_path / "r.rules"
    rules.write_text(RULES, encoding="utf-8")
    data = tmp_path / name
    data.write_text(text, encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "o.csv"), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "PR804" in err and "缺少必需的列" not in err


def test_a_header_without_rows_is_zero_records(tmp_path, capsys):
    rules = tmp_path / "r.rules"
    rules.write_text(RULES, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("分\n", encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "o.csv"), "--lang", "zh"]) == 0
    assert "共 0 条记录" in capsys.readouterr().err


def test_a_parquet_file_too_long_for_excel_is_refused_before_work(tmp_path, capsys, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from perfrules.io import writers

    monkeypatch.setattr(writers, "_EXCEL_MAX_ROWS", 6)  # 5 data rows
    rules = tmp_path / "r.rules"
    rules.write_text(RULES, encoding="utf-8")
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"分": list(range(10))}), data)
    out = tmp_path / "o.xlsx"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "10 条记录" in err and "Excel" in err and "共 0 条记录" not in err
    assert not out.exists()


DATED = """
input 开工日期: date
input 支出: amount
indicator 进度 weight 100 { value 支出; score ratio(target: time_progress(开工日期) * 100) }
output 开工月 = month(开工日期)
"""


@pytest.mark.parametrize("columns", ["all", "total"])
def test_a_table_without_rows_whose_rules_read_a_date_input(columns):
    # month(), year() and time_progress() of a date column failed on a chunk of no rows with
    # "ValueError: max() arg is an empty sequence": a service scoring an empty DataFrame (or a
    # stream with an empty batch) got an exception instead of an empty result.
    import pyarrow as pa

    import perfrules

    rules = perfrules.compile(DATED)
    empty = pa.table({"开工日期": pa.array([], pa.string()), "支出": pa.array([], pa.string())})
    assert rules.evaluate_table(empty, columns=columns).num_rows == 0
    one = pa.table({"开工日期": ["2024-03-05"], "支出": ["50"]})
    parts = list(rules.evaluate_batches([one, empty, one], columns=columns))
    assert [p.num_rows for p in parts] == [1, 0, 1]
    assert parts[2].column(1).to_pylist() == [2]  # the second record
