"""An output written round(x, k) shows k decimals on every path: API, result files, Parquet."""
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import perfrules
from perfrules.batch import run_file

RULES = """
settings { total 10 }
input 支出: amount
input 预算: amount
indicator 执行 weight 10 { value 支出 / 预算; score ratio(target: 100%) }
output 差额万元 = round(支出 - 预算, 2)
output 执行率 = 支出 / 预算
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "r.rules"
    path.write_text(RULES, encoding="utf-8")
    return perfrules.load(path)


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_api(rules, backend):
    r = rules.evaluate_one({"支出": "60", "预算": "100"}, backend=backend)
    assert r.outputs == {"差额万元": "-40.00", "执行率": "0.6"}


def test_table_and_files(rules, tmp_path):
    t = rules.evaluate_table(pa.table({"支出": ["60", "1.005"], "预算": ["100", "1"]}))
    assert t.schema.field("差额万元").type == pa.decimal128(38, 2)
    assert [str(v) for v in t.column("差额万元").to_pylist()] == ["-40.00", "0.01"]
    data = tmp_path / "d.csv"
    data.write_text("支出,预算\n60,100\n1.005,1\n", encoding="utf-8")
    run_file(rules, data, tmp_path / "o.csv")
    lines = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].split(",")[-4:-2] == ["-40.00", "0.6"] and lines[2].split(",")[-4:-2] == ["0.01", "1.005"]
    run_file(rules, data, tmp_path / "o.parquet")
    assert pq.read_table(tmp_path / "o.parquet").schema.field("差额万元").type == pa.decimal128(38, 2)


def test_a_large_constant_output_in_a_table():
    """A constant output whose value × 10^10 passes 2^52 (here 500,000) was read off the float
    as one 0-d array and crashed the columnar run."""
    rules = perfrules.compile(RULES + "output 基数 = 500000\noutput 系数 = round(1234567.891, 2)\n")
    table = pa.table({"支出": ["60", "70"], "预算": ["100", "100"]})
    for backend in ("columnar", "reference"):
        out = rules.evaluate_table(table, backend=backend)
        assert [str(v) for v in out.column("基数").to_pylist()] == ["500000.0000000000"] * 2
        assert [str(v) for v in out.column("系数").to_pylist()] == ["1234567.89"] * 2
