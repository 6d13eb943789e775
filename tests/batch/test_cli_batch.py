"""`perfrules eval` on files: formats, routing, errors before any work, exit codes, and memory
that does not grow with the input."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from perfrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "rulesets" / "health" / "health.rules"
DISTRICT = ROOT / "rulesets" / "district" / "all-2024.csv"


def rows_of(path):
    return list(csv.DictReader(open(path, encoding="utf-8-sig")))


def test_routes_file_equals_rulesets_dir(tmp_path, capsys):
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps({"区卫健局": str(ROOT / "rulesets/health/health.rules"),
                                  "区教育局": str(ROOT / "rulesets/education/education.rules")}, ensure_ascii=False),
                      encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["eval", "--routes", str(routes), "--data", str(DISTRICT), "-o", str(out), "--id", "单位名称",
                 "--lang", "en", "--summary-json", str(tmp_path / "s.json")]) == 0
    rows = rows_of(out)
    assert [r["row"] for r in rows] == ["2", "3", "4", "5"]  # input order kept
    by_id = {r["id"]: r for r in rows}
    assert by_id["区卫健局"]["status"] == "ok" and by_id["区教育局"]["status"] == "ok"
    assert by_id["区城管局"]["status"] == "error"
    assert "no ruleset applies to '区城管局' (单位名称)" == by_id["区城管局"]["error"]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["records"] == 4 and summary["errors"] == 2
    assert main(["eval", "--routes", str(routes), "--data", str(DISTRICT), "-o", str(out), "--unit-column", "部门",
                 "--lang", "en"]) == 2
    assert "no unit column 部门" in capsys.readouterr().err


def test_columns_total_routed_and_single(tmp_path, capsys):
    out = tmp_path / "o.csv"
    assert main(["eval", "--rulesets", str(ROOT / "rulesets"), "--data", str(DISTRICT), "-o", str(out),
                 "--id", "单位名称", "--lang", "en", "--columns", "total"]) == 0
    rows = rows_of(out)
    assert list(rows[0]) == ["id", "row", "status", "error", "ruleset", "total", "grade", "预算安排建议", "alerts"]
    assert {r["id"]: r["total"] for r in rows}["区卫健局"] == "90.15"
    one = tmp_path / "one.csv"
    assert main(["eval", str(HEALTH), "--data", str(ROOT / "rulesets/health/health-2024.csv"), "-o", str(one),
                 "--columns", "scores", "--lang", "en"]) == 0
    header = list(rows_of(one)[0])
    assert "预算执行率" in header and "flags" in header and not any(h.endswith(".value") for h in header)


def test_title_rows_above_the_header_are_not_records(tmp_path):
    plain = ROOT / "rulesets/health/health-2024.csv"
    titled = tmp_path / "titled.csv"
    titled.write_text("区卫健局2024年度部门整体绩效评价数据\n单位：万元\n" + plain.read_text(encoding="utf-8-sig"),
                      encoding="utf-8")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["eval", str(HEALTH), "--data", str(plain), "-o", str(a), "--lang", "en"]) == 0
    assert main(["eval", str(HEALTH), "--data", str(titled), "-o", str(b), "--lang", "en"]) == 0
    ra, rb = rows_of(a), rows_of(b)
    assert [int(r["row"]) + 2 for r in ra] == [int(r["row"]) for r in rb]
    assert [{k: v for k, v in r.items() if k != "row"} for r in ra] == [{k: v for k, v in r.items() if k != "row"} for r in rb]


def test_routed_records_are_known_by_their_unit_without_id(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["eval", "--rulesets", str(ROOT / "rulesets"), "--data", str(DISTRICT), "-o", str(a), "--lang", "en"]) == 0
    assert main(["eval", "--rulesets", str(ROOT / "rulesets"), "--data", str(DISTRICT), "-o", str(b), "--lang", "en",
                 "--id", "单位名称"]) == 0
    assert rows_of(a) == rows_of(b)
    assert rows_of(a)[0]["id"] == "区卫健局"


def test_routing_needs_one_source_of_rules(tmp_path, capsys):
    assert main(["eval", str(HEALTH), "--rulesets", str(ROOT / "rulesets"), "--data", str(DISTRICT), "-o",
                 str(tmp_path / "o.csv"), "--lang", "en"]) == 2
    assert main(["eval", "--data", str(DISTRICT), "-o", str(tmp_path / "o.csv"), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "exactly one" in err


def test_routing_rule_file_with_errors_is_exit_1(tmp_path, capsys):
    (tmp_path / "bad.rules").write_text('applies to "甲"\nindicator 甲 weight 100 { value x\n score value }\n', encoding="utf-8")
    (tmp_path / "shared.rules").write_text("input x: number\nindicator 乙 weight 5 { value x\n score value }\n",
                                           encoding="utf-8")
    assert main(["eval", "--rulesets", str(tmp_path), "--data", str(DISTRICT), "-o", str(tmp_path / "o.csv"),
                 "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "bad.rules" in err and "PR201" in err


def test_two_rulesets_for_one_unit(tmp_path, capsys):
    for name in ("a", "b"):
        (tmp_path / f"{name}.rules").write_text('applies to "甲"\ninput x: number\nindicator 甲 weight 100 { value x\n score value }\n',
                                                encoding="utf-8")
    assert main(["eval", "--rulesets", str(tmp_path), "--data", str(DISTRICT), "-o", str(tmp_path / "o.csv"),
                 "--lang", "en"]) == 1
    assert "two rulesets apply to '甲'" in capsys.readouterr().err


def test_missing_columns_reported_before_any_output(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("单位名称,实际支出\n甲,1\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["eval", str(HEALTH), "--data", str(data), "-o", str(out), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "error[PR802]" in err and "调整后预算数" in err and "托位数" in err
    assert not out.exists()


def test_strict_and_parquet_round_trip(tmp_path, capsys):
    import pyarrow.parquet as pq

    out = tmp_path / "o.parquet"
    data = ROOT / "rulesets" / "health" / "health-2024.csv"
    assert main(["eval", str(HEALTH), "--data", str(data), "-o", str(out), "--strict", "--lang", "en"]) == 3
    t = pq.read_table(out)
    assert t.num_rows == 5 and str(t.schema.field("total").type) == "decimal128(18, 2)"
    assert main(["eval", str(HEALTH), "--data", str(data), "-o", str(tmp_path / "o.tsv"), "--lang", "en"]) == 0
    assert (tmp_path / "o.tsv").read_text(encoding="utf-8-sig").split("\r\n")[0].split("\t")[:3] == ["id", "row", "status"]
    assert "\r" not in capsys.readouterr().err  # no progress line when stderr is not a terminal


GEN = r"""
import csv, sys
sys.path.insert(0, {root!r})
from benchmarks.health_data import make_health_table
n = int(sys.argv[1])
t = make_health_table(min(n, 20000), seed=3)
rows = t.to_pylist()
with open(sys.argv[2], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh)
    w.writerow(t.column_names)
    for i in range(n):
        r = rows[i % len(rows)]
        w.writerow(["" if v is None else (f"{{v:.2f}}" if isinstance(v, float) else v) for v in r.values()])
