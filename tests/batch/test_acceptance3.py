"""Found by an acceptance run of the batch engine as services use it."""
import pyarrow as pa
import pytest

import perfrules
from benchmarks.health_data import make_health_table
from conftest import RULESETS
from perfrules.batch import DataProblem

HEALTH = RULESETS / "health" / "health.rules"


@pytest.fixture(scope="module")
def rules():
    return perfrules.load(HEALTH)


def test_a_decimal_with_forty_places_is_scored_exactly_not_a_crash(rules):
    table = make_health_table(3, seed=1)
    cells = [str(v) for v in table.column("实际支出").to_pylist()]
    cells[1] = "0." + "0" * 40 + "1"
    cells[2] = cells[2] + "0" * 40 if "." in cells[2] else cells[2] + "." + "0" * 40
    table = table.set_column(table.schema.get_field_index("实际支出"), "实际支出", pa.array(cells))
    batch = rules.evaluate_table(table).to_pylist()
    for i, rec in enumerate(table.to_pylist()):
        one = rules.evaluate_one(rec)
        assert batch[i]["总分"] == one.total and batch[i]["状态"] == "正常"


def test_a_column_that_vanishes_from_a_later_batch_is_an_error(rules):
    t = make_health_table(10, seed=2)
    with pytest.raises(DataProblem, match="batch 2 lacks the columns 实际支出"):
        list(rules.evaluate_batches([t, t.drop_columns(["实际支出"])]))
    reordered = t.select(list(reversed(t.column_names)))  # order and extra columns may change
    assert len(list(rules.evaluate_batches([t, reordered]))) == 2


def test_identical_records_share_their_exact_decisions(rules, monkeypatch):
    """300 copies of a record with exact ties (378.40/473.00 is 80%): its exact-tier decisions
    are made once per chunk, not once per copy (20,000 copies took 9 s at ~0.5 ms a row)."""
    import pyarrow.csv as pcsv

    from perfrules import flat
    from perfrules.backends.colrun import ChunkRun

    ref = pcsv.read_csv(RULESETS / "health" / "health-reference.csv")
    table = pa.concat_tables([ref] * 300).combine_chunks()
    calls = []
    original = ChunkRun._exact_one

    def counting(self, i, decide, fallback):
        calls.append(i)
        return original(self, i, decide, fallback)

    monkeypatch.setattr(ChunkRun, "_exact_one", counting)
    out = rules.evaluate_table(table, as_of="2024-06-30", threads=1)
    assert 0 < len(calls) <= 10  # a handful of decisions, not one per copy
    one = flat.flatten(rules, rules.evaluate_one(ref.to_pylist()[0], as_of="2024-06-30"))
    texts = flat.as_text(out.to_batches()[0]).to_pylist()
    for row in (texts[0], texts[299]):
        assert {k: v for k, v in row.items() if k != "行号"} == {k: v for k, v in one.items() if k != "行号"}


def test_polars_lazy_frames(rules):
    pl = pytest.importorskip("polars")
    t = make_health_table(5, seed=3)
    lazy = pl.from_arrow(t).lazy()
    assert rules.evaluate_table(lazy).column("总分").to_pylist() == rules.evaluate_table(t).column("总分").to_pylist()


def test_pandas_duplicate_columns_are_named(rules):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"实际支出": [1.0], "x": [2.0]})
    frame.columns = ["实际支出", "实际支出"]
    with pytest.raises(DataProblem, match="duplicate columns: 实际支出"):
        rules.evaluate_table(frame)


def test_output_onto_a_symlink_writes_through_it(rules, tmp_path):
    from perfrules.batch import run_file

    data = tmp_path / "d.csv"
    import pyarrow.csv as pcsv

    pcsv.write_csv(make_health_table(3, seed=5), data)
    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    run_file(rules, data, link)
    assert link.is_symlink() and real.read_text(encoding="utf-8-sig").startswith("记录,行号")
