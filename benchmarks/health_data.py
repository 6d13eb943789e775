"""Synthetic department data for the 区卫健局 2024 reference system.

Public API (used by the baselines and by later side-by-side scripts):

* ``make_health_table(n, seed=0, *, blank_rate=0.01, zero_rate=0.01) -> pyarrow.Table``
  -- ``n`` synthetic departments, one row each, with exactly the input columns of
  ``reference-health-2024.json`` → ``inputs`` (same Chinese names, same order).
* ``reference_row() -> dict[str, str]`` -- the reference department's inputs as the
  decimal strings of the JSON (a fresh copy on every call).
* ``reference_table() -> pyarrow.Table`` -- the same single department with the
  schema of ``make_health_table`` (handy for the numpy / Polars baselines).
* ``REFERENCE_LEAF_SCORES`` (code → "x.xx"), ``REFERENCE_TOTAL`` ("90.15"),
  ``REFERENCE_GRADE`` ("优") -- expected figures from the JSON.
* ``AMOUNT_COLUMNS`` / ``COUNT_COLUMNS`` / ``CATEGORY_COLUMNS`` / ``DENOMINATOR_COLUMNS``.

Column types: amounts (万元) and the two 0–100 scores are float64 holding an exact
number of cents, i.e. ``f"{x:.2f}"`` gives the decimal string the value was built
from; counts, people, ranks are int64; the two graded categories are string.

Missing data: every cell is independently blank (null) with probability
``blank_rate``; every denominator cell is independently set to zero with
probability ``zero_rate`` (together with the numerators that are a subset of it,
e.g. 已整改 = 应整改 = 0, so the row stays plausible). With the defaults about 47 %
of rows have at least one blank and about 25 % at least one zero denominator, so
every leaf's "not computable → 0.00" path is hit ~100–300 times per 10k rows.

The data are synthetic; ranges are centred on the reference department, with a
per-department "quality" factor so that totals spread over 良 / 优 (and a few 中).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = [
    "AMOUNT_COLUMNS",
    "CATEGORY_COLUMNS",
    "CATEGORY_VALUES",
    "COUNT_COLUMNS",
    "DENOMINATOR_COLUMNS",
    "INPUT_COLUMNS",
    "REFERENCE_GRADE",
    "REFERENCE_LEAF_SCORES",
    "REFERENCE_TOTAL",
    "make_health_table",
    "reference_row",
    "reference_table",
]

# Copied verbatim from /work/shared/domain/reference-health-2024.json → "inputs"
# (order preserved). The JSON is outside the repository, so it is embedded here.
_REFERENCE_INPUTS: dict[str, str] = {
    "年初预算数": "92000.00",
    "调整后预算数": "98560.00",
    "实际支出": "95231.47",
    "本年三公经费": "88.12",
    "上年三公经费": "86.40",
    "重点项目支出": "41850.00",
    "项目总支出": "48900.00",
    "一季度末累计支出": "20993.28",
    "二季度末累计支出": "45928.96",
    "三季度末累计支出": "76100.00",
    "结转结余数": "3328.53",
    "达成目标项目数": "37",
    "项目总数": "40",
    "审计检查发现违规数": "2",
    "已编报绩效目标项目数": "40",
    "应编报绩效目标项目数": "40",
    "已监控项目数": "40",
    "应监控项目数": "40",
    "已自评项目数": "39",
    "应自评项目数": "40",
    "部门自评分": "92.50",
    "财政复核分": "88.30",
    "评价问题已整改数": "11",
    "评价问题应整改数": "12",
    "实际采购金额": "12460.35",
    "政府采购预算": "13200.00",
    "按时公开采购意向数": "58",
    "应公开采购意向数": "60",
    "中小企业合同金额": "5831.44",
    "在用固定资产": "18902.10",
    "固定资产总额": "19650.00",
    "账实相符资产数": "4812",
    "资产总数": "4850",
    "违规处置数": "0",
    "重点工作完成数": "28",
    "重点工作计划数": "30",
    "重点工作按时完成数": "27",
    "创新工作最高层级": "省级",
    "执行率达标下属单位数": "17",
    "下属单位数": "19",
    "下属单位已整改问题数": "23",
    "下属单位应整改问题数": "23",
    "区政府综合考评等次": "良好",
    "市卫健委业务考评名次": "4",
    "基层诊疗人次": "3120000",
    "总诊疗人次": "5000000",
    "基本药物零差率让利金额": "3415.60",
    "托位数": "2884",
    "常住人口": "700000",
    "免疫规划疫苗实种剂次": "49300",
    "免疫规划疫苗应种剂次": "50000",
    "规范健康管理老年人数": "60800",
    "65岁及以上常住人口": "100000",
    "高血压患者规范管理人数": "30920",
    "高血压患者已管理人数": "40000",
    "糖尿病患者规范管理人数": "8988",
    "糖尿病患者已管理人数": "12000",
    "家庭医生签约人数": "304500",
    "重点人群签约人数": "164200",
    "重点人群人数": "200000",
    "传染病及突发事件已报告数": "499",
    "传染病及突发事件应报告数": "500",
    "处置不当事件数": "1",
    "群众满意样本数": "873",
    "群众有效样本数": "1000",
}

# reference-health-2024.json → expected.indicators[*].score, keyed by code.
REFERENCE_LEAF_SCORES: dict[str, str] = {
    "A1.1": "1.50",  # 预算调整率
    "A1.2": "1.60",  # “三公”经费变动率
    "A1.3": "0.80",  # 重点支出安排率
    "A2.1": "3.86",  # 预算执行率
    "A2.2": "1.65",  # 季度支出进度达序时
    "A2.3": "2.00",  # 结转结余率
    "A3.1": "1.85",  # 项目绩效目标完成率
    "A3.2": "1.00",  # 资金使用合规性
    "A4.1": "1.00",  # 绩效目标编报覆盖率
    "A4.2": "1.00",  # 绩效运行监控覆盖率
    "A4.3": "0.98",  # 绩效自评覆盖率
    "A4.4": "1.00",  # 自评质量
    "A4.5": "0.92",  # 评价问题整改完成率
    "A5.1": "1.89",  # 政府采购执行率
    "A5.2": "0.97",  # 采购意向公开及时率
    "A5.3": "1.00",  # 面向中小企业采购占比
    "A6.1": "1.50",  # 固定资产利用率
    "A6.2": "1.49",  # 资产账实相符率
    "A6.3": "1.00",  # 资产处置规范性
    "B1.1": "6.53",  # 重点工作任务完成率
    "B1.2": "2.00",  # 创新工作推广/表彰层级
    "B2": "4.50",  # 重点任务按时完成率
    "B3.1": "2.24",  # 下属单位预算执行率达标占比
    "B3.2": "2.50",  # 下属单位问题整改完成率
    "B4": "4.00",  # 区政府综合考评等次
    "B5": "4.00",  # 市卫健委业务考评名次
    "C1": "5.76",  # 基层医疗卫生机构诊疗量占比
    "C2": "5.00",  # 基本药物零差率让利金额
    "C3": "4.58",  # 每千人口3岁以下婴幼儿托位数
    "C4.1": "2.00",  # 适龄儿童国家免疫规划疫苗接种率
    "C4.2": "1.96",  # 65岁及以上老年人城乡社区规范健康管理服务率
    "C4.3": "2.00",  # 高血压患者基层规范管理服务率
    "C4.4": "1.97",  # 2型糖尿病患者基层规范管理服务率
    "C5.1": "2.50",  # 家庭医生签约服务覆盖率
    "C5.2": "2.41",  # 重点人群签约服务覆盖率
    "C6.1": "2.00",  # 传染病和突发公共卫生事件报告率
    "C6.2": "2.00",  # 突发公共卫生事件处置
    "C7": "5.19",  # 群众满意度
}
REFERENCE_TOTAL = "90.15"
REFERENCE_GRADE = "优"

INPUT_COLUMNS: tuple[str, ...] = tuple(_REFERENCE_INPUTS)

AMOUNT_COLUMNS: tuple[str, ...] = (
    "年初预算数",
    "调整后预算数",
    "实际支出",
    "本年三公经费",
    "上年三公经费",
    "重点项目支出",
    "项目总支出",
    "一季度末累计支出",
    "二季度末累计支出",
    "三季度末累计支出",
    "结转结余数",
    "部门自评分",
    "财政复核分",
    "实际采购金额",
    "政府采购预算",
    "中小企业合同金额",
    "在用固定资产",
    "固定资产总额",
    "基本药物零差率让利金额",
)

CATEGORY_VALUES: dict[str, tuple[str, ...]] = {
    "创新工作最高层级": ("国家级", "省级", "市级", "无"),
    "区政府综合考评等次": ("优秀", "良好", "合格", "不合格"),
}
CATEGORY_COLUMNS: tuple[str, ...] = tuple(CATEGORY_VALUES)

COUNT_COLUMNS: tuple[str, ...] = tuple(
    c for c in INPUT_COLUMNS if c not in AMOUNT_COLUMNS and c not in CATEGORY_VALUES
)

# denominator → numerators that are a subset of it (zeroed together with it).
DENOMINATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "年初预算数": (),
    "调整后预算数": ("实际支出", "一季度末累计支出", "二季度末累计支出", "三季度末累计支出", "结转结余数"),
    "上年三公经费": (),
    "项目总支出": ("重点项目支出",),
    "项目总数": ("达成目标项目数",),
    "应编报绩效目标项目数": ("已编报绩效目标项目数",),
    "应监控项目数": ("已监控项目数",),
    "应自评项目数": ("已自评项目数",),
    "评价问题应整改数": ("评价问题已整改数",),
    "政府采购预算": (),
    "实际采购金额": ("中小企业合同金额",),
    "应公开采购意向数": ("按时公开采购意向数",),
    "固定资产总额": ("在用固定资产",),
    "资产总数": ("账实相符资产数",),
    "重点工作计划数": ("重点工作完成数", "重点工作按时完成数"),
    "下属单位数": ("执行率达标下属单位数",),
    "下属单位应整改问题数": ("下属单位已整改问题数",),
    "总诊疗人次": ("基层诊疗人次",),
    "常住人口": (),
    "免疫规划疫苗应种剂次": ("免疫规划疫苗实种剂次",),
    "65岁及以上常住人口": ("规范健康管理老年人数",),
    "高血压患者已管理人数": ("高血压患者规范管理人数",),
    "糖尿病患者已管理人数": ("糖尿病患者规范管理人数",),
    "重点人群人数": ("重点人群签约人数",),
    "传染病及突发事件应报告数": ("传染病及突发事件已报告数",),
    "群众有效样本数": ("群众满意样本数",),
}


def reference_row() -> dict[str, str]:
    """The reference department's raw inputs, as decimal strings (a fresh copy)."""
    return dict(_REFERENCE_INPUTS)


