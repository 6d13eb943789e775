"""Ruleset.evaluate_table / evaluate_batches: inputs, result types, streaming, population
functions, pickling into worker processes."""
from __future__ import annotations

import multiprocessing
import pickle
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import perfrules
from perfrules import flat
from perfrules.batch import DataProblem

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "rulesets" / "health" / "health.rules"


@pytest.fixture(scope="module")
def health():
    return perfrules.load(HEALTH)


@pytest.fixture(scope="module")
def table():
    from benchmarks.health_data import make_health_table

    return make_health_table(300, seed=11)


def test_result_table_types_and_reference_figures(health):
    from benchmarks.health_data import REFERENCE_GRADE, REFERENCE_TOTAL, reference_table

    out = health.evaluate_table(reference_table(), lang="en")
    assert out.num_rows == 1
    assert out.schema.field("total").type == pa.decimal128(18, 2)
    assert out.schema.field("预算执行率.value").type == pa.decimal128(38, 10)
    assert out.schema.field("flags").type == pa.list_(pa.string())
    row = out.to_pylist()[0]
    assert row["total"] == Decimal(REFERENCE_TOTAL) and row["grade"] == REFERENCE_GRADE
    assert row["预算执行率"] == Decimal("3.86") and row["预算执行率.value"] == Decimal("0.9662283888")


def test_equals_evaluate_one(health, table):
    out = health.evaluate_table(table, lang="zh", chunk_rows=64)
    got = [flat.as_text(b).to_pylist() for b in out.to_batches()]
    got = [r for b in got for r in b]
    for i, rec in enumerate(table.to_pylist()):
        want = flat.flatten(health, health.evaluate_one(rec, row=i + 1), "zh")
        assert {k: (None if v is None else str(v)) for k, v in got[i].items()} == \
               {k: (None if v is None else str(v)) for k, v in want.items()}


def test_record_batch_polars_and_pandas_inputs(health, table):
    want = health.evaluate_table(table)
    assert health.evaluate_table(table.to_batches()[0]).equals(want)
    pl = pytest.importorskip("polars")
    assert health.evaluate_table(pl.from_arrow(table)).column("总分").equals(want.column("总分"))
    import importlib.util

    if importlib.util.find_spec("pandas") is None:
        return  # pandas is optional
    assert health.evaluate_table(table.to_pandas()).column("总分").equals(want.column("总分"))


def test_evaluate_batches_streams_with_continuing_row_numbers(health, table):
    parts = list(health.evaluate_batches(table.to_batches(max_chunksize=70), lang="en"))
    assert [p.num_rows for p in parts] == [70, 70, 70, 70, 20]
    rows = [r for p in parts for r in p.column("row").to_pylist()]
    assert rows == list(range(1, 301))
    whole = health.evaluate_table(table, lang="en")
    assert pa.Table.from_batches(parts).column("total").equals(whole.column("total"))


def test_missing_columns_named_all_at_once(health, table):
    with pytest.raises(DataProblem) as err:
        health.evaluate_table(table.drop_columns(["实际支出", "托位数"]))
    assert "实际支出" in err.value.en and "托位数" in err.value.en and err.value.code == "PR802"


def test_mapping_and_aliases(health, table):
    renamed = table.rename_columns(["A" + c if c == "实际支出" else c for c in table.column_names])
    out = health.evaluate_table(renamed, mapping={"A实际支出": "实际支出"})
    assert out.column("总分").equals(health.evaluate_table(table).column("总分"))


def test_id_column_and_row_backends_agree(health, table):
    t = table.append_column("单位名称", pa.array([f"单位{i}" for i in range(table.num_rows)]))
    a = health.evaluate_table(t, id_column="单位名称", lang="en")
    b = health.evaluate_table(t, id_column="单位名称", lang="en", backend="row")
    assert a.column("id").to_pylist()[:2] == ["单位0", "单位1"]
    assert a.equals(b)


@pytest.mark.parametrize("columns", ["scores", "total"])
@pytest.mark.parametrize("backend", ["columnar", "row"])
def test_fewer_columns_are_the_same_figures(health, table, columns, backend):
    full = health.evaluate_table(table, lang="en")
    part = health.evaluate_table(table, lang="en", columns=columns, backend=backend)
    assert part.column_names == flat.flat_columns(health, "en", columns)
    assert part.equals(full.select(part.column_names))
    assert "total" in part.column_names and "alerts" in part.column_names
    assert not any(c.endswith(".value") for c in part.column_names)
    assert ("预算执行率" in part.column_names) == (columns == "scores")
    assert ("flags" in part.column_names) == (columns == "scores")


def test_unknown_column_set_is_refused(health, table):
    with pytest.raises(ValueError, match="columns must be one of all, scores, total"):
        health.evaluate_table(table, columns="some")


def test_chunks_on_threads_give_the_same_table(health, table):
    one = health.evaluate_table(table, lang="en", threads=1, chunk_rows=64)
    two = health.evaluate_table(table, lang="en", threads=2, chunk_rows=64)  # 5 chunks, in order
    assert two.equals(one)
    assert two.column("row").to_pylist() == list(range(1, table.num_rows + 1))


