"""Ruleset.population_stats takes what a service has: raw records, converted records, Arrow
tables or batches; any of them gives the statistics evaluate_table computes itself."""
import pyarrow as pa
import pytest

import perfrules
from conftest import ROOT

RANK = ROOT / "docs" / "cookbook" / "rank.rules"
RECORDS = [{"完成数": 18, "计划数": 20}, {"完成数": "9", "计划数": "10"}, {"完成数": 5, "计划数": 20},
           {"完成数": "x", "计划数": 3}]  # the last is an error record: left out of the population


@pytest.fixture(scope="module")
def rules():
    return perfrules.load(RANK)


def test_every_form_gives_the_tables_statistics(rules):
    table = pa.table({"完成数": ["18", "9", "5", "x"], "计划数": ["20", "10", "20", "3"]})
    whole = rules.evaluate_table(table).column("总分").to_pylist()
    assert whole[:3] != [None] * 3 and whole[3] is None
    from perfrules.runtime.convert import convert_record

    envs = [convert_record(rules.inputs, r)[0] for r in RECORDS[:3]]
    for source in (RECORDS, envs, table, table.to_batches(), [table.slice(0, 2), table.slice(2)]):
        pop = rules.population_stats(source)
        parts = rules.evaluate_batches([table.slice(0, 2), table.slice(2)], pop=pop)
        assert [v for b in parts for v in b.column("总分").to_pylist()] == whole
        assert rules.evaluate_one(RECORDS[2], pop=pop).total == whole[2]
