"""A record's own evaluation date (an `as_of` or `评价时点` column), used when no as_of is
given: Ruleset.evaluate_one read it, evaluate_table and `perfrules eval -o` ignored it, so the
same monitoring file scored 序时进度 as missing in batch and per date one record at a time.
Every path now reads it — rows grouped by date in the columnar backend, a blank date falling
back to no date, a cell that is no date an error row naming the column."""
from __future__ import annotations

import csv

import pyarrow as pa
import pytest

import perfrules
from perfrules.cli import main
from conftest import ROOT

MONITORING = ROOT / "rulesets/monitoring/execution.rules"
DATES = ["2024-03-31", "2024-06-30", "2024/9/30", "", "不是日期", "2024年12月31日"]


@pytest.fixture(scope="module")
def records():
    rows = list(csv.DictReader((ROOT / "rulesets/monitoring/execution-2024-06.csv").open(encoding="utf-8-sig")))
    return [dict(r, 评价时点=DATES[i % len(DATES)]) for i, r in enumerate(rows)]


def test_evaluate_table_reads_each_records_date_as_evaluate_one_does(records):
    rules = perfrules.load(MONITORING)
    ones = [rules.evaluate_one(r) for r in records]
    table = rules.evaluate_table(pa.Table.from_pylist(records), lang="zh")
    got = table.to_pylist()
    assert len(got) == len(records)
    for one, row in zip(ones, got):
        assert (row["状态"] == "正常") == one.ok
        if one.ok:
            shown = row["预警"] or []
            assert len(shown) == len(one.alerts)
            for text, alert in zip(shown, one.alerts):  # "[严重] 名称：message", in the row path's order
                assert alert.name in text and text.endswith(alert.message), (text, alert)
        else:
            assert "评价时点" in row["错误"]
    # the dates matter: the same record at 03-31, 06-30 and 09-30 compares with 25 %, 50 %, 75 %
    shown = " ".join(" ".join(r["预警"] or []) for r in got)
    assert "序时进度 50.00%" in shown and "序时进度 75.00%" in shown
    # a blank date is no date (the ruleset's own alert says so); as_of= overrides every record
    assert any("未给监控时点" in " ".join(r["预警"] or []) for r in got)
    fixed = rules.evaluate_table(pa.Table.from_pylist(records), as_of="2024-06-30").to_pylist()
    assert all(r["状态"] == "正常" for r in fixed)
    assert not any("未给监控时点" in " ".join(r["预警"] or []) for r in fixed)


def test_every_backend_and_the_terminal_table_agree(tmp_path, records, capsys):
    data = tmp_path / "d.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(records[0]))
        w.writeheader()
        w.writerows(records)
    outs = []
    for backend in ("columnar", "row", "reference"):
        out = tmp_path / f"o_{backend}.csv"
        assert main(["eval", str(MONITORING), "--data", str(data), "-o", str(out), "--backend", backend,
                     "--lang", "en"]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    err = capsys.readouterr().err
    assert "not judged" not in err  # the data has its dates: no note that alerts went unjudged
    summary = tmp_path / "s.json"
    assert main(["eval", str(MONITORING), "--data", str(data), "-o", str(tmp_path / "o.parquet"),
                 "--summary-json", str(summary)]) == 0
    capsys.readouterr()
    import json

    assert json.loads(summary.read_text(encoding="utf-8"))["alerts_not_judged"] == []
    rows = list(csv.DictReader(tmp_path.joinpath("o_columnar.csv").open(encoding="utf-8-sig")))
    bad = [r for r in rows if r["status"] != "ok"]
    assert len(bad) == 2 and all("评价时点" in r["error"] for r in bad)
    assert main(["eval", str(MONITORING), "--data", str(data), "--lang", "en"]) == 0
    table = capsys.readouterr().out
    assert table.count("评价时点: not a date") == 2 and "执行进度红色" in table


POP_RULES = """ruleset "t/pop" version "1"
input 支出: amount
input 预算: amount
let 进度差 = 支出 / 预算 - time_progress(as_of)
indicator 进度 weight 100 {
  value 进度差
  score bands { >= 0 -> full; otherwise -> 50 }
}
output 名次 = rank(进度差)
"""


def test_population_functions_take_each_records_date(tmp_path):
    # 进度差 depends on the date: the ranks are over each record's own value
    path = tmp_path / "p.rules"
    path.write_text(POP_RULES, encoding="utf-8")
    rules = perfrules.load(path)
    recs = [{"支出": "30", "预算": "100", "as_of": "2024-03-31"},   # 30 % − 25 % = +5
            {"支出": "40", "预算": "100", "as_of": "2024-06-30"},   # 40 % − 50 % = −10
            {"支出": "60", "预算": "100", "as_of": "2024-09-30"}]   # 60 % − 75 % = −15
    want = [r.outputs["名次"] for r in rules.evaluate(recs)]
    assert [int(x) for x in want] == [1, 2, 3]
    got = rules.evaluate_table(pa.Table.from_pylist(recs)).column("名次").to_pylist()
    assert [int(x) for x in got] == [1, 2, 3]


def test_dates_from_a_jsonl_file_and_from_typed_date_cells(tmp_path, records, capsys):
    # JSONL is read as cells (lists), Parquet keeps a date32 column: the same results as text dates
    import json

    import pyarrow.parquet as pq

    from perfrules.io.cells import parse_date

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    ok = [r for r in records if r["评价时点"] != "不是日期"]
    typed = pa.Table.from_pylist([dict(r, 评价时点=parse_date(r["评价时点"]) if r["评价时点"] else None) for r in ok])
    assert typed.schema.field("评价时点").type == pa.date32()
    pq.write_table(typed, tmp_path / "d.parquet")
    outs = {}
    for src in ("d.jsonl", "d.parquet"):
        out = tmp_path / f"{src}.csv"
        assert main(["eval", str(MONITORING), "--data", str(tmp_path / src), "-o", str(out), "--lang", "en"]) == 0
        outs[src] = [r for r in csv.DictReader(out.open(encoding="utf-8-sig")) if r["status"] == "ok"]
    capsys.readouterr()
    strip = lambda rows: [{k: v for k, v in r.items() if k != "row"} for r in rows]  # noqa: E731
    assert strip(outs["d.jsonl"]) == strip(outs["d.parquet"])
    assert any("75.00%" in r["alerts"] for r in outs["d.parquet"])
