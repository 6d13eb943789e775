"""How values are displayed in reports: a ratio scored against percentages shows as a percentage."""
import perfrules

RULES = """
input 实际支出: amount
input 调整后预算数: amount
input 违规次数: count = 0
indicator 预算执行率 weight 50 {
  value 实际支出 / 调整后预算数
  score ratio(target: 100%)
}
indicator 违规 weight 30 {
  value 违规次数
  score full - 5 * value
}
indicator 余额 weight 20 {
  value 调整后预算数 - 实际支出
  unit "万元"
  score bands { <= 10 -> full; otherwise -> 10 }
}
"""


def test_ratio_scored_against_percentages_is_shown_as_a_percentage():
    rules = perfrules.compile(RULES)
    for backend in ("row", "rowfraction", "reference"):
        r = rules.evaluate_one({"实际支出": "95231.47", "调整后预算数": "98560.00", "违规次数": "1"}, backend=backend)
        shown = {i.name: i.display for i in r.indicators}
        assert shown == {"预算执行率": "96.62%", "违规": "1", "余额": "3328.53万元"}, backend
        assert r.indicator("预算执行率").value == "0.9662283888"  # the value itself is unchanged


def test_a_yes_no_value_is_shown_as_messages_show_it():
    # the report table showed a bool indicator's value as true / false, while messages ({x})
    # and the data say 是 / 否
    rules = perfrules.compile("""
input 被核减: bool
indicator 未被核减 weight 100 {
  value 被核减
  score match value { 否 -> full, 是 -> 0 }
}
""")
    for backend in ("row", "rowfraction", "reference"):
        for given, shown, score in (("否", "否", "100.00"), ("是", "是", "0.00")):
            r = rules.evaluate_one({"被核减": given}, backend=backend)
            assert (r.indicator("未被核减").display, str(r.indicator("未被核减").score)) == (shown, score), backend
            assert r.indicator("未被核减").value == ("true" if given == "是" else "false")  # the value itself is unchanged