"""

RUN = r"""
import resource, sys
import perfrules.io.batches
perfrules.io.batches.BLOCK_BYTES = 1 << 18  # many small batches: the allocator's warm-up is over early
from perfrules.cli import main
code = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code)
"""


def test_peak_memory_does_not_grow_with_the_input(tmp_path):
    """Scoring 4× more rows (CSV → Parquet) needs about the same peak memory. (Live memory per
    batch is constant; the allocator holds on to some freed memory for the first few dozen
    batches, so both runs span many small batches.)"""
    peaks = {}
    for n in (40_000, 160_000):
        data = tmp_path / f"d{n}.csv"
        subprocess.run([sys.executable, "-c", GEN.format(root=str(ROOT)), str(n), str(data)], check=True)
        out = subprocess.run([sys.executable, "-c", RUN, "eval", str(HEALTH), "--data", str(data),
                              "-o", str(tmp_path / f"o{n}.parquet"), "--lang", "en"],
                             check=True, capture_output=True, text=True)
        kb, code = out.stdout.split()
        assert code == "0"
        peaks[n] = int(kb) / 1024
    assert peaks[160_000] < peaks[40_000] * 1.15 + 20, peaks


def test_routed_eval_without_output_lists_every_record_on_the_terminal(capsys):
    assert main(["eval", "--rulesets", str(ROOT / "rulesets"), "--data", str(DISTRICT), "--id", "单位名称",
                 "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("区")]
    assert len(lines) == 4  # one line per department in the district file
    assert any("district/health" in ln and "90.15" in ln and "优" in ln for ln in lines)


AS_OF_RULES = """
ruleset "t/asof" version "1"
input 支出: amount
input 预算: amount
let 进度 = 支出 / 预算
indicator 进度达标 weight 100 {
  value 进度 - time_progress(as_of)
  score bands { >= 0 -> full; otherwise -> 50 }
}
"""


def test_rules_that_score_with_the_date_warn_without_as_of(tmp_path, capsys):
    rules = tmp_path / "r.rules"
    rules.write_text(AS_OF_RULES, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("支出,预算\n60,100\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "en"]) == 0
    assert "warning: t/asof read the evaluation date" in capsys.readouterr().err
    assert main(["eval", str(rules), "--data", str(data), "-o", str(out), "--lang", "en", "--as-of", "2024-06-30"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert rows_of(out)[0]["total"] == "100.00"
    # the bundled 区卫健局 rules read the date only in an alert: no warning for them (a year-end
    # run needs no date), but a note that the alert was not judged ("alerts: 0" is not "none fired")
    health_data = str(ROOT / "rulesets/health/health-2024.csv")
    assert main(["eval", str(HEALTH), "--data", health_data, "-o", str(out), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "warning" not in err
    assert "note: alert 支出进度低于序时进度 reads the evaluation date (as_of); without --as-of it is not judged" in err
    assert main(["eval", str(HEALTH), "--data", health_data, "-o", str(out), "--lang", "en", "--as-of", "2024-12-31"]) == 0
    err = capsys.readouterr().err
    assert "note:" not in err and "alerts: warning 3" in err  # judged at year end: three units below 100 %


def test_routes_file_paths_are_relative_to_it_and_the_error_says_so(tmp_path, capsys, monkeypatch):
    # A path written relative to the current folder failed with only "cannot read rule file
    # rulesets/health/health.rules", a file the user could see was there.
    monkeypatch.chdir(ROOT)
    (tmp_path / "sub").mkdir()
    routes = tmp_path / "sub" / "routes.json"
    routes.write_text(json.dumps({"区卫健局": "rulesets/health/health.rules"}, ensure_ascii=False), encoding="utf-8")
    code = main(["eval", "--routes", str(routes), "--data", str(DISTRICT), "-o", str(tmp_path / "o.csv"), "--lang", "zh"])
    err = capsys.readouterr().err
    assert code == 2 and "路径相对于路由文件" in err and str(tmp_path / "sub" / "rulesets") in err, err
    routes.write_text(json.dumps({"区卫健局": str(Path("..") / Path(HEALTH).relative_to(ROOT))}, ensure_ascii=False),
                      encoding="utf-8")
    (tmp_path / "rulesets").symlink_to(ROOT / "rulesets", target_is_directory=True)
    assert main(["eval", "--routes", str(routes), "--data", str(DISTRICT), "-o", str(tmp_path / "o.csv"), "--lang", "en"]) == 0


SHADOW_RULES = """ruleset "t/shadow" version "1"
input 支出: amount
input 预算: amount
indicator 执行 weight 100 { value 支出 / 预算; score ratio(target: 100%) }
"""


def test_a_second_column_matching_an_input_is_named_in_a_warning(tmp_path, capsys):
    # 支出 and 支出（万元） both mean the input 支出: the exact name is read; the other column
    # (other units, or in a sparse JSONL file the key some records use) was dropped in silence
    rules = tmp_path / "r.rules"
    rules.write_text(SHADOW_RULES, encoding="utf-8")
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text('{"支出（万元）": 90, "预算": 100}\n{"支出": 80, "预算": 100}\n', encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["eval", str(rules), "--data", str(jsonl), "-o", str(out), "--lang", "zh"]) == 0
    err = capsys.readouterr().err
    assert "警告：输入 支出 取自列“支出”；列“支出（万元）”也对应它" in err
    csv_data = tmp_path / "d.csv"
    csv_data.write_text("支出（万元）,支出,预算\n1,90,100\n", encoding="utf-8")
    assert main(["eval", str(rules), "--data", str(csv_data), "--lang", "en"]) == 0
    assert "warning: input 支出 is read from column '支出'; column '支出（万元）' matches it too" in capsys.readouterr().err
    # the same through the API, as a ColumnWarning
    import pyarrow as pa
    import pytest

    import perfrules
    from perfrules.io import ColumnWarning

    table = pa.table({"支出": [90], "支出(万元)": [1], "预算": [100]})
    with pytest.warns(ColumnWarning, match="支出\\(万元\\)"):
        perfrules.load(rules).evaluate_table(table)
