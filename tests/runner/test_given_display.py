"""Values from a test's `given` appear in messages as the author wrote them, not as a Python
repr (`Fraction(85, 1)`). A value the input cannot take is reported when the file is checked
(PR704, at the value), not only when the test runs."""
from __future__ import annotations

from pathlib import Path

from perfrules import testing

RULES = """\
settings { total 10 }
input 执行率: percent
input 次数: count
input 比例: number in [0, 1]
indicator 执行 weight 10 { value 执行率; score ratio(target: 100%) }
test "百分比漏写%" {
  given { 执行率 = 85, 次数 = 1, 比例 = 0.5 }
  expect { 执行 = 8.50 }
}
test "不是整数" {
  given { 执行率 = 85%, 次数 = 1.5, 比例 = 0.5 }
  expect { 执行 = 8.50 }
}
test "超出范围" {
  given { 执行率 = 85%, 次数 = 1, 比例 = 2.5 }
  expect { 执行 = 8.50 }
}
"""


def test_given_numbers_are_shown_as_written(tmp_path: Path):
    path = tmp_path / "g.rules"
    path.write_text(RULES, encoding="utf-8")
    result = testing.run_file(path)
    assert result.broken
    for lang, wanted in (("zh", ["执行率：85 看起来漏了 %：百分比请写 0.95 或 95%", "次数：1.5 不是非负整数",
                                 "比例：2.5 超出范围 [0, 1]"]),
                         ("en", ["执行率: 85 looks like a percentage without %: write 0.95 or 95%",
                                 "次数: 1.5 is not a whole number ≥ 0", "比例: 2.5 is outside [0, 1]"])):
        report = result.compile_report(lang)
        assert report.count("PR704") == 3, report
        for text in wanted:
            assert text in report, (text, report)
        assert "Fraction" not in report


def test_a_bad_given_is_fine_where_the_test_expects_the_error_row(tmp_path: Path):
    path = tmp_path / "g.rules"
    path.write_text(RULES.replace("expect { 执行 = 8.50 }", "expect { error PR801 }"), encoding="utf-8")
    result = testing.run_file(path)
    assert not result.broken
    assert [c.passed for c in result.cases] == [True, True, True]