@pytest.mark.parametrize("backend", ["columnar", "row"])
def test_a_table_in_parts_is_numbered_as_the_whole(health, table, backend):
    # A service scoring a file partition by partition got rows 1… in every part: error rows
    # could not be traced back to the file's records.
    whole = health.evaluate_table(table, lang="en", backend=backend)
    k = table.num_rows // 2
    parts = [health.evaluate_table(table.slice(0, k), lang="en", backend=backend),
             health.evaluate_table(table.slice(k), lang="en", backend=backend, first_row=k + 1)]
    assert pa.concat_tables(parts).equals(whole)
    with pytest.raises(ValueError, match="first_row must be 1 or more"):
        health.evaluate_table(table, first_row=0)
    with pytest.raises(TypeError, match="first_row must be an int"):
        health.evaluate_table(table, first_row="2")


def test_threaded_batcher_counts_every_record_once(health, table):
    from perfrules.batch import Batcher, resolve

    b = Batcher(health, resolve(health, table.column_names), chunk_rows=50, threads=2)
    parts = b.evaluate(table)
    assert sum(p.num_rows for p in parts) == b.stats.records == table.num_rows


GROUP_GRADES = """
settings { total 10 }
input a: number
input b: number
indicator 甲 weight 5 { value a; score value }
indicator 乙 weight 5 { value b; score value }
grade by total { 优 >= 9; 良 >= 8; 中 >= 6; 差 otherwise }
grade by 甲 { A >= 4.5; B >= 4; C >= 3; D otherwise }
grade by 乙 { 好 >= 4; 差 otherwise }
output 建议 = match grade { 优 -> "保障", 良 -> "维持", 中 -> "压减", 差 -> "整改" }
"""


def test_group_grades_declared_after_the_total_grade():
    # the columnar backend decides a group's grade before the total's: each must land in its column
    rules = perfrules.compile(GROUP_GRADES)
    t = pa.table({"a": ["4", "5", "3", "0"], "b": ["0", "4", "5", "1"]})
    cols = rules.evaluate_table(t, lang="en")
    assert cols.column("grade").to_pylist() == ["差", "优", "良", "差"]
    assert cols.column("甲.grade").to_pylist() == ["B", "A", "C", "D"]
    assert cols.column("乙.grade").to_pylist() == ["差", "好", "好", "差"]
    assert cols.column("建议").to_pylist() == ["整改", "保障", "维持", "整改"]
    assert cols.equals(rules.evaluate_table(t, lang="en", backend="reference"))


ERROR_MODE = """
input a: number
input b: number
indicator 甲 weight 50 {
  missing error
  value a
  score value
}
indicator 乙 weight 50 { value b; score value }
grade by total { 好 >= 60; 差 otherwise }
grade by 乙 { 高 >= 25; 低 otherwise }
alert 偏低 warning when b < 30 { message "乙 {b}" }
output 建议 = match grade { 好 -> "维持", 差 -> "压减" }
"""


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_an_error_record_is_not_scored(backend):
    # missing error (PR803): the record is an error row — no total, grade, alert or output
    rules = perfrules.compile(ERROR_MODE)
    r = rules.evaluate_one({"a": "", "b": "20"}, backend=backend)
    assert (r.ok, r.error.code, r.total, r.grade) == (False, "PR803", None, None)
    assert (r.group_grades, r.alerts, r.outputs) == ({}, [], {})
    assert r.indicator("乙").score == Decimal("20.00")  # the indicators stay, for diagnosis
    ok = rules.evaluate_one({"a": "40", "b": "20"}, backend=backend)
    assert (ok.total, ok.grade, ok.outputs, len(ok.alerts)) == (Decimal("60.00"), "好", {"建议": "维持"}, 1)


def test_an_error_row_in_a_result_table_has_no_total():
    rules = perfrules.compile(ERROR_MODE)
    t = pa.table({"a": ["", "40"], "b": ["20", "20"]})
    out = rules.evaluate_table(t, lang="en")
    assert out.column("status").to_pylist() == ["error", "ok"]
    assert out.column("total").to_pylist() == [None, Decimal("60.00")]
    assert out.column("grade").to_pylist() == [None, "好"]
    assert out.column("乙.grade").to_pylist() == [None, "低"]
    assert out.column("建议").to_pylist() == [None, "维持"]
    assert out.column("alerts").to_pylist() == [None, ["[warning] 偏低: 乙 20"]]
    assert out.equals(rules.evaluate_table(t, lang="en", backend="reference"))


RANKED = """
input 得分: number
input 金额: amount
indicator 名次分 weight 60 {
  value rank(得分)
  score bands { <= 1 -> full; <= 3 -> 40; otherwise -> 20 }
}
indicator 相对金额 weight 40 {
  value 金额 / max_of(金额)
  score ratio(target: 100%)
}
output 百分位 = percentile_of(得分)
"""


