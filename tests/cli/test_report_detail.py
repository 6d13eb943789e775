"""The terminal report of one record: excluded indicators say so, alert levels in Chinese."""
import perfrules
from perfrules.report import detail

RULES = """
input a: number
input b: number
indicator 甲 weight 50 {
  missing exclude
  value a
  score value
}
indicator 乙 weight 50 { value b; score value }
alert 偏低 severe when b < 30 { message "乙 {b}" }
output 比值 = b / a
"""


def test_excluded_indicator_and_alert_level_in_the_detail_report():
    r = perfrules.compile(RULES).evaluate_one({"a": "", "b": "20"})
    zh, en = detail(r, "zh"), detail(r, "en")
    line = next(x for x in zh.splitlines() if x.startswith("甲"))
    assert "不适用" in line and "不计入总分" in line and "0.00" not in line
    assert "预警 [严重] 偏低: 乙 20" in zh and "[severe] 偏低" in en
    assert "n/a" in next(x for x in en.splitlines() if x.startswith("甲"))
    assert "None" not in zh
