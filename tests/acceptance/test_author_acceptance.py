"""A rule author's new departments, scored from messy data files on every backend.

The expected totals are worked by hand from the scoring standards (see the rule files' comments
and test blocks): 区农业农村局 86.72; with 农机补贴 not applicable (申请数 0) the total is
rescaled over 96 points, 81.64 × 100 / 96 = 85.04, then the penalty 2.5 → 82.54.
"""
from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from perfrules.cli import main

HERE = Path(__file__).parent


def _eval(tmp_path, rules, data, backend, *extra):
    out = tmp_path / f"{backend}.csv"
    assert main(["eval", str(HERE / rules), "--data", str(HERE / data), "--id", "单位名称", "-o", str(out),
                 "--backend", backend, "--lang", "zh", *extra]) == 0
    return out.read_bytes(), {r["记录"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_agriculture_bureau_from_messy_csv(tmp_path, backend):
    _, rows = _eval(tmp_path, "agri.rules", "agri-2024.csv", backend, "--as-of", "2024-06-30")
    assert rows["区农业农村局"]["总分"] == "86.72" and rows["区农业农村局"]["等级"] == "良"
    assert rows["区农业农村局"]["短序时金额"] == "45951.47"  # 95231.47 − 50% × 98560
    assert rows["甲（申请数为0）"]["总分"] == "82.54"
    assert rows["甲（申请数为0）"]["农机补贴办结率"] == ""  # not applicable, the total rescaled
    assert rows["乙（免疫密度空）"]["状态"] == "错误" and "缺少数据" in rows["乙（免疫密度空）"]["错误"]
    assert "漏了 %" in rows["丙（免疫密度无%）"]["错误"]


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_monitoring_with_completed_months(tmp_path, backend):
    _, rows = _eval(tmp_path, "monitor.rules", "monitor-2024-07.csv", backend, "--as-of", "2024-07-15")
    assert {k: r["总分"] for k, r in rows.items()} == {
        "区民政局": "8.43", "区民政局（二）": "0.00", "区民政局（三）": "20.00", "区民政局（四）": "20.00"}
    assert rows["区民政局"]["超短序时金额"] == "-420.00"  # (32.5% − 50%) × 2400
    assert "预算执行黄灯" in rows["区民政局"]["预警"] and "预算执行红灯" in rows["区民政局（二）"]["预警"]
    # 180.5 / 1200 = 15.04%: 34.96 points behind on 1200 万元 ≥ 1000 万元
    assert "支出进度落后序时 34.96 个百分点" in rows["区民政局（二）"]["预警"]


def test_backends_write_the_same_file(tmp_path):
    outs = {b: _eval(tmp_path, "agri.rules", "agri-2024.csv", b, "--as-of", "2024-06-30")[0]
            for b in ("columnar", "row", "reference")}
    assert outs["columnar"] == outs["row"] == outs["reference"]


def test_hand_computed_leaves():
    # the few leaves whose arithmetic is not obvious, worked with Decimal half-up as the scoring
    # standard reads (the rule file's test block expects the same)
    from fractions import Fraction as F

    def half_up(x: F) -> Decimal:
        return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.01"), "ROUND_HALF_UP")

    assert half_up(6 + (F(1512, 1530) - F(98, 100)) / F(2, 100) * 4) == Decimal("7.65")  # linear 98% → 6, 100% → 10
    assert half_up(F(185000, 190000) * 6) == Decimal("5.84")
    assert half_up(F(61, 65) * 10) == Decimal("9.38")  # 6.1% of 6.5%
    assert half_up(F(8164, 100) * 100 / 96) == Decimal("85.04")


# ---- every scoring method of scoring-methods.md, as a policy author writes it (methods.rules)
# Expected figures worked by hand (Fractions, one HALF_UP rounding per leaf, clamped to [0, w];
# missing → 0 as the file's `missing zero`), in the order of METHOD_LEAVES, then 总分 and 等级.
METHOD_LEAVES = ["课题完成数", "差错率", "超支控制", "安全事故", "成果发布", "业务考评", "重点支出安排率", "人员控制",
                 "人员控制整数", "人员控制起算", "资金使用合规性", "管理制度健全性", "设备完好率", "利用水平",
                 "群众满意度", "资金结余", "结转结余情况", "预算执行率", "项目预算未被核减", "培训人次", "总分", "等级"]
METHOD_EXPECTED = {
    # SM01 86/90×5 = 4.777…; SM02 5/6×2; SM03 (1 − 1/5)×2; SM08 102.5%: 3 − 1.25 / 3 − 1 / 3 − 1.5;
    # SM12 103% → 9, capped at 8; SM15 better of 3.75 and (120 − 157.89)/157.89/−30% × 5 = 3.9995 → 4.00
    "基准": "4.78 1.67 1.60 3.00 7.00 6.00 4.00 1.75 2.00 1.50 1.00 2.00 9.20 8.00 5.19 2.00 4.00 10.00 2.00 3.44 80.13 良",
    # ties at .xx5 round up: 33/800×4 = 0.165; 5%/(8/150)×2 = 1.875; 92.345%×10 = 9.2345 (→ 9.23);
    # 3 − 50 × 2.51% = 1.745; 30 × (1204/1344 − 70%) = 5.875
    "逢五进位": "1.83 1.88 1.60 3.00 7.00 6.00 4.00 1.75 2.00 1.50 1.00 2.00 9.23 7.00 5.88 2.00 4.00 10.00 2.00 0.17 73.84 中",
    # zero denominators are missing (scored 0, flagged); 0 ≤ 0 是 SM04 full marks only when no 事故
    "零值": "0.00 0.00 2.00 0.00 7.00 6.00 0.00 0.00 0.00 0.00 3.00 2.00 0.00 8.00 0.00 3.00 5.00 0.00 2.00 0.00 38.00 差",
    # blanks: missing (a checklist item or a band condition missing makes the leaf missing);
    # 安全事故数 and 违规问题数 default to 0; SM15 by better takes the side that can be computed
    "空白": "0.00 0.00 0.00 3.00 7.00 6.00 0.00 1.75 2.00 1.50 3.00 0.00 0.00 0.00 0.00 0.00 3.75 0.00 0.00 0.00 28.00 差",
    # negatives: −3% 超支 is below the first point (full); 人工扣分 −1 on −2% 执行: −0.2 + 1 = 0.80
    "负值": "4.78 1.67 2.00 3.00 7.00 6.00 0.00 1.75 2.00 1.50 1.00 2.00 9.20 0.00 5.19 2.00 5.00 0.80 2.00 3.44 60.33 中",
    # exactly on the edges: 90% → 5 (含), 10% → 0, 完好率 90% → 9.00, 100% 控制率 → full, 98% 利用 → 4
    "档边界上": "5.00 2.00 0.00 3.00 7.00 6.00 5.00 3.00 3.00 3.00 1.00 2.00 9.00 4.00 6.00 2.00 4.00 10.00 2.00 4.00 81.00 良",
    # just below: 89.99% → 4, 89.99% 完好率 → 0 (gate), 101% → 2.50 in every counting mode, 96% → 2
    "档边界下": "4.94 1.90 2.00 3.00 7.00 6.00 4.00 2.50 2.50 2.50 1.00 2.00 0.00 2.00 0.00 0.00 4.00 10.00 2.00 3.56 60.90 中",
    # 60% → 2 (含); 99.995% → 9.9995 → 10.00; 9.95 − 0.125 = 9.825 → 9.83; 69.9% 满意度 → 0
    "档边界六成": "4.78 1.67 1.60 3.00 7.00 6.00 2.00 1.50 1.50 1.50 1.00 2.00 10.00 8.00 0.00 2.00 4.00 9.83 2.00 3.44 72.82 中",
    "满分": "5.00 2.00 2.00 3.00 10.00 10.00 5.00 3.00 3.00 3.00 3.00 3.00 10.00 8.00 6.00 3.00 5.00 10.00 2.00 4.00 100.00 优",
}


@pytest.mark.parametrize("backend", ["columnar", "row", "reference"])
def test_every_scoring_method_against_hand_figures(tmp_path, backend):
    _, rows = _eval(tmp_path, "methods.rules", "methods-cases.csv", backend)
    assert set(rows) == set(METHOD_EXPECTED)
    for name, expected in METHOD_EXPECTED.items():
        got = [rows[name][k] for k in METHOD_LEAVES]
        assert dict(zip(METHOD_LEAVES, got)) == dict(zip(METHOD_LEAVES, expected.split())), name
    assert "全年预算数 = 0" in rows["零值"]["说明"] and "缺少数据：制度有效执行" in rows["空白"]["说明"]
    # a ratio's zero target is named as written (it said "target = 0", the keyword)
    assert "培训人次: 指标值 = 0，无法相除" in rows["零值"]["说明"]


def _full_width(text: str) -> str:
    """The rule file as an author pastes it from a document: full-width brackets, colons, commas,
    semicolons, ≥ ≤ × ÷ (not inside strings or comments)."""
    pairs = [(">=", "≥"), ("<=", "≤"), (" * ", " × "), (" / ", " ÷ "), ("(", "（"), (")", "）"), (": ", "："),
             (", ", "，"), ("; ", "；"), ("[", "［")]
    out = []
    for line in text.splitlines(keepends=True):
        if '"' not in line and "#" not in line:
            for a, b in pairs:
                line = line.replace(a, b)
        out.append(line)
    return "".join(out)


def test_methods_written_full_width_score_the_same(tmp_path):
    from perfrules.syntax.printer import format_text

    canonical = (HERE / "methods.rules").read_text(encoding="utf-8")
    wide = _full_width(canonical)
    assert "（" in wide and "≥" in wide and "：" in wide and "［" in wide
    assert format_text(wide, "methods.rules") == canonical  # fmt gives the canonical file back
    (tmp_path / "wide.rules").write_text(wide, encoding="utf-8")
    out = tmp_path / "wide.csv"
    assert main(["eval", str(tmp_path / "wide.rules"), "--data", str(HERE / "methods-cases.csv"), "--id", "单位名称",
                 "-o", str(out), "--lang", "zh"]) == 0
    assert out.read_bytes() == _eval(tmp_path, "methods.rules", "methods-cases.csv", "columnar")[0]