def test_population_functions_range_over_the_table():
    rules = perfrules.compile(RANKED)
    recs = [{"得分": s, "金额": m} for s, m in (("90", "100"), ("95", "250.5"), ("90", ""), ("", "80"), ("70", "x"))]
    table = pa.table({"得分": [r["得分"] for r in recs], "金额": [r["金额"] for r in recs]})
    got = flat.as_text(rules.evaluate_table(table, lang="en").to_batches()[0]).to_pylist()
    want = [flat.flatten(rules, r, "en") for r in rules.evaluate(recs)]
    for g, w in zip(got, want):
        w = {k: (None if v is None else str(v)) for k, v in w.items() if k not in ("row",)}
        g = {k: (None if v is None else str(v)) for k, v in g.items() if k not in ("row",)}
        assert g == w
    with pytest.raises(ValueError):
        list(rules.evaluate_batches([table]))
    pop = rules.population_stats([__import__("perfrules.runtime.convert", fromlist=["x"]).convert_record(rules.inputs, r)[0]
                                  for r in recs[:4]])
    assert next(iter(rules.evaluate_batches([table.slice(0, 4)], pop=pop))).num_rows == 4


def _score_in_worker(blob: bytes, data: bytes) -> bytes:
    rules = pickle.loads(blob)
    table = pa.ipc.open_stream(data).read_all()
    out = rules.evaluate_table(table, lang="en")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, out.schema) as w:
        w.write_table(out)
    return sink.getvalue().to_pybytes()


def test_pickled_ruleset_scores_in_a_spawned_worker(health, table):
    health.columnar_evaluator  # noqa: B018 - build the caches: they must not travel
    health.row_evaluator  # noqa: B018
    blob = pickle.dumps(health)
    assert len(blob) < 2_000_000
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        got = pool.apply(_score_in_worker, (blob, sink.getvalue().to_pybytes()))
    remote = pa.ipc.open_stream(got).read_all()
    assert remote.equals(health.evaluate_table(table, lang="en"))


_FORKED: dict = {}


def _rows_in_forked_child(_):
    rules, table = _FORKED["rules"], _FORKED["table"]
    return rules.evaluate_table(table, columns="total", chunk_rows=40000, threads=2).num_rows


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")
def test_a_forked_worker_builds_its_own_thread_pool(health):
    # the parent's pool threads do not exist in a forked child: using the inherited pool hung
    from benchmarks.health_data import make_health_table

    table = make_health_table(70000, seed=3)
    health.evaluate_table(table, columns="total", chunk_rows=40000, threads=2)  # the parent's pool exists
    _FORKED.update(rules=health, table=table)
    pool = multiprocessing.get_context("fork").Pool(2)
    try:
        assert pool.map_async(_rows_in_forked_child, range(2)).get(timeout=120) == [70000, 70000]
        pool.close()  # workers leave on their own: no SIGTERM (Pool.terminate hung once, see
        # tests/cli/test_cli.py::test_main_puts_back_the_sigterm_handler_it_replaced)
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def test_threads_scoring_at_once_share_one_chunk_pool(monkeypatch):
    # Service threads whose first evaluate_table calls came at once could each make the
    # process-wide pool of chunk threads (get, then create): all but one were left running.
    import concurrent.futures
    import threading
    import time

    from perfrules import batch

    made = []

    class SlowPool(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            made.append(1)
            time.sleep(0.05)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", SlowPool)
    monkeypatch.setattr(batch, "_POOLS", {})
    start = threading.Barrier(8)

    def first(_):
        start.wait()
        return batch._pool(3)

    threads = [threading.Thread(target=first, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1
    batch._POOLS[3].shutdown()


@pytest.mark.parametrize("one", ["table", "batch"])
def test_evaluate_batches_of_one_table_or_batch(health, table, one):
    # Iterating a Table gives its columns: it failed with "expected a pyarrow Table or
    # RecordBatch …, got ChunkedArray" — for a Table. One table or batch is a stream of one.
    part = table.slice(0, 40)
    given = part if one == "table" else part.combine_chunks().to_batches()[0]
    got = list(health.evaluate_batches(given))
    assert pa.Table.from_batches(got).equals(health.evaluate_table(part))


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_a_series_is_refused_saying_what_to_pass(health, kind):
    # df.iloc[0] (one record) or df["实际支出"] (one column) passed to evaluate_table failed
    # with AttributeError: 'Series' object has no attribute 'columns' (pandas) or
    # 'pyarrow.lib.Int64Array' object has no attribute 'num_rows' (Polars)
    mod = pytest.importorskip(kind)
    series = mod.Series([1, 2])
    with pytest.raises(TypeError, match="Series.*to_frame"):
        health.evaluate_table(series)
    with pytest.raises(TypeError, match="Series.*to_frame"):
        list(health.evaluate_batches([series]))


def test_multiindex_columns_are_refused_saying_how_to_flatten(health):
    # pd.read_excel(header=[0, 1]) of a two-row header: every input was reported missing,
    # without the cause
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("预算", "年初预算数"), ("预算", "调整后预算数")]))
    with pytest.raises(DataProblem, match="MultiIndex") as err:
        health.evaluate_table(df)
    assert "df.columns" in err.value.zh
