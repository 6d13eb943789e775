"""The 区卫健局 2024 reference (shared/domain/reference-health-2024.json): every leaf score and
value, every 一级/二级 subtotal, the total 90.15 and the grade 优, on both backends; and a batch
with blank cells, zero budgets and a bad cell through `perfrules eval`, one output row per input
row with the reasons."""
from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import RULESETS, SHARED

import perfrules
from perfrules.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
COPY = DATA / "reference-health-2024.json"
ORIGINAL = SHARED / "domain" / "reference-health-2024.json"
RULES = RULESETS / "health" / "health.rules"
BACKENDS = ("reference", "row", "rowfraction")  # row: the fast exact evaluator (rowfast)


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(COPY.read_text(encoding="utf-8"))


def test_copy_matches_shared_reference():
    if not ORIGINAL.exists():
        pytest.skip("shared/ is not beside the repository")
    assert json.loads(ORIGINAL.read_text(encoding="utf-8")) == json.loads(COPY.read_text(encoding="utf-8")), (
        "tests/data/reference-health-2024.json is stale: copy shared/domain/reference-health-2024.json over it")


def test_health_rules_check_clean():
    comp = perfrules.check(RULES)
    assert comp.ok
    assert comp.diagnostics == [], [(d.code, d.message("en")) for d in comp.diagnostics]


@pytest.fixture(scope="module")
def results(reference):
    rules = perfrules.load(RULES)
    return {b: rules.evaluate_one(reference["inputs"], backend=b) for b in BACKENDS}


def test_backends_agree(results):
    assert results["reference"].model_dump(mode="json") == results["row"].model_dump(mode="json")
    assert results["reference"].model_dump(mode="json") == results["rowfraction"].model_dump(mode="json")


def test_row_is_the_fast_evaluator():
    assert perfrules.load(RULES).fast_evaluator is not None


@pytest.mark.parametrize("backend", BACKENDS)
def test_total_and_grade(results, reference, backend):
    r = results[backend]
    assert r.ok
    assert str(r.total) == reference["expected"]["total"] == "90.15"
    assert r.grade == reference["expected"]["grade"] == "优"
    assert r.outputs["预算安排建议"] == "优先保障"


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_leaf(results, reference, backend):
    r = results[backend]
    by_code = {i.code: i for i in r.indicators if i.code}
    expected = reference["expected"]["indicators"]
    assert len(expected) == 38 and len(by_code) == 38
    for name, exp in expected.items():
        got = by_code[exp["code"]]
        assert got.leaf and got.name == name, (name, got.name)
        assert str(got.weight) == exp["points"] or Decimal(str(got.weight)) == Decimal(exp["points"]), name
        assert str(got.score) == exp["score"], f"{exp['code']} {name}: {got.score} != {exp['score']}"
        assert not got.flags, (name, got.flags)
        if "value_full" not in exp:  # a category
            assert got.value == exp["value"], name
            continue
        # the reference gives rates in percent; the rule language keeps them as fractions
        shown = Decimal(got.value) * (100 if exp["unit"] in ("%", "pp") else 1)
        assert abs(shown - Decimal(exp["value_full"])) <= Decimal("1e-8"), f"{name}: {shown} vs {exp['value_full']}"
        assert shown.quantize(Decimal("0.01")) == Decimal(exp["value"]), name
        if exp["unit"] == "%":
            assert got.display == exp["value"] + "%", name


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_subtotal(results, reference, backend):
    r = results[backend]
    structure = reference["structure"]
    sub = reference["expected"]["subtotals"]
    for name, want in sub["level1"].items():
        ind = r.indicator(name)
        assert ind.level == 1 and str(ind.score) == want, (name, ind.score, want)
        assert Decimal(str(ind.weight)) == Decimal(structure["level1_points"][name])
    for name, want in sub["level2"].items():
        ind = r.indicator(f"{structure['level2_parent'][name]}.{name}")
        assert ind.level == 2 and str(ind.score) == want, (name, ind.score, want)
        assert Decimal(str(ind.weight)) == Decimal(structure["level2_points"][name])
    # totals are sums of the rounded parts, as the reference says
    assert sum(Decimal(v) for v in sub["level1"].values()) == Decimal(reference["expected"]["total"])


