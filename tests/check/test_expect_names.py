"""Names in `expect` blocks that cannot be written as a checker case (see cases/expect_names.rules)."""
from __future__ import annotations

from perfrules import testing
from perfrules.compiler import compile_source
from perfrules.source import SourceFile

BASE = """\
input 差错数: count
input 抽查数: count
indicator 统计数据质量 weight 100 {
  indicator 统计数据质量 weight 100 {
    value 差错数 / 抽查数
    score ratio(target: 1%, reverse)
  }
}
alert 差错多 warning when 统计数据质量.value > 5%
"""


def diagnostics(text: str):
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    return [(d.span.line, d.code, d.message("en"), d.hint_text("en")) for d in comp.diagnostics]


def test_grade_without_grade_by_total():
    text = BASE + 'test "t" {\n  given { 差错数 = 1, 抽查数 = 100 }\n  expect { grade = 优 }\n}\n'
    assert diagnostics(text) == [(12, "PR704", "there is no `grade by total`: no grade to expect", None)]


def test_value_of_a_name_shared_by_group_and_leaf_means_the_leaf(tmp_path):
    text = BASE + 'test "t" {\n  given { 差错数 = 2, 抽查数 = 100 }\n  expect { 统计数据质量.value = 2%, no alert 差错多 }\n}\n'
    assert diagnostics(text) == []
    path = tmp_path / "t.rules"
    path.write_text(text, encoding="utf-8")
    (case,) = testing.run_file(path).cases
    assert case.passed, [p.en for p in case.problems]


def test_misspelled_alert_fails_the_file(tmp_path):
    text = BASE + 'test "t" {\n  given { 差错数 = 9, 抽查数 = 100 }\n  expect { no alert 差错太多 }\n}\n'
    path = tmp_path / "t.rules"
    path.write_text(text, encoding="utf-8")
    result = testing.run_file(path)
    assert result.broken and not result.cases
    assert [(d.code, d.message("en"), d.hint_text("en")) for d in result.diagnostics] == [
        ("PR704", "there is no alert named 差错太多", "did you mean 差错多?")]
