"""Chunks of a big table are Arrow slices (an offset into the parent's buffers): the null mask
and value slots must be read at the slice's offset, whatever its bit alignment."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import given, settings, strategies as st

import perfrules
from perfrules.runtime.columns import _nulls

ROOT = Path(__file__).resolve().parents[2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | st.integers(-5, 5), max_size=70), st.data())
def test_null_mask_of_a_slice(values, data):
    arr = pa.array(values, pa.int64())
    off = data.draw(st.integers(0, len(values)))
    length = data.draw(st.integers(0, len(values) - off))
    part = arr.slice(off, length)
    want = np.array([v is None for v in values[off:off + length]], dtype=bool)
    got = _nulls(part)
    assert got.shape == want.shape and (got == want).all()


def test_sliced_table_scores_like_its_copy():
    rules = perfrules.load(ROOT / "rulesets" / "health" / "health.rules")
    from benchmarks.health_data import make_health_table

    table = make_health_table(3000, seed=7)
    for off, n in ((0, 3000), (13, 1000), (1001, 777), (2999, 1)):
        part = table.slice(off, n)
        copied = pa.table({c: pa.array(part.column(c).to_pylist(), part.schema.field(c).type) for c in part.column_names})
        assert rules.evaluate_table(part, chunk_rows=256).equals(rules.evaluate_table(copied, chunk_rows=256))