def test_near_the_boundary(reference):
    """reference-health-2024.md: any change of A2.2 by −0.16 or more flips the total to 良."""
    rules = perfrules.load(RULES)
    rec = dict(reference["inputs"])
    # Q3 spending at 71.8% of the budget opens a 3.2 pp gap: 3.7 + 3.4 + 3.2 = 10.3 pp,
    # 2 − 0.05 × 10.3 = 1.485 → 1.49 (−0.16), and 90.15 − 0.16 = 89.99.
    rec["三季度末累计支出"] = str(Decimal("98560.00") * Decimal("0.718"))
    for b in BACKENDS:
        r = rules.evaluate_one(rec, backend=b)
        assert str(r.score("A2.2")) == "1.49"
        assert str(r.total) == "89.99" and r.grade == "良"


# ---- a batch through the CLI: blank cells, zero budgets, a cell that cannot be read


def batch_rows(reference) -> list[dict]:
    base = {"单位名称": "区卫健局", **reference["inputs"]}
    rows = [dict(base)]
    rows.append({**base, "单位名称": "满意度空白", "群众满意样本数": ""})
    rows.append({**base, "单位名称": "预算为零", "调整后预算数": "0"})
    rows.append({**base, "单位名称": "数据有误", "实际支出": "九万"})
    rows.append({**base, "单位名称": "采购预算为零", "政府采购预算": "0", "实际采购金额": "0"})
    rows.append({**base, "单位名称": "全部空白", **{k: "" for k in reference["inputs"]}})
    return rows


def write_csv(path: Path, rows: list[dict], encoding="utf-8") -> None:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


# Hand-computed from the reference figures: a zero adjusted budget makes A2.1, A2.2 and A2.3
# missing (score 0) and A1.1 |0 − 92000| / 92000 = 100% falls to the last band (0):
# 90.15 − (1.50 + 3.86 + 1.65 + 2.00) = 81.14. Blank 满意样本 loses C7: 90.15 − 5.19 = 84.96.
# Zero procurement: A5.1 (0/0) and A5.3 (x/0) missing: 90.15 − 1.89 − 1.00 = 87.26.
BATCH_EXPECT = [
    ("区卫健局", "ok", "90.15", "优", None),
    ("满意度空白", "ok", "84.96", "良", "群众满意样本数"),
    ("预算为零", "ok", "81.14", "良", "调整后预算数 = 0"),
    ("数据有误", "error", None, None, "实际支出"),
    ("采购预算为零", "ok", "87.26", "良", "政府采购预算 = 0"),
    ("全部空白", "ok", "6.00", "差", "缺少数据"),  # only the defaults (违规数 = 0 etc.) score: 2 + 1 + 3
]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_batch_one_row_per_record_with_reasons(tmp_path, reference, capsys, fmt):
    rows = batch_rows(reference)
    data = tmp_path / "batch.csv"
    write_csv(data, rows)
    out = tmp_path / f"out.{fmt}"
    code = main(["eval", str(RULES), "--data", str(data), "-o", str(out), "--id", "单位名称", "--lang", "zh"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    assert "共 6 条记录" in err and "错误 1 条" in err
    if fmt == "csv":
        with out.open(encoding="utf-8-sig", newline="") as fh:
            got = list(csv.DictReader(fh))
    elif fmt == "jsonl":
        got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        got = json.loads(out.read_text(encoding="utf-8"))
    assert len(got) == len(rows)
    for row, (rid, status, total, grade, reason) in zip(got, BATCH_EXPECT):
        assert row["记录"] == rid
        assert row["状态"] == ("正常" if status == "ok" else "错误"), row
        assert (row["总分"] or None) == total, (rid, row["总分"])
        assert (row["等级"] or None) == grade, (rid, row["等级"])
        if reason is None:
            assert not row["说明"] and not row["错误"], row
        else:
            assert reason in ((row["说明"] or "") + (row["错误"] or "")), (rid, row["说明"], row["错误"])
    zero = got[2]
    assert zero["预算执行率"] == "0.00" and zero["结转结余率"] == "0.00" and zero["预算调整率"] == "0.00"
