"""Missing reasons quote values as rule authors read them, identically on every backend."""
import pyarrow as pa
import pytest

import perfrules

RULES = """
input f: bool
input n: count
indicator A weight 50 { score match f { true -> 50, otherwise -> missing } }
indicator B weight 50 { value n; score match n { 1 -> 50, 2 -> 40, otherwise -> missing } }
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    path = tmp_path_factory.mktemp("reasons") / "r.rules"
    path.write_text(RULES.replace(", otherwise -> missing", ""), encoding="utf-8")
    return perfrules.load(path)


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_no_case_quotes_yes_no_in_chinese(rules, backend):
    r = rules.evaluate_one({"f": "否", "n": 3}, backend=backend)
    assert [f.message for i in r.indicators for f in i.flags] == ["否 没有对应的分值", "3 没有对应的分值"]


def test_batch_quotes_the_same(rules):
    out = rules.evaluate_table(pa.table({"f": [False, True], "n": [3, 1]}))
    assert out.column("说明").to_pylist() == [["A: 否 没有对应的分值", "B: 3 没有对应的分值"], None]
