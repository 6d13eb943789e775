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
