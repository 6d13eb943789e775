"""Hand-written baselines for the 区卫健局 2024 indicator system (38 leaves).

Three independent implementations of the same rules, written the way an engineer
would without a rule engine. They are the yardstick for perfrules' speed, and a
float cross-check of its results. None of them imports perfrules.

Public API
----------
``score_plain(rows: list[dict]) -> list[tuple[float, str]]``
    Plain Python floats, one row at a time. Values may be decimal strings (as in
    ``health_data.reference_row()``), ints/floats, or None. Returns (total, grade).
``score_numpy(table: pyarrow.Table) -> tuple[np.ndarray, np.ndarray]``
    Vectorised numpy. Returns (totals float64, grades unicode ``<U1``).
``score_polars(table: pyarrow.Table) -> polars.DataFrame``
    Polars lazy expressions. Returns a DataFrame with columns ``total`` (f64) and
    ``grade`` (str).

The tables are expected to have ``health_data.make_health_table``'s schema
(float64 amounts, int64 counts, string categories; nulls for blanks).

Per-leaf helpers for tests and diagnostics: ``leaf_scores_plain(row)``,
``leaf_scores_numpy(table)``, ``leaf_exprs_polars()``; ``LEAVES`` lists
(code, points) in the order used everywhere.

Conventions (numbers-and-monitoring.md §3, reference-health-2024.json):
* rates are fractions (0.9662), not percent;
* each leaf is rounded once, half up, to 2 decimals with the usual float helper
  ``floor(x*100 + 0.5 + 1e-9) / 100``, then clamped to [0, points]; a value at or
  beyond the target short-circuits to full points (SM01, SM08);
* a leaf whose value can't be computed (blank input, zero denominator, unknown
  category, rank outside the table) scores 0.00;
* total = sum of the rounded leaves, rounded again with the same helper to remove
  float dust; grade from that total: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差.

Being float code, these baselines can differ from an exact Decimal evaluation when
a value lands exactly on a band bound or a half-cent (see README.md).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "LEAVES",
    "leaf_exprs_polars",
    "leaf_scores_numpy",
    "leaf_scores_plain",
    "score_numpy",
    "score_plain",
    "score_polars",
]

# (code, points) in evaluation order. Sum of points = 100.
LEAVES: tuple[tuple[str, float], ...] = (
    ("A1.1", 2.0), ("A1.2", 2.0), ("A1.3", 1.0),
    ("A2.1", 4.0), ("A2.2", 2.0), ("A2.3", 2.0),
    ("A3.1", 2.0), ("A3.2", 2.0),
    ("A4.1", 1.0), ("A4.2", 1.0), ("A4.3", 1.0), ("A4.4", 1.0), ("A4.5", 1.0),
    ("A5.1", 2.0), ("A5.2", 1.0), ("A5.3", 1.0),
    ("A6.1", 1.5), ("A6.2", 1.5), ("A6.3", 1.0),
    ("B1.1", 7.0), ("B1.2", 3.0), ("B2", 5.0), ("B3.1", 2.5), ("B3.2", 2.5),
    ("B4", 5.0), ("B5", 5.0),
    ("C1", 6.0), ("C2", 5.0), ("C3", 5.0),
    ("C4.1", 2.0), ("C4.2", 2.0), ("C4.3", 2.0), ("C4.4", 2.0),
    ("C5.1", 2.5), ("C5.2", 2.5), ("C6.1", 2.0), ("C6.2", 3.0), ("C7", 6.0),
)

# shared rule constants -------------------------------------------------------
INNOVATION_POINTS = {"国家级": 3.0, "省级": 2.0, "市级": 1.0, "无": 0.0}  # B1.2
APPRAISAL_POINTS = {"优秀": 5.0, "良好": 4.0, "合格": 3.0, "不合格": 0.0}  # B4
RANK_TABLE = ((1, 3, 5.0), (4, 6, 4.0), (7, 9, 3.0), (10, 13, 2.0))  # B5, SM19
CHECKPOINTS = (  # A2.2, XS-Q
    ("一季度末累计支出", 0.25),
    ("二季度末累计支出", 0.50),
    ("三季度末累计支出", 0.75),
)
# SM01 leaves: code → (numerator, denominator or None, target, points, scale)
# value = numerator / denominator * scale  (or the numerator itself when no denominator)
SM01_LEAVES: dict[str, tuple[str, str | None, float, float, float]] = {
    "A2.1": ("实际支出", "调整后预算数", 1.0, 4.0, 1.0),
    "A3.1": ("达成目标项目数", "项目总数", 1.0, 2.0, 1.0),
    "A4.1": ("已编报绩效目标项目数", "应编报绩效目标项目数", 1.0, 1.0, 1.0),
    "A4.2": ("已监控项目数", "应监控项目数", 1.0, 1.0, 1.0),
    "A4.3": ("已自评项目数", "应自评项目数", 1.0, 1.0, 1.0),
    "A4.5": ("评价问题已整改数", "评价问题应整改数", 1.0, 1.0, 1.0),
    "A5.1": ("实际采购金额", "政府采购预算", 1.0, 2.0, 1.0),
    "A5.2": ("按时公开采购意向数", "应公开采购意向数", 1.0, 1.0, 1.0),
    "A6.1": ("在用固定资产", "固定资产总额", 0.95, 1.5, 1.0),
    "A6.2": ("账实相符资产数", "资产总数", 1.0, 1.5, 1.0),
    "B1.1": ("重点工作完成数", "重点工作计划数", 1.0, 7.0, 1.0),
    "B2": ("重点工作按时完成数", "重点工作计划数", 1.0, 5.0, 1.0),
    "B3.1": ("执行率达标下属单位数", "下属单位数", 1.0, 2.5, 1.0),
    "B3.2": ("下属单位已整改问题数", "下属单位应整改问题数", 1.0, 2.5, 1.0),
    "C1": ("基层诊疗人次", "总诊疗人次", 0.65, 6.0, 1.0),
    "C2": ("基本药物零差率让利金额", None, 3200.0, 5.0, 1.0),
    "C3": ("托位数", "常住人口", 4.5, 5.0, 1000.0),
    "C4.1": ("免疫规划疫苗实种剂次", "免疫规划疫苗应种剂次", 0.90, 2.0, 1.0),
    "C4.2": ("规范健康管理老年人数", "65岁及以上常住人口", 0.62, 2.0, 1.0),
    "C4.3": ("高血压患者规范管理人数", "高血压患者已管理人数", 0.76, 2.0, 1.0),
    "C4.4": ("糖尿病患者规范管理人数", "糖尿病患者已管理人数", 0.76, 2.0, 1.0),
    "C5.1": ("家庭医生签约人数", "常住人口", 0.42, 2.5, 1.0),
    "C5.2": ("重点人群签约人数", "重点人群人数", 0.85, 2.5, 1.0),
    "C6.1": ("传染病及突发事件已报告数", "传染病及突发事件应报告数", 0.95, 2.0, 1.0),
}
# SM09 leaves: code → (count column, penalty per event, points)
SM09_LEAVES: dict[str, tuple[str, float, float]] = {
    "A3.2": ("审计检查发现违规数", 0.5, 2.0),
    "A6.3": ("违规处置数", 0.5, 1.0),
    "C6.2": ("处置不当事件数", 1.0, 3.0),
}
EPS = 1e-9  # half-up nudge used by all three baselines


def _grade(total: float) -> str:
    if total >= 90:
        return "优"
    if total >= 80:
        return "良"
    if total >= 60:
        return "中"
    return "差"


# =============================================================================
# 1. plain Python, row at a time
# =============================================================================


def _r2(x: float) -> float:
    """Round half up to 2 decimals (float, with the customary epsilon nudge)."""
    return math.floor(x * 100 + 0.5 + EPS) / 100


def _num(v) -> float | None:
    """Parse a cell: None / '' / NaN / non-numeric → None."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        f = float(v)
        return None if f != f else f
    s = str(v).strip()
    if not s:
        return None
    try:
        f = float(s)
    except ValueError:
        return None
    return None if f != f else f


