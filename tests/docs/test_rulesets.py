"""The rule files under rulesets/: each compiles without errors or warnings, every `test` block
in it passes, and every sample data file scores each row as its file's tests say."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import perfrules
from perfrules.pipeline import evaluate_file
from perfrules.testing import run_file

ROOT = Path(__file__).resolve().parents[2]
RULESETS = ROOT / "rulesets"
RULE_FILES = sorted(RULESETS.rglob("*.rules"))


def _id(p: Path) -> str:
    return str(p.relative_to(RULESETS))


@pytest.mark.parametrize("path", RULE_FILES, ids=_id)
def test_rule_file_is_clean(path):
    comp = perfrules.check(path)
    problems = [f"{d.code} {d.span.line}:{d.span.column}" for d in comp.diagnostics]
    assert comp.ok and not problems, problems


@pytest.mark.parametrize("path", RULE_FILES, ids=_id)
def test_rule_file_tests_pass(path):
    """The same run as `perfrules test` (both backends, every expectation)."""
    result = run_file(path)
    assert not result.broken and result.cases, f"{_id(path)} does not compile or has no test blocks"
    failed = {c.name: [p.text("en") for p in c.problems] for c in result.cases if not c.passed}
    assert not failed, failed


# (rule file, data file, --as-of, {record id: (total, grade)}) — totals worked out by hand in
# the rule files' test blocks.
SAMPLES = [
    ("health/health.rules", "health/health-reference.csv", None, {"区卫健局": ("90.15", "优")}),
    ("education/education.rules", "education/education-2024.csv", None, {
        "区教育局": ("91.82", "优"), "区教育局（无第三方测评）": ("90.95", "优"),
        "区教育局（调整后预算为0）": ("82.65", "良"), "区教育局（发生安全事故）": ("87.82", "良")}),
    ("urban/urban.rules", "urban/urban-2024.csv", None, {
        "区城管局": ("82.67", "良"), "区城管局（无上年结转结余）": ("82.17", "良"),
        "区城管局（发生安全事故）": ("80.17", "良"), "区城管局（垃圾产生量为0、检查分空白）": ("74.02", "中")}),
    ("statistics/statistics.rules", "statistics/statistics-2024.csv", None, {
        "区统计局": ("85.20", "良"), "区统计局（未自行核查）": ("89.16", "良"),
        "区统计局（缺满意度调查）": ("79.20", "中"), "区统计局（查实统计造假）": ("75.20", "中")}),
    ("projects/census-2024.rules", "projects/census-2024.csv", None, {
        "区统计局·年度自评": ("89.10", "良"), "区统计局·执行慢成效高": ("92.52", "优"),
        "区统计局·缺满意度调查": ("84.10", "良"), "区统计局·预算为0": ("90.00", "优"),
        "区统计局·设备超支": ("95.80", "优")}),
]


@pytest.mark.parametrize("rules, data, as_of, expected", SAMPLES, ids=[s[1] for s in SAMPLES])
def test_sample_data(rules, data, as_of, expected):
    ruleset = perfrules.load(RULESETS / rules)
    got = {r.record_id: r for r in evaluate_file(ruleset, str(RULESETS / data), id_column="单位名称", as_of=as_of)}
    assert set(expected) <= set(got)
    for rid, (total, grade) in expected.items():
        r = got[rid]
        assert r.ok, (rid, r.error)
        assert (r.total, r.grade) == (Decimal(total), grade), rid


def test_census_alerts_in_sample_data():
    ruleset = perfrules.load(RULESETS / "projects/census-2024.rules")
    got = {r.record_id: sorted(a.name for a in r.alerts)
           for r in evaluate_file(ruleset, str(RULESETS / "projects/census-2024.csv"), id_column="单位名称")}
    assert got["区统计局·执行慢成效高"] == ["自评一致性", "预算执行异常"]
    assert got["区统计局·预算为0"] == ["预算执行异常"]
    assert got["区统计局·年度自评"] == []


def test_monitoring_sample_at_june_30():
    ruleset = perfrules.load(RULESETS / "monitoring/execution.rules")
    rows = list(evaluate_file(ruleset, str(RULESETS / "monitoring/execution-2024-06.csv"), id_column="项目名称",
                              as_of=__import__("datetime").date(2024, 6, 30)))
    alerts = {r.record_id: {a.name: a.level for a in r.alerts} for r in rows}
    assert all(r.ok for r in rows)
    big = alerts["区卫健局·社区卫生服务中心改扩建"]
    assert big["大额项目滞后"] == "severe" and big["执行进度红色"] == "severe" and big["亿元以上项目"] == "info"
    assert alerts["区教育局·中小学校舍维修"]["执行进度黄色"] == "warning"
    assert "低于序时进度" not in alerts["区城管局·市政道路养护"]
    assert alerts["区教育局·智慧校园建设"] == {"数据不全": "warning"}
    assert alerts["区统计局·统计执法检查"] == {"预算数为零": "info"}
    colours = {r.record_id: r.outputs["预警颜色"] for r in rows}
    assert colours["区卫健局·基本支出"] == "绿" and colours["区城管局·垃圾分类运营补助"] == "红"


DISTRICT = {"区卫健局": ("health/health.rules", "90.15", "优"), "区教育局": ("education/education.rules", "91.82", "优"),
            "区城管局": ("urban/urban.rules", "82.67", "良"), "区统计局": ("statistics/statistics.rules", "85.20", "良")}


@pytest.mark.parametrize("unit", sorted(DISTRICT))
def test_district_file_scores_each_unit_with_the_ruleset_that_applies_to_it(unit):
    rules, total, grade = DISTRICT[unit]
    ruleset = perfrules.load(RULESETS / rules)
    assert unit in ruleset.program.applies_to
    got = {r.record_id: r for r in evaluate_file(ruleset, str(RULESETS / "district/all-2024.csv"), id_column="单位名称")}
    assert set(got) == set(DISTRICT)
    assert (got[unit].total, got[unit].grade) == (Decimal(total), grade)


def test_district_file_in_one_command(tmp_path):
    """`perfrules eval --rulesets rulesets --data rulesets/district/all-2024.csv` routes every
    row to the ruleset that applies to its unit."""
    import csv

    from perfrules.cli import main

    out = tmp_path / "district.csv"
    assert main(["eval", "--rulesets", str(RULESETS), "--data", str(RULESETS / "district/all-2024.csv"),
                 "--id", "单位名称", "-o", str(out), "--lang", "zh"]) == 0
    rows = {r["记录"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert {k: (r["总分"], r["等级"]) for k, r in rows.items()} == {k: v[1:] for k, v in DISTRICT.items()}
    assert rows["区统计局"]["规则集"] == "district/statistics"
