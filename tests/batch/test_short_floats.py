"""float32/float16 columns (Parquet from other systems) hold the decimal they show, not their
binary value: 95231.47 stored as float32 is read as 95231.47 on every path."""
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import perfrules
from perfrules.io.cells import widen_short_floats

RULES = Path(__file__).resolve().parents[2] / "rulesets" / "health" / "health.rules"


def test_float32_reads_the_shortest_decimal():
    col = pa.array([95231.47, 0.1, 1.2e-7, None, -0.0, 12345678.0], pa.float32())
    out = widen_short_floats(col)
    assert out.type == pa.float64()
    assert out.to_pylist()[:4] == [95231.47, 0.1, 1.2e-7, None]
    assert float(np.float32(95231.47)) == 95231.46875  # what a plain widening would give


def test_float16_reads_the_shortest_decimal():
    col = pa.array(np.array([0.1, 1.5], np.float16))
    assert widen_short_floats(col).to_pylist() == [0.1, 1.5]


def test_other_columns_pass_through():
    col = pa.array([1.5, None])
    assert widen_short_floats(col) is col


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_float32_table_scores_like_its_decimals(backend):
    """The reference department with every decimal figure stored as float32 (95231.47f is
    95231.46875 in binary) scores exactly as the same figures written as decimals."""
    import pyarrow.csv as pacsv

    rules = perfrules.load(RULES)
    text = pacsv.read_csv(RULES.with_name("health-reference.csv"),
                          convert_options=pacsv.ConvertOptions(strings_can_be_null=True,
                                                               column_types={}))
    text = text.cast(pa.schema([pa.field(n, pa.string()) for n in text.column_names]))
    narrowed = {}
    for name, col in zip(text.column_names, text.columns):
        cells = col.to_pylist()
        if all(c is None or c.replace(".", "", 1).isdigit() for c in cells) and any(c and "." in c for c in cells):
            narrowed[name] = pa.array([None if c is None else float(c) for c in cells], pa.float32())
        else:
            narrowed[name] = col
    assert len([c for c in narrowed.values() if c.type == pa.float32()]) >= 5
    as_decimals = rules.evaluate_table(text, backend=backend)
    as_float32 = rules.evaluate_table(pa.table(narrowed), backend=backend)
    assert as_float32.to_pylist() == as_decimals.to_pylist()
    assert as_float32.column("总分").to_pylist() == [Decimal("90.15")]


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
def test_a_float32_scalar_reads_as_its_decimal(backend):
    """A cell handed over as a numpy float32 scalar is the decimal it shows, as in a column."""
    rules = perfrules.compile("""
input 甲: amount
indicator 甲指标 weight 100 { value 甲; score bands { value == 95231.47 -> 100; otherwise -> 0 } }
""")
    assert str(rules.evaluate_one({"甲": np.float32(95231.47)}, backend=backend).total) == "100.00"
