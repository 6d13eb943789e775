"""Checks for the benchmark generator and the three hand-written baselines.

Run from the repository root:
    /tmp/venv/bin/python -m pytest benchmarks/test_baselines.py -q
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from benchmarks.baselines import (
    LEAVES,
    leaf_exprs_polars,
    leaf_scores_numpy,
    leaf_scores_plain,
    score_numpy,
    score_plain,
    score_polars,
)
from benchmarks.health_data import (
    AMOUNT_COLUMNS,
    CATEGORY_VALUES,
    COUNT_COLUMNS,
    DENOMINATOR_COLUMNS,
    INPUT_COLUMNS,
    REFERENCE_GRADE,
    REFERENCE_LEAF_SCORES,
    REFERENCE_TOTAL,
    make_health_table,
    reference_row,
    reference_table,
)

REF_TOTAL = float(REFERENCE_TOTAL)


@pytest.fixture(scope="module")
def table10k() -> pa.Table:
    return make_health_table(10_000, seed=7)


# --------------------------------------------------------------------------- reference


def test_leaf_table_matches_reference_json():
    assert [c for c, _ in LEAVES] == list(REFERENCE_LEAF_SCORES)
    assert len(LEAVES) == 38
    assert math.isclose(sum(w for _, w in LEAVES), 100.0)


def test_plain_reference_strings():
    assert score_plain([reference_row()]) == [(REF_TOTAL, REFERENCE_GRADE)]
    leaves = leaf_scores_plain(reference_row())
    assert {k: f"{v:.2f}" for k, v in leaves.items()} == REFERENCE_LEAF_SCORES


def test_plain_reference_typed_values():
    # the same row as typed Python values (what table.to_pylist() yields)
    assert score_plain(reference_table().to_pylist()) == [(REF_TOTAL, REFERENCE_GRADE)]


def test_numpy_reference():
    totals, grades = score_numpy(reference_table())
    assert totals.tolist() == [REF_TOTAL]
    assert grades.tolist() == [REFERENCE_GRADE]
    leaves = leaf_scores_numpy(reference_table())
    assert {k: f"{v[0]:.2f}" for k, v in leaves.items()} == REFERENCE_LEAF_SCORES


def test_polars_reference():
    df = score_polars(reference_table())
    assert df.columns == ["total", "grade"]
    assert df.rows() == [(REF_TOTAL, REFERENCE_GRADE)]
    leaves = pl.from_arrow(reference_table()).select(leaf_exprs_polars()).row(0, named=True)
    assert {k: f"{v:.2f}" for k, v in leaves.items()} == REFERENCE_LEAF_SCORES


# ------------------------------------------------------------- missing / edge handling


def _with(table: pa.Table, name: str, value) -> pa.Table:
    i = table.schema.get_field_index(name)
    typ = table.schema.field(i).type
    return table.set_column(i, table.schema.field(i), pa.array([value], typ))


def _all_three_leaves(table: pa.Table) -> list[dict[str, float]]:
    plain = leaf_scores_plain(table.to_pylist()[0])
    npy = {k: float(v[0]) for k, v in leaf_scores_numpy(table).items()}
    pol = pl.from_arrow(table).select(leaf_exprs_polars()).row(0, named=True)
    return [plain, npy, pol]


@pytest.mark.parametrize(
    ("column", "value", "leaf", "expected"),
    [
        # blanks
        ("年初预算数", None, "A1.1", 0.0),
        ("调整后预算数", None, "A2.1", 0.0),
        ("二季度末累计支出", None, "A2.2", 0.0),
        ("部门自评分", None, "A4.4", 0.0),
        ("审计检查发现违规数", None, "A3.2", 0.0),
        ("创新工作最高层级", None, "B1.2", 0.0),
        ("市卫健委业务考评名次", None, "B5", 0.0),
        ("基本药物零差率让利金额", None, "C2", 0.0),
        ("群众满意样本数", None, "C7", 0.0),
        # zero denominators
        ("年初预算数", 0.0, "A1.1", 0.0),
        ("上年三公经费", 0.0, "A1.2", 0.0),
        ("调整后预算数", 0.0, "A2.2", 0.0),
        ("调整后预算数", 0.0, "A2.3", 0.0),
        ("实际采购金额", 0.0, "A5.3", 0.0),
        ("评价问题应整改数", 0, "A4.5", 0.0),
        ("常住人口", 0, "C3", 0.0),
        ("群众有效样本数", 0, "C7", 0.0),
        # unknown category / rank outside the table
        ("创新工作最高层级", "县级", "B1.2", 0.0),
        ("区政府综合考评等次", "良", "B4", 0.0),
        ("市卫健委业务考评名次", 14, "B5", 0.0),
        # band edges and caps
        ("调整后预算数", 92000.00, "A1.1", 2.0),  # no adjustment → "== 0" band
        ("调整后预算数", 101200.00, "A1.1", 1.5),  # exactly 10 % → "≤ 10 %" band
        ("财政复核分", 87.50, "A4.4", 1.0),  # |diff| exactly 5 → "≤ 5" band
        ("财政复核分", 82.50, "A4.4", 0.6),  # |diff| exactly 10
        ("本年三公经费", 80.00, "A1.2", 2.0),  # decrease → full
        ("结转结余数", 0.00, "A2.3", 2.0),
        ("市卫健委业务考评名次", 13, "B5", 2.0),
        ("群众满意样本数", 700, "C7", 0.0),
        ("群众满意样本数", 950, "C7", 6.0),
        ("群众满意样本数", 820, "C7", 3.6),
        ("审计检查发现违规数", 9, "A3.2", 0.0),  # floor 0
    ],
)
def test_leaf_edge_cases(column, value, leaf, expected):
    table = _with(reference_table(), column, value)
    for impl, leaves in zip(("plain", "numpy", "polars"), _all_three_leaves(table)):
        assert leaves[leaf] == pytest.approx(expected, abs=1e-12), (impl, leaves[leaf])


def test_exact_half_cent_after_repeating_ratio():
    # 788/960 = 0.8208333…; (v − 0.70)/0.20 × 6 is exactly 3.625 → half up → 3.63.
    # (A Decimal evaluation at finite precision sees 3.6249999… and gives 3.62.)
    table = _with(_with(reference_table(), "群众满意样本数", 788), "群众有效样本数", 960)
    for impl, leaves in zip(("plain", "numpy", "polars"), _all_three_leaves(table)):
        assert leaves["C7"] == pytest.approx(3.63, abs=1e-12), (impl, leaves["C7"])


def test_plain_accepts_blank_and_garbage_strings():
    row = reference_row()
    row["实际支出"] = ""
    row["群众有效样本数"] = "n/a"
    leaves = leaf_scores_plain(row)
    assert leaves["A2.1"] == 0.0 and leaves["C7"] == 0.0
    # everything else unchanged
    ref = {k: float(v) for k, v in REFERENCE_LEAF_SCORES.items()}
    assert {k: v for k, v in leaves.items() if k not in ("A2.1", "C7")} == pytest.approx(
        {k: v for k, v in ref.items() if k not in ("A2.1", "C7")}
    )


def test_grade_bands():
    rows = [reference_row() for _ in range(3)]
    rows[1]["季度支出进度达序时"] = None  # not an input: ignored
    rows[2]["二季度末累计支出"] = ""  # A2.2 1.65 → 0 → total 88.50 → 良
    out = score_plain(rows)
    assert out[0] == (90.15, "优") and out[1] == (90.15, "优")
    assert out[2] == (88.5, "良")


# ----------------------------------------------------------------------- agreement


def test_three_baselines_agree_on_10k(table10k):
    plain = score_plain(table10k.to_pylist())
    p_tot = np.array([t for t, _ in plain])
    p_gr = np.array([g for _, g in plain])
    n_tot, n_gr = score_numpy(table10k)
    df = score_polars(table10k)
    assert len(plain) == len(n_tot) == df.height == 10_000
    assert np.abs(p_tot - n_tot).max() < 0.005
    assert np.abs(p_tot - df["total"].to_numpy()).max() < 0.005
    assert (p_gr == n_gr).all()
    assert (p_gr == df["grade"].to_numpy()).all()
    # the data exercise more than one grade
    assert {"优", "良", "中"} <= set(p_gr.tolist())


def test_leaves_agree_on_10k(table10k):
    rows = table10k.to_pylist()
    plain = [leaf_scores_plain(r) for r in rows]
    npy = leaf_scores_numpy(table10k)
    pol = pl.from_arrow(table10k).select(leaf_exprs_polars())
    for code, points in LEAVES:
        a = np.array([p[code] for p in plain])
        # Polars divides by a scalar via the reciprocal: allow 1-ulp-level noise
        np.testing.assert_allclose(a, npy[code], rtol=0, atol=1e-9, err_msg=code)
        np.testing.assert_allclose(a, pol[code].to_numpy(), rtol=0, atol=1e-9, err_msg=code)
        assert a.min() >= 0.0 and a.max() <= points, code
        # each leaf is a whole number of cents
        assert np.abs(a * 100 - np.rint(a * 100)).max() < 1e-6, code
        # and each leaf's "not computable" path is hit somewhere
        assert (a == 0).any(), code


def test_empty_table():
    t = make_health_table(0)
    assert t.num_rows == 0
    assert score_plain([]) == []
    totals, grades = score_numpy(t)
    assert len(totals) == len(grades) == 0
    assert score_polars(t).height == 0


# ----------------------------------------------------------------------- generator


def test_generator_schema(table10k):
    assert tuple(table10k.column_names) == INPUT_COLUMNS == tuple(reference_row())
    assert len(INPUT_COLUMNS) == 65
    for f in table10k.schema:
        if f.name in AMOUNT_COLUMNS:
            assert f.type == pa.float64(), f.name
        elif f.name in CATEGORY_VALUES:
            assert f.type == pa.string(), f.name
        else:
            assert f.name in COUNT_COLUMNS and f.type == pa.int64(), f.name
    assert reference_table().schema == table10k.schema


def test_generator_deterministic():
    assert make_health_table(500, seed=3).equals(make_health_table(500, seed=3))
    assert not make_health_table(500, seed=3).equals(make_health_table(500, seed=4))


def test_generator_values(table10k):
    for name in AMOUNT_COLUMNS:
        x = table10k.column(name).drop_null().to_numpy()
        assert (x >= 0).all(), name
        # exact cents: the 2-dp string is the value
        assert all(float(f"{v:.2f}") == v for v in x[:2000]), name
        assert np.abs(x * 100 - np.rint(x * 100)).max() < 1e-6, name
    for name in COUNT_COLUMNS:
        assert (table10k.column(name).drop_null().to_numpy() >= 0).all(), name
    for name, values in CATEGORY_VALUES.items():
        seen = set(table10k.column(name).drop_null().to_pylist())
        assert seen == set(values), name
    rank = table10k.column("市卫健委业务考评名次").drop_null().to_numpy()
    assert rank.min() == 1 and rank.max() == 13
    # amounts follow the reference department's scale
    budget = np.nanmedian(table10k.column("年初预算数").to_numpy())
    assert 60_000 < budget < 130_000


def test_generator_missing_and_zero_denominators(table10k):
    n = table10k.num_rows
    for name in INPUT_COLUMNS:
        frac = table10k.column(name).null_count / n
        assert 0.004 < frac < 0.016, (name, frac)
    for den in DENOMINATOR_COLUMNS:
        x = table10k.column(den).drop_null().to_numpy()
        assert 0.004 < (x == 0).mean() < 0.016, den
