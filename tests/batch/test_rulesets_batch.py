"""Every rule file of rulesets/ (and the docs' tutorial and cookbook files) scored by both
evaluators: its test blocks through evaluate_table against the reference, its sample data
through `perfrules eval -o` with the columnar and the reference backend (byte-identical
output), and the district table routed to every department's ruleset."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pytest

import perfrules
from perfrules import flat
from perfrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = sorted(p for p in (ROOT / "rulesets").rglob("*.rules"))
DOC_FILES = sorted(p for p in (ROOT / "docs").rglob("*.rules"))


def _compiles(path):
    try:
        return perfrules.load(path)
    except perfrules.CompileError:
        return None


def _cell(v):
    if isinstance(v, Fraction):
        return format(Decimal(v.numerator) / Decimal(v.denominator), "f") if v.denominator != 1 else str(v.numerator)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.date):
        return v.isoformat()
    return None if v is None else str(v)


def _blocks():
    for path in RULE_FILES + DOC_FILES:
        rs = _compiles(path)
        if rs is None:
            continue
        for i, t in enumerate(rs.program.tests):
            yield pytest.param(path, i, id=f"{path.relative_to(ROOT)}#{i}")


@pytest.mark.parametrize("path, index", list(_blocks()))
def test_test_blocks_columnar_equals_reference(path, index):
    rules = perfrules.load(path)
    case = rules.program.tests[index]
    names = [s.name for s in rules.inputs]
    record = {k: _cell(case.given.get(k)) for k in names}  # the same cells for both evaluators
    table = pa.table({k: pa.array([record[k]], pa.string()) for k in names} or {"_": [None]})
    if rules.has_population:
        pytest.skip("a test block is a batch of one; population rules are covered elsewhere")
    got = flat.as_text(rules.evaluate_table(table, as_of=case.as_of, lang="en").to_batches()[0]).to_pylist()[0]
    want = flat.flatten(rules, rules.evaluate_one(record, as_of=case.as_of, backend="reference", row=1), "en")
    for k, v in want.items():
        assert (None if got[k] is None else str(got[k])) == (None if v is None else str(v)), (k, path)


def _samples():
    for path in RULE_FILES:
        if _compiles(path) is None:
            continue
        for data in sorted(path.parent.glob("*.csv")):
            for as_of in (None, "2024-06-30"):
                yield pytest.param(path, data, as_of, id=f"{data.relative_to(ROOT)}@{as_of}")


@pytest.mark.parametrize("rules, data, as_of", list(_samples()))
def test_sample_data_byte_identical_across_backends(tmp_path, rules, data, as_of, capsys):
    outs = {}
    for backend in ("columnar", "reference"):
        out = tmp_path / f"{backend}.csv"
        argv = ["eval", str(rules), "--data", str(data), "-o", str(out), "--backend", backend, "--lang", "zh"]
        if as_of:
            argv += ["--as-of", as_of]
        assert main(argv) == 0, capsys.readouterr().err
        outs[backend] = out.read_bytes()
    assert outs["columnar"] == outs["reference"]


def test_district_table_routed_to_each_department(tmp_path, capsys):
    out = tmp_path / "all.csv"
    assert main(["eval", "--rulesets", str(ROOT / "rulesets"), "--data", str(ROOT / "rulesets/district/all-2024.csv"),
                 "--id", "单位名称", "-o", str(out), "--lang", "en"]) == 0
    rows = __import__("csv").DictReader(out.open(encoding="utf-8-sig"))
    got = {r["id"]: r for r in rows}
    # each department equals its own ruleset scoring the same table alone
    for unit, rel in (("区卫健局", "health/health.rules"), ("区教育局", "education/education.rules"),
                      ("区城管局", "urban/urban.rules"), ("区统计局", "statistics/statistics.rules")):
        rs = perfrules.load(ROOT / "rulesets" / rel)
        alone = tmp_path / f"{unit}.csv"
        assert main(["eval", str(ROOT / "rulesets" / rel), "--data", str(ROOT / "rulesets/district/all-2024.csv"),
                     "--id", "单位名称", "-o", str(alone), "--lang", "en", "--backend", "reference"]) == 0
        mine = {r["id"]: r for r in __import__("csv").DictReader(alone.open(encoding="utf-8-sig"))}[unit]
        assert got[unit]["ruleset"] == rs.id
        for col, v in mine.items():
            assert got[unit][col] == v, (unit, col)
    capsys.readouterr()


def test_a_unit_column_named_plainly_单位_is_found(tmp_path, capsys):
    # the unit column was looked for only as 单位名称 or 部门: a sheet headed 单位 needed
    # --unit-column, which a clerk had to discover from an error
    import csv

    src = list(csv.DictReader((ROOT / "rulesets/district/all-2024.csv").open(encoding="utf-8-sig")))
    data = tmp_path / "units.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, ["单位" if k == "单位名称" else k for k in src[0]])
        w.writeheader()
        w.writerows({("单位" if k == "单位名称" else k): v for k, v in r.items()} for r in src)
    out = tmp_path / "o.csv"
    assert main(["eval", "--rulesets", str(ROOT / "rulesets"), "--data", str(data), "-o", str(out), "--lang", "en"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == len(src)
    by_id = {r["id"]: r for r in rows}
    assert by_id["区卫健局"]["status"] == "ok" and by_id["区卫健局"]["ruleset"] == perfrules.load(ROOT / "rulesets/health/health.rules").id
    capsys.readouterr()
