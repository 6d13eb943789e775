"""Values from a test's `given` appear in failure messages as the author wrote them, not as a
Python repr (`Fraction(85, 1)`)."""
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
    cases = testing.run_file(path).cases
    messages = [[(p.zh, p.en) for p in c.problems] for c in cases]
    assert messages == [
        [("记录不能评分 [PR801]：执行率：85 看起来漏了 %：百分比请写 0.95 或 95%",
          "the record cannot be scored [PR801]: 执行率: 85 looks like a percentage without %: write 0.95 or 95%")],
        [("记录不能评分 [PR801]：次数：1.5 不是非负整数",
          "the record cannot be scored [PR801]: 次数: 1.5 is not a whole number ≥ 0")],
        [("记录不能评分 [PR801]：比例：2.5 超出范围 [0, 1]",
          "the record cannot be scored [PR801]: 比例: 2.5 is outside [0, 1]")],
    ]
    assert not any("Fraction" in zh + en for m in messages for zh, en in m)