def _div(n: float | None, d: float | None) -> float | None:
    if n is None or d is None or d == 0:
        return None
    return n / d


def _clamp(x: float, w: float) -> float:
    return min(max(x, 0.0), w)


def _sm01(v: float | None, t: float, w: float) -> float:
    if v is None:
        return 0.0
    if v < 0:
        v = 0.0
    if v >= t:
        return w
    return _clamp(_r2(v / t * w), w)


def _sm08(v: float | None, t: float, unit: float, p: float, w: float) -> float:
    """Continuous deduction of p per unit above t, floor 0."""
    if v is None:
        return 0.0
    if v <= t:
        return w
    return _clamp(_r2(w - (v - t) / unit * p), w)


def _sm09(count: float | None, p: float, w: float) -> float:
    if count is None:
        return 0.0
    return _clamp(_r2(w - count * p), w)


def leaf_scores_plain(row: dict) -> dict[str, float]:
    """All 38 leaf scores of one department, keyed by code."""
    g = lambda c: _num(row.get(c))  # noqa: E731
    s: dict[str, float] = {}

    # A1.1 预算调整率 SM07: ==0 → 2; ≤10% → 1.5; ≤20% → 1; ≤30% → 0.5; else 0
    init, adj = g("年初预算数"), g("调整后预算数")
    v = _div(abs(adj - init), init) if adj is not None and init is not None else None
    if v is None:
        s["A1.1"] = 0.0
    elif v == 0:
        s["A1.1"] = 2.0
    elif v <= 0.10:
        s["A1.1"] = 1.5
    elif v <= 0.20:
        s["A1.1"] = 1.0
    elif v <= 0.30:
        s["A1.1"] = 0.5
    else:
        s["A1.1"] = 0.0

    # A1.2 三公经费变动率 SM08: ≤0 full, −0.2 per 1 pp above
    cur, prev = g("本年三公经费"), g("上年三公经费")
    v = _div(cur - prev, prev) if cur is not None and prev is not None else None
    s["A1.2"] = _sm08(v, 0.0, 0.01, 0.2, 2.0)

    # A1.3 重点支出安排率 SM07: ≥90% 1; ≥80% 0.8; ≥70% 0.6; ≥60% 0.4; else 0
    v = _div(g("重点项目支出"), g("项目总支出"))
    if v is None:
        s["A1.3"] = 0.0
    elif v >= 0.90:
        s["A1.3"] = 1.0
    elif v >= 0.80:
        s["A1.3"] = 0.8
    elif v >= 0.70:
        s["A1.3"] = 0.6
    elif v >= 0.60:
        s["A1.3"] = 0.4
    else:
        s["A1.3"] = 0.0

    # A2.1 预算执行率 SM01 t=100%
    s["A2.1"] = _sm01(_div(g("实际支出"), adj), 1.0, 4.0)

    # A2.2 季度支出进度 Σ max(0, 序时 − 进度), SM08 −0.05 per pp
    gap: float | None = 0.0
    for col, cp in CHECKPOINTS:
        prog = _div(g(col), adj)
        if prog is None:
            gap = None
            break
        gap += max(0.0, cp - prog)
    s["A2.2"] = _sm08(gap, 0.0, 0.01, 0.05, 2.0)

    # A2.3 结转结余率 SM08: ≤5% full, −0.2 per pp above
    s["A2.3"] = _sm08(_div(g("结转结余数"), adj), 0.05, 0.01, 0.2, 2.0)

    # A4.4 自评质量 SM07 on |自评分 − 复核分|: ≤5 → 1; ≤10 → 0.6; else 0
    a, b = g("部门自评分"), g("财政复核分")
    if a is None or b is None:
        s["A4.4"] = 0.0
    else:
        d = abs(a - b)
        s["A4.4"] = 1.0 if d <= 5 else 0.6 if d <= 10 else 0.0

    # A5.3 中小企业占比 SM07: ≥40% → 1 else 0
    v = _div(g("中小企业合同金额"), g("实际采购金额"))
    s["A5.3"] = 0.0 if v is None else (1.0 if v >= 0.40 else 0.0)

    # SM01 ratio leaves
    for code, (num, den, t, w, scale) in SM01_LEAVES.items():
        v = g(num) if den is None else _div(g(num), g(den))
        s[code] = _sm01(None if v is None else v * scale, t, w)

    # SM09 per-event deductions
    for code, (col, p, w) in SM09_LEAVES.items():
        s[code] = _sm09(g(col), p, w)

    # B1.2 / B4 SM06 category → points
    s["B1.2"] = INNOVATION_POINTS.get(row.get("创新工作最高层级"), 0.0)
    s["B4"] = APPRAISAL_POINTS.get(row.get("区政府综合考评等次"), 0.0)

    # B5 SM19 rank table
    r = g("市卫健委业务考评名次")
    s["B5"] = 0.0
    if r is not None:
        for lo, hi, pts in RANK_TABLE:
            if lo <= r <= hi:
                s["B5"] = pts
                break

    # C7 群众满意度 SM13: lo 70%, hi 90%
    v = _div(g("群众满意样本数"), g("群众有效样本数"))
    if v is None or v <= 0.70:
        s["C7"] = 0.0
    elif v >= 0.90:
        s["C7"] = 6.0
    else:
        s["C7"] = _clamp(_r2((v - 0.70) / (0.90 - 0.70) * 6.0), 6.0)

    return {code: s[code] for code, _ in LEAVES}


