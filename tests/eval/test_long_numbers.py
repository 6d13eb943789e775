"""Numbers longer than Python's default decimal precision (28 digits) are shown exactly."""
import pyarrow as pa
import pytest

import perfrules
from perfrules.runtime.numbers import format_plain, to_decimal
from fractions import Fraction

RULES = """
settings { total 5 }
input a: number
input b: number
indicator 扣分 weight 5 { value a / b; score deduct 0.5 per 1% over 100% counting started }
output r1 = round(a, 2)
output s = a + b
"""
A = "123456789012345678901234567890.125"


def test_formatting_keeps_every_digit():
    x = Fraction(A)
    assert format_plain(x) == A
    assert str(to_decimal(x, 2)) == "123456789012345678901234567890.13"
    assert str(to_decimal(-x, 2)) == "-123456789012345678901234567890.13"


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_outputs_and_flags_exact(tmp_path, backend):
    path = tmp_path / "r.rules"
    path.write_text(RULES, encoding="utf-8")
    rules = perfrules.load(path)
    r = rules.evaluate_one({"a": A, "b": "1"}, backend=backend)
    assert r.outputs["r1"] == "123456789012345678901234567890.13"
    assert r.outputs["s"] == "123456789012345678901234567891.125"
    assert r.indicator("扣分").flags[0].message == "计算得分 -6172839450617283945061728394451.5 低于 0，按 0 计"
    t = rules.evaluate_table(pa.table({"a": [A], "b": ["1"]}), backend="columnar")
    flags = t.column("说明").to_pylist()[0]
    assert "扣分: 计算得分 -6172839450617283945061728394451.5 低于 0，按 0 计" in flags
