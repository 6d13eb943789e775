"""The run summary printed after `perfrules eval`: grades, and alerts by level, most severe first."""
from collections import Counter

from perfrules.pipeline import Summary


def test_summary_names_levels_and_ungraded_records():
    s = Summary(records=5, results=4, errors=1, grades=Counter({"—": 1, "优": 3}),
                alerts=Counter({"info": 2, "severe": 1, "warning": 3}))
    assert s.text("zh") == "共 5 条记录：评分 4 条，错误 1 条；等级分布：优 3，未定级 1；预警信息：严重 1，预警 3，提醒 2"
    assert s.text("en") == "5 records: 4 scored, 1 errors; grades: 优 3, no grade 1; alerts: severe 1, warning 3, info 2"
    assert s.to_dict()["alerts"] == {"info": 2, "severe": 1, "warning": 3}