def score_plain(rows: list[dict]) -> list[tuple[float, str]]:
    """Score departments one row at a time in plain Python floats.

    ``rows``: dicts keyed by the input column names; values are decimal strings,
    numbers or None (blank). Returns ``[(total, grade), ...]`` in row order, total
    rounded to 2 decimals and grade one of 优/良/中/差.
    """
    out = []
    for row in rows:
        total = _r2(sum(leaf_scores_plain(row).values()))
        out.append((total, _grade(total)))
    return out


# =============================================================================
# 2. numpy, vectorised
# =============================================================================


def _np_r2(x: np.ndarray) -> np.ndarray:
    return np.floor(x * 100 + 0.5 + EPS) / 100


def _np_col(table: pa.Table, name: str) -> np.ndarray:
    """Numeric column as float64 with NaN for nulls."""
    return table.column(name).cast(pa.float64()).to_numpy()


def _np_div(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        v = n / d
    v[d == 0] = np.nan
    return v


def _np_sm01(v: np.ndarray, t: float, w: float) -> np.ndarray:
    v = np.maximum(v, 0.0)  # NaN stays NaN
    s = np.where(v >= t, w, np.clip(_np_r2(v / t * w), 0.0, w))
    return np.where(np.isnan(v), 0.0, s)


def _np_sm08(v: np.ndarray, t: float, unit: float, p: float, w: float) -> np.ndarray:
    s = np.where(v <= t, w, np.clip(_np_r2(w - (v - t) / unit * p), 0.0, w))
    return np.where(np.isnan(v), 0.0, s)


def _np_sm09(c: np.ndarray, p: float, w: float) -> np.ndarray:
    s = np.clip(_np_r2(w - c * p), 0.0, w)
    return np.where(np.isnan(c), 0.0, s)


def _np_bands(v: np.ndarray, conds: list[np.ndarray], pts: list[float]) -> np.ndarray:
    """First matching band wins; NaN (and no match) → 0."""
    s = np.select(conds, pts, default=0.0)
    return np.where(np.isnan(v), 0.0, s)


def _np_category(table: pa.Table, name: str, mapping: dict[str, float]) -> np.ndarray:
    idx = pc.index_in(table.column(name), value_set=pa.array(list(mapping), pa.string()))
    idx = idx.fill_null(-1).to_numpy()
    pts = np.array([*mapping.values(), 0.0])  # index -1 → unknown/blank → 0
    return pts[idx]


def leaf_scores_numpy(table: pa.Table) -> dict[str, np.ndarray]:
    """All 38 leaf scores as float64 arrays, keyed by code."""
    col = lambda c: _np_col(table, c)  # noqa: E731
    s: dict[str, np.ndarray] = {}

    init, adj = col("年初预算数"), col("调整后预算数")
    v = _np_div(np.abs(adj - init), init)
    s["A1.1"] = _np_bands(
        v, [v == 0, v <= 0.10, v <= 0.20, v <= 0.30], [2.0, 1.5, 1.0, 0.5]
    )

    prev = col("上年三公经费")
    v = _np_div(col("本年三公经费") - prev, prev)
    s["A1.2"] = _np_sm08(v, 0.0, 0.01, 0.2, 2.0)

    v = _np_div(col("重点项目支出"), col("项目总支出"))
    s["A1.3"] = _np_bands(
        v, [v >= 0.90, v >= 0.80, v >= 0.70, v >= 0.60], [1.0, 0.8, 0.6, 0.4]
    )

    s["A2.1"] = _np_sm01(_np_div(col("实际支出"), adj), 1.0, 4.0)

    gap = np.zeros(table.num_rows)
    for c, cp in CHECKPOINTS:
        gap = gap + np.maximum(0.0, cp - _np_div(col(c), adj))  # NaN propagates
    s["A2.2"] = _np_sm08(gap, 0.0, 0.01, 0.05, 2.0)

    s["A2.3"] = _np_sm08(_np_div(col("结转结余数"), adj), 0.05, 0.01, 0.2, 2.0)

    d = np.abs(col("部门自评分") - col("财政复核分"))
    s["A4.4"] = _np_bands(d, [d <= 5, d <= 10], [1.0, 0.6])

    v = _np_div(col("中小企业合同金额"), col("实际采购金额"))
    s["A5.3"] = _np_bands(v, [v >= 0.40], [1.0])

    for code, (num, den, t, w, scale) in SM01_LEAVES.items():
        v = col(num) if den is None else _np_div(col(num), col(den))
        s[code] = _np_sm01(v * scale, t, w)

    for code, (c, p, w) in SM09_LEAVES.items():
        s[code] = _np_sm09(col(c), p, w)

    s["B1.2"] = _np_category(table, "创新工作最高层级", INNOVATION_POINTS)
    s["B4"] = _np_category(table, "区政府综合考评等次", APPRAISAL_POINTS)

    r = col("市卫健委业务考评名次")
    s["B5"] = _np_bands(r, [(r >= lo) & (r <= hi) for lo, hi, _ in RANK_TABLE],
                        [p for _, _, p in RANK_TABLE])

    v = _np_div(col("群众满意样本数"), col("群众有效样本数"))
    interp = np.clip(_np_r2((v - 0.70) / (0.90 - 0.70) * 6.0), 0.0, 6.0)
    s["C7"] = _np_bands(v, [v <= 0.70, v >= 0.90], [0.0, 6.0])
    s["C7"] = np.where((v > 0.70) & (v < 0.90), interp, s["C7"])

    return {code: s[code] for code, _ in LEAVES}


def score_numpy(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Score all departments of ``table`` with vectorised numpy.

    Returns ``(totals, grades)``: float64 totals rounded to 2 decimals and a
    unicode array of 优/良/中/差, both of length ``table.num_rows``.
    """
    leaves = leaf_scores_numpy(table)
    total = np.zeros(table.num_rows)
    for code, _ in LEAVES:
        total += leaves[code]
    total = _np_r2(total)
    grades = np.select([total >= 90, total >= 80, total >= 60], ["优", "良", "中"], "差")
    return total, grades


# =============================================================================
# 3. Polars lazy expressions
# =============================================================================


def _pl_r2(x: pl.Expr) -> pl.Expr:
    return (x * 100 + 0.5 + EPS).floor() / 100


def _pl_col(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64)


def _pl_div(n: pl.Expr, d: pl.Expr) -> pl.Expr:
    """n / d, null when either is null or d == 0."""
    return pl.when(d != 0).then(n / d)  # otherwise → null


def _pl_sm01(v: pl.Expr, t: float, w: float) -> pl.Expr:
    v = pl.when(v < 0).then(0.0).otherwise(v)
    return (
        pl.when(v.is_null()).then(0.0)
        .when(v >= t).then(w)
        .otherwise(_pl_r2(v / t * w).clip(0.0, w))
    )


def _pl_sm08(v: pl.Expr, t: float, unit: float, p: float, w: float) -> pl.Expr:
    return (
        pl.when(v.is_null()).then(0.0)
        .when(v <= t).then(w)
        .otherwise(_pl_r2(w - (v - t) / unit * p).clip(0.0, w))
    )


def _pl_sm09(c: pl.Expr, p: float, w: float) -> pl.Expr:
    return pl.when(c.is_null()).then(0.0).otherwise(_pl_r2(w - c * p).clip(0.0, w))


def _pl_bands(v: pl.Expr, bands: list[tuple[pl.Expr, float]]) -> pl.Expr:
    """First matching band wins; null value (and no match) → 0."""
    e = pl.when(v.is_null()).then(0.0)
    for cond, pts in bands:
        e = e.when(cond).then(pts)
    return e.otherwise(0.0)


def leaf_exprs_polars() -> list[pl.Expr]:
    """The 38 leaf-score expressions, aliased by code, in ``LEAVES`` order."""
    c = _pl_col
    e: dict[str, pl.Expr] = {}

    init, adj = c("年初预算数"), c("调整后预算数")
    v = _pl_div((adj - init).abs(), init)
    e["A1.1"] = _pl_bands(v, [(v == 0, 2.0), (v <= 0.10, 1.5), (v <= 0.20, 1.0), (v <= 0.30, 0.5)])

    prev = c("上年三公经费")
    e["A1.2"] = _pl_sm08(_pl_div(c("本年三公经费") - prev, prev), 0.0, 0.01, 0.2, 2.0)

    v = _pl_div(c("重点项目支出"), c("项目总支出"))
    e["A1.3"] = _pl_bands(v, [(v >= 0.90, 1.0), (v >= 0.80, 0.8), (v >= 0.70, 0.6), (v >= 0.60, 0.4)])

    e["A2.1"] = _pl_sm01(_pl_div(c("实际支出"), adj), 1.0, 4.0)

    gap = pl.lit(0.0)
    for col, cp in CHECKPOINTS:
        prog = _pl_div(c(col), adj)
        gap = gap + (cp - prog).clip(lower_bound=0.0)  # null propagates
    e["A2.2"] = _pl_sm08(gap, 0.0, 0.01, 0.05, 2.0)

    e["A2.3"] = _pl_sm08(_pl_div(c("结转结余数"), adj), 0.05, 0.01, 0.2, 2.0)

    d = (c("部门自评分") - c("财政复核分")).abs()
    e["A4.4"] = _pl_bands(d, [(d <= 5, 1.0), (d <= 10, 0.6)])

    v = _pl_div(c("中小企业合同金额"), c("实际采购金额"))
    e["A5.3"] = _pl_bands(v, [(v >= 0.40, 1.0)])

    for code, (num, den, t, w, scale) in SM01_LEAVES.items():
        v = c(num) if den is None else _pl_div(c(num), c(den))
        e[code] = _pl_sm01(v * scale, t, w)

    for code, (col, p, w) in SM09_LEAVES.items():
        e[code] = _pl_sm09(c(col), p, w)

    e["B1.2"] = pl.col("创新工作最高层级").replace_strict(
        INNOVATION_POINTS, default=0.0, return_dtype=pl.Float64).fill_null(0.0)
    e["B4"] = pl.col("区政府综合考评等次").replace_strict(
        APPRAISAL_POINTS, default=0.0, return_dtype=pl.Float64).fill_null(0.0)

    r = c("市卫健委业务考评名次")
    e["B5"] = _pl_bands(r, [((r >= lo) & (r <= hi), p) for lo, hi, p in RANK_TABLE])

    v = _pl_div(c("群众满意样本数"), c("群众有效样本数"))
    e["C7"] = (
        pl.when(v.is_null() | (v <= 0.70)).then(0.0)
        .when(v >= 0.90).then(6.0)
        .otherwise(_pl_r2((v - 0.70) / (0.90 - 0.70) * 6.0).clip(0.0, 6.0))
    )

    return [e[code].alias(code) for code, _ in LEAVES]


def score_polars(table: pa.Table) -> pl.DataFrame:
    """Score all departments of ``table`` with Polars lazy expressions.

    Returns a DataFrame with ``total`` (Float64, rounded to 2 decimals) and
    ``grade`` (String: 优/良/中/差), one row per input row, in order.
    """
    codes = [code for code, _ in LEAVES]
    total = _pl_r2(pl.sum_horizontal(codes))
    grade = (
        pl.when(pl.col("total") >= 90).then(pl.lit("优"))
        .when(pl.col("total") >= 80).then(pl.lit("良"))
        .when(pl.col("total") >= 60).then(pl.lit("中"))
        .otherwise(pl.lit("差"))
    )
    return (
        pl.from_arrow(table).lazy()
        .select(leaf_exprs_polars())
        .select(total.alias("total"))
        .with_columns(grade.alias("grade"))
        .collect()
    )