def _schema() -> pa.Schema:
    fields = []
    for c in INPUT_COLUMNS:
        if c in AMOUNT_COLUMNS:
            fields.append(pa.field(c, pa.float64()))
        elif c in CATEGORY_VALUES:
            fields.append(pa.field(c, pa.string()))
        else:
            fields.append(pa.field(c, pa.int64()))
    return pa.schema(fields)


def reference_table() -> pa.Table:
    """One-row table of the reference department with ``make_health_table``'s schema."""
    schema = _schema()
    cols = []
    for f in schema:
        v = _REFERENCE_INPUTS[f.name]
        if pa.types.is_float64(f.type):
            cols.append(pa.array([float(v)], pa.float64()))
        elif pa.types.is_int64(f.type):
            cols.append(pa.array([int(v)], pa.int64()))
        else:
            cols.append(pa.array([v], pa.string()))
    return pa.Table.from_arrays(cols, schema=schema)


def make_health_table(
    n: int, seed: int = 0, *, blank_rate: float = 0.01, zero_rate: float = 0.01
) -> pa.Table:
    """Generate ``n`` synthetic 区卫健局-style departments as a pyarrow Table.

    Columns are exactly ``INPUT_COLUMNS`` (the JSON's ``inputs``), typed float64
    (amounts, exact cents), int64 (counts) or string (categories). Deterministic for
    a given ``(n, seed, blank_rate, zero_rate)``. About 1–2 s per million rows.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = np.random.default_rng(seed)
    i64 = np.int64

    quality = rng.standard_normal(n)  # department-level: good departments do well everywhere

    def rate(mean: float, sd: float, lo: float, hi: float) -> np.ndarray:
        z = rng.standard_normal(n)
        return np.clip(mean + sd * (0.6 * quality + 0.8 * z), lo, hi)

    def rint(x: np.ndarray) -> np.ndarray:
        return np.rint(x).astype(i64)

    s_budget = rng.lognormal(0.0, 0.35, n)
    s_pop = rng.lognormal(0.0, 0.35, n)

    # ---- amounts, all in integer cents (分 of 万元) -------------------------------
    init_c = rint(9_200_000 * s_budget)
    adj_ratio = np.clip(rng.normal(0.06, 0.07, n), -0.25, 0.45)
    adj_ratio[rng.random(n) < 0.08] = 0.0  # no adjustment at all (A1.1 "== 0" band)
    adj_c = rint(init_c * (1.0 + adj_ratio))
    r_exec = rate(0.955, 0.03, 0.60, 1.0)
    act_c = rint(adj_c * r_exec)
    carry_c = adj_c - act_c

    prev3_c = rint(8_640 * rng.lognormal(0.0, 0.3, n))
    cur3_c = rint(prev3_c * (1.0 + np.clip(rng.normal(0.0, 0.04, n) - 0.01 * quality, -0.3, 0.3)))

    proj_c = rint(adj_c * rng.uniform(0.40, 0.60, n))
    key_c = rint(proj_c * rate(0.84, 0.07, 0.40, 1.0))

    f3 = np.minimum(rate(0.76, 0.03, 0.40, 0.95), r_exec)
    f2 = np.minimum(f3 - np.clip(rng.normal(0.29, 0.03, n), 0.15, 0.40), f3)
    f1 = np.minimum(f2 - np.clip(rng.normal(0.25, 0.03, n), 0.10, 0.35), f2)
    f2 = np.clip(f2, 0.0, None)
    f1 = np.clip(f1, 0.0, None)
    q1_c, q2_c, q3_c = rint(adj_c * f1), rint(adj_c * f2), rint(adj_c * f3)

    self_c = rint(np.clip(rng.normal(92.0, 3.0, n), 60.0, 100.0) * 10) * 10  # 1 decimal
    review_c = np.clip(self_c - rint(rng.normal(4.0, 3.0, n) * 10) * 10, 0, 10_000)

    pbud_c = rint(adj_c * rng.uniform(0.11, 0.16, n))
    pact_c = rint(pbud_c * rate(0.94, 0.04, 0.50, 1.02))
    sme_c = rint(pact_c * np.clip(rng.normal(0.46, 0.07, n), 0.05, 1.0))

    fa_c = rint(1_965_000 * s_budget * rng.lognormal(0.0, 0.2, n))
    fa_use_c = rint(fa_c * rate(0.96, 0.025, 0.70, 1.0))

    drug_c = rint(341_560 * s_pop * rng.lognormal(0.0, 0.12, n))

    # ---- counts ------------------------------------------------------------------
    n_proj = np.clip(rint(40 * np.sqrt(s_budget) * rng.lognormal(0.0, 0.2, n)), 5, 200)
    proj_ok = rint(n_proj * rate(0.92, 0.05, 0.5, 1.0))
    violations = rng.poisson(np.clip(1.0 - 0.4 * quality, 0.1, 4.0))
    goals_done = rint(n_proj * rate(0.99, 0.02, 0.7, 1.0))
    monitored = rint(n_proj * rate(0.98, 0.02, 0.7, 1.0))
    self_eval = rint(n_proj * rate(0.975, 0.03, 0.6, 1.0))
    fix_due = rng.poisson(12, n)
    fix_done = rint(fix_due * rate(0.93, 0.06, 0.3, 1.0))
    intent_due = np.maximum(rng.poisson(60 * np.sqrt(s_budget)), 1)
    intent_ok = rint(intent_due * rate(0.965, 0.03, 0.6, 1.0))
    assets = np.maximum(rint(4_850 * s_budget * rng.lognormal(0.0, 0.2, n)), 50)
    assets_ok = rint(assets * rate(0.99, 0.01, 0.85, 1.0))
    bad_disposal = rng.poisson(np.clip(0.3 - 0.15 * quality, 0.02, 2.0))
    tasks = np.clip(rint(rng.normal(30, 5, n)), 8, 60)
    tasks_done = rint(tasks * rate(0.93, 0.05, 0.5, 1.0))
    tasks_ontime = rint(tasks_done * rate(0.96, 0.04, 0.5, 1.0))
    units = np.clip(rint(rng.normal(19, 4, n)), 3, 40)
    units_ok = rint(units * rate(0.88, 0.08, 0.3, 1.0))
    sub_due = rng.poisson(23, n)
    sub_done = rint(sub_due * rate(0.97, 0.04, 0.5, 1.0))
    rank = np.clip(rint(7 - 2.5 * quality + rng.normal(0, 2.5, n)), 1, 13)

    visits = rint(5_000_000 * s_pop * rng.lognormal(0.0, 0.1, n))
    visits_base = rint(visits * rate(0.62, 0.04, 0.3, 0.9))
    pop = rint(700_000 * s_pop)
    cribs = rint(pop * rate(4.2, 0.5, 1.0, 8.0) / 1000)
    vacc_due = rint(pop * np.clip(rng.normal(0.0714, 0.005, n), 0.04, 0.1))
    vacc_done = rint(vacc_due * rate(0.975, 0.012, 0.8, 1.0))
    pop65 = rint(pop * np.clip(rng.normal(0.143, 0.02, n), 0.06, 0.3))
    pop65_ok = rint(pop65 * rate(0.61, 0.03, 0.3, 0.9))
    hyp = rint(pop65 * 0.40 * rng.uniform(0.85, 1.15, n))
    hyp_ok = rint(hyp * rate(0.77, 0.03, 0.4, 0.95))
    dia = rint(pop65 * 0.12 * rng.uniform(0.85, 1.15, n))
    dia_ok = rint(dia * rate(0.75, 0.03, 0.4, 0.95))
    family = rint(pop * rate(0.435, 0.03, 0.2, 0.8))
    keypop = rint(pop * np.clip(rng.normal(0.2857, 0.03, n), 0.1, 0.5))
    keypop_ok = rint(keypop * rate(0.83, 0.04, 0.4, 1.0))
    rep_due = np.maximum(rng.poisson(500 * s_pop), 1)
    rep_done = rint(rep_due * rate(0.995, 0.005, 0.9, 1.0))
    mishandled = rng.poisson(np.clip(0.5 - 0.25 * quality, 0.05, 3.0))
    survey = rng.integers(800, 1201, n)
    survey_ok = rint(survey * rate(0.86, 0.035, 0.5, 1.0))

    # ---- categories (indices into CATEGORY_VALUES) --------------------------------
    innov_p = np.array([0.08, 0.35, 0.40, 0.17])
    innov = np.searchsorted(np.cumsum(innov_p), rng.random(n) * innov_p.sum())
    grade_p = np.array([0.30, 0.50, 0.17, 0.03])
    grade = np.searchsorted(np.cumsum(grade_p), rng.random(n) * grade_p.sum())

    data: dict[str, np.ndarray] = {
        "年初预算数": init_c,
        "调整后预算数": adj_c,
        "实际支出": act_c,
        "本年三公经费": cur3_c,
        "上年三公经费": prev3_c,
        "重点项目支出": key_c,
        "项目总支出": proj_c,
        "一季度末累计支出": q1_c,
        "二季度末累计支出": q2_c,
        "三季度末累计支出": q3_c,
        "结转结余数": carry_c,
        "达成目标项目数": proj_ok,
        "项目总数": n_proj,
        "审计检查发现违规数": violations,
        "已编报绩效目标项目数": goals_done,
        "应编报绩效目标项目数": n_proj,
        "已监控项目数": monitored,
        "应监控项目数": n_proj,
        "已自评项目数": self_eval,
        "应自评项目数": n_proj,
        "部门自评分": self_c,
        "财政复核分": review_c,
        "评价问题已整改数": fix_done,
        "评价问题应整改数": fix_due,
        "实际采购金额": pact_c,
        "政府采购预算": pbud_c,
        "按时公开采购意向数": intent_ok,
        "应公开采购意向数": intent_due,
        "中小企业合同金额": sme_c,
        "在用固定资产": fa_use_c,
        "固定资产总额": fa_c,
        "账实相符资产数": assets_ok,
        "资产总数": assets,
        "违规处置数": bad_disposal,
        "重点工作完成数": tasks_done,
        "重点工作计划数": tasks,
        "重点工作按时完成数": tasks_ontime,
        "创新工作最高层级": innov,
        "执行率达标下属单位数": units_ok,
        "下属单位数": units,
        "下属单位已整改问题数": sub_done,
        "下属单位应整改问题数": sub_due,
        "区政府综合考评等次": grade,
        "市卫健委业务考评名次": rank,
        "基层诊疗人次": visits_base,
        "总诊疗人次": visits,
        "基本药物零差率让利金额": drug_c,
        "托位数": cribs,
        "常住人口": pop,
        "免疫规划疫苗实种剂次": vacc_done,
        "免疫规划疫苗应种剂次": vacc_due,
        "规范健康管理老年人数": pop65_ok,
        "65岁及以上常住人口": pop65,
        "高血压患者规范管理人数": hyp_ok,
        "高血压患者已管理人数": hyp,
        "糖尿病患者规范管理人数": dia_ok,
        "糖尿病患者已管理人数": dia,
        "家庭医生签约人数": family,
        "重点人群签约人数": keypop_ok,
        "重点人群人数": keypop,
        "传染病及突发事件已报告数": rep_done,
        "传染病及突发事件应报告数": rep_due,
        "处置不当事件数": mishandled,
        "群众满意样本数": survey_ok,
        "群众有效样本数": survey,
    }
    assert tuple(data) == INPUT_COLUMNS
    # n_proj backs four columns: give each column its own buffer before mutating
    seen: set[int] = set()
    for k, v in data.items():
        if id(v) in seen or v.dtype != i64:
            data[k] = np.array(v, dtype=i64)
        seen.add(id(data[k]))

    # ---- zero denominators ------------------------------------------------------
    for den, nums in DENOMINATOR_COLUMNS.items():
        idx = rng.integers(0, n, rng.binomial(n, zero_rate)) if n else np.empty(0, i64)
        data[den][idx] = 0
        for num in nums:
            data[num][idx] = 0

    # ---- blanks and Arrow conversion -------------------------------------------
    schema = _schema()
    arrays = []
    for f in schema:
        values = data[f.name]
        mask = np.zeros(n, dtype=bool)
        if n:
            mask[rng.integers(0, n, rng.binomial(n, blank_rate))] = True
        if f.name in AMOUNT_COLUMNS:
            arrays.append(pa.array(values / 100.0, type=pa.float64(), mask=mask))
        elif f.name in CATEGORY_VALUES:
            labels = pa.array(CATEGORY_VALUES[f.name], type=pa.string())
            arrays.append(labels.take(pa.array(values.astype(np.int32), mask=mask)))
        else:
            arrays.append(pa.array(values, type=pa.int64(), mask=mask))
    return pa.Table.from_arrays(arrays, schema=schema)
