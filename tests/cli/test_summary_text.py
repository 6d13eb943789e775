"""The run summary printed after `perfrules eval`: grades, and alerts by level, most severe first."""
from collections import Counter

from perfrules.pipeline import Summary


def test_summary_names_levels_and_ungraded_records():
    s = Summary(records=5, results=4, errors=1, grades=Counter({"—": 1, "优": 3}),
                alerts=Counter({"info": 2, "severe": 1, "warning": 3}))
    assert s.text("zh") == "共 5 条记录：评分 4 条，错误 1 条；等级分布：优 3，未定级 1；预警信息：严重 1，预警 3，提醒 2"
    assert s.text("en") == "5 records: 4 scored, 1 errors; grades: 优 3, no grade 1; alerts: severe 1, warning 3, info 2"
    assert s.to_dict()["alerts"] == {"info": 2, "severe": 1, "warning": 3}


def test_grades_in_the_order_the_rule_file_declares_them(tmp_path, capsys):
    # sorted by code point, 优 1，良 2，中 1 showed as 中 1，优 1，良 2
    from perfrules.cli import main

    rules = tmp_path / "g.rules"
    rules.write_text("settings { total 100 }\ninput 分: number\n"
                     "indicator 综合 weight 100 { value 分; score value }\n"
                     "grade by total { 优 >= 90; 良 >= 80; 中 >= 60; 差 otherwise }\n", encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("分\n95\n85\n70\n86\n", encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "o.csv"), "--lang", "zh"]) == 0
    assert "等级分布：优 1，良 2，中 1；" in capsys.readouterr().err
    s = Summary(grades=Counter({"—": 1, "中": 1, "良": 2, "优": 1, "甲": 1}), order=["优", "良", "中", "差"])
    assert s.text("zh").split("；")[1] == "等级分布：优 1，良 2，中 1，甲 1，未定级 1"


def test_rows_with_no_value_are_counted_as_skipped(tmp_path, capsys):
    """An all-null Parquet row or a blank CSV line is not a record; the summary says how many
    there were, so records in the output plus skipped rows are the file's rows."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from perfrules.cli import main

    rules = tmp_path / "r.rules"
    rules.write_text("input 分: number\nindicator 综合 weight 100 { value 分; score value }\n", encoding="utf-8")
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"分": [90, None, 80, None]}), data)
    summary = tmp_path / "s.json"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(tmp_path / "o.csv"), "--lang", "zh",
                 "--summary-json", str(summary)]) == 0
    assert "共 2 条记录（另有 2 个空行，不是记录）：" in capsys.readouterr().err
    got = json.loads(summary.read_text(encoding="utf-8"))
    assert (got["records"], got["skipped_empty_rows"]) == (2, 2)
    assert Summary(records=3).text("en").startswith("3 records: ")


def test_summary_json_counts_alerts_by_level_on_every_path(tmp_path, capsys):
    # Written from the result file's alert column, the counts were keyed by the label shown
    # ({"提醒": 8, "预警": 11, "严重": 4} in Chinese) instead of the level (info/warning/severe),
    # and the text listed them in code-point order (严重 4，提醒 8，预警 11).
    import json

    from conftest import RULESETS
    from perfrules.cli import main

    rules = RULESETS / "monitoring" / "execution.rules"
    data = RULESETS / "monitoring" / "execution-2024-06.csv"
    runs = {"table": [], "csv zh": ["-o", str(tmp_path / "o.csv")], "csv en": ["-o", str(tmp_path / "o.csv"), "--lang", "en"],
            "row": ["-o", str(tmp_path / "o.jsonl"), "--backend", "row"],
            "reference": ["-o", str(tmp_path / "o.parquet"), "--backend", "reference"]}
    got = {}
    for name, extra in runs.items():
        summary = tmp_path / f"{name}.json"
        argv = ["eval", str(rules), "--data", str(data), "--as-of", "2024-06-30", "--summary-json", str(summary)]
        assert main([*argv, *(extra if "--lang" in extra else [*extra, "--lang", "zh"])]) == 0
        err = capsys.readouterr().err
        assert "严重 4，预警 11，提醒 8" in err or "severe 4, warning 11, info 8" in err, (name, err)
        got[name] = json.loads(summary.read_text(encoding="utf-8"))["alerts"]
    for name, alerts in got.items():
        assert list(alerts.items()) == [("severe", 4), ("warning", 11), ("info", 8)], (name, alerts)


def test_summary_json_says_which_alerts_were_not_judged_for_want_of_a_date(tmp_path, capsys):
    # The terminal said "说明：预警 … 未作判断" but --summary-json, "the same summary for other
    # systems", had only "alerts": {} — which reads as "none fired".
    import json

    from perfrules.cli import main

    rules = tmp_path / "r.rules"
    rules.write_text("input 支出: amount\ninput 预算: amount\n"
                     "indicator 执行 weight 100 { value 支出 / 预算; score ratio(target: 100%) }\n"
                     "alert 低于序时 warning when 执行.value < time_progress(as_of) { message \"低\" }\n"
                     "alert 超支 severe when 执行.value > 1 { message \"超\" }\n", encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("支出,预算\n10,100\n", encoding="utf-8")
    summary = tmp_path / "s.json"
    for out, as_of, want in ((["-o", str(tmp_path / "o.csv")], [], ([], None, {})),
                             ([], [], ([], None, {})),
                             ([], ["--as-of", "2024/6/30"], ([], "2024-06-30", {"warning": 1}))):
        assert main(["eval", str(rules), "--data", str(data), "--summary-json", str(summary), *out, *as_of]) == 0
        got = json.loads(summary.read_text(encoding="utf-8"))
        not_judged = [] if as_of else ["低于序时"]
        assert (got["alerts_not_judged"], got["as_of"], got["alerts"]) == (not_judged, *want[1:])
    capsys.readouterr()
