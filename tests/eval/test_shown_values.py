"""A rejected value is quoted in the error message, but never in full when it is huge: a
Decimal('-1E+400') from a service printed 401 digits."""
from decimal import Decimal

import perfrules

RULES = "input 甲: count\nindicator 甲指标 weight 100 { value 甲; score bands { value >= 0 -> 100; otherwise -> 0 } }\n"


def test_huge_values_are_shown_short():
    rules = perfrules.compile(RULES)
    for raw, shown in ((Decimal("-1E+400"), "-1.000000E+400"), ("-" + "9" * 200, "-" + "9" * 40),
                       (Decimal("0.5"), "0.5")):
        r = rules.evaluate_one({"甲": raw})
        assert not r.ok
        message = r.error.message + r.error.message_en
        assert shown in message and len(message) < 200, message
