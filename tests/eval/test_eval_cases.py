"""Eval cases as data: tests/eval/cases/*.json hold rules, input records and the expected
results as decimal strings. Every record runs through BOTH backends (the reference interpreter
and the compiled row evaluator); each must give the expected figures, and the two must agree
on everything (values, scores, flags, exclusions, total, grades, alerts, outputs).

Case file shape:

    {"title": "…", "source": "where the expected figures come from",
     "rules": ["rule file line", …],
     "records": [{"name": "…", "inputs": {…}, "as_of": "2024-06-30",
                  "expect": {"ok": true, "total": "4.78", "grade": "优",
                             "scores": {"指标": "4.78"}, "values": {"指标": "0.9555555556"},
                             "display": {"指标": "95.56%"},
                             "flags": {"指标": ["missing"]},          # exactly these indicators are flagged
                             "flag_text": {"指标": "调整后预算数 = 0"},  # in the zh or en flag message
                             "excluded": ["指标"], "alerts": [["名", "warning", "message"]],
                             "outputs": {"名": "1"}, "error": "PR803", "error_text": "…"}}]}
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import perfrules

CASES = Path(__file__).parent / "cases"
FILES = sorted(CASES.glob("*.json"))
BACKENDS = ("reference", "row", "rowfraction")  # row: the fast exact evaluator where it applies
# case files whose rules the fast evaluator does not generate (they fall back to the Fraction one)
NOT_FAST: set[str] = set()


def load_case(path: Path) -> dict:
    case = json.loads(path.read_text(encoding="utf-8"))
    rules = case["rules"]
    case["text"] = "\n".join(rules) + "\n" if isinstance(rules, list) else rules
    return case


def records():
    for path in FILES:
        case = load_case(path)
        for i, rec in enumerate(case["records"]):
            yield pytest.param(path, i, id=f"{path.stem}-{rec.get('name', i)}")


_compiled: dict[Path, perfrules.Ruleset] = {}


def ruleset(path: Path) -> perfrules.Ruleset:
    if path not in _compiled:
        _compiled[path] = perfrules.compile(load_case(path)["text"], str(path.name))
    return _compiled[path]


def test_there_are_cases():
    assert len(FILES) >= 10
    assert sum(len(load_case(p)["records"]) for p in FILES) >= 60


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_case_rules_compile_cleanly(path):
    rules = ruleset(path)
    assert not [d for d in rules.diagnostics if d.is_error]


@pytest.mark.parametrize("path, index", list(records()))
def test_eval_case(path: Path, index: int):
    case = load_case(path)
    rec = case["records"][index]
    rules = ruleset(path)
    as_of = rec.get("as_of")
    results = {b: rules.evaluate_one(rec["inputs"], as_of=as_of, backend=b) for b in BACKENDS}
    # The backends agree on everything, down to the raw exact values.
    dumps = {b: r.model_dump(mode="json") for b, r in results.items()}
    assert dumps["reference"] == dumps["row"] == dumps["rowfraction"]
    raws = {b: rules.evaluate_raw(rec["inputs"], as_of=rules_date(as_of), backend=b)[0] for b in BACKENDS}
    if raws["reference"] is not None:
        assert raws["reference"].comparable() == raws["row"].comparable() == raws["rowfraction"].comparable()
    assert (rules.fast_evaluator is not None) == (path.stem not in NOT_FAST)
    for backend, result in results.items():
        check_expectations(rec["expect"], result, f"{path.name} [{rec.get('name', index)}] on {backend}")


def rules_date(as_of):
    from datetime import date

    return None if as_of is None else date.fromisoformat(as_of)


def check_expectations(exp: dict, r, where: str) -> None:
    assert r.ok is exp.get("ok", True), f"{where}: ok={r.ok} error={r.error}"
    if "error" in exp:
        assert r.error is not None and r.error.code == exp["error"], f"{where}: {r.error}"
    if "error_text" in exp:
        assert exp["error_text"] in r.error.message + " " + r.error.message_en, f"{where}: {r.error}"
    if "total" in exp:
        got = None if r.total is None else str(r.total)
        assert got == exp["total"], f"{where}: total {got} != {exp['total']}"
    if "grade" in exp:
        assert r.grade == exp["grade"], f"{where}: grade {r.grade} != {exp['grade']}"
    if "group_grades" in exp:
        assert r.group_grades == exp["group_grades"], where
    for key, want in exp.get("scores", {}).items():
        got = r.indicator(key).score
        assert (None if got is None else str(got)) == want, f"{where}: score of {key}: {got} != {want}"
    for key, want in exp.get("values", {}).items():
        assert r.indicator(key).value == want, f"{where}: value of {key}: {r.indicator(key).value} != {want}"
    for key, want in exp.get("display", {}).items():
        assert r.indicator(key).display == want, f"{where}: display of {key}: {r.indicator(key).display} != {want}"
    if "flags" in exp:
        got = {i.path: sorted(f.code for f in i.flags) for i in r.indicators if i.flags}
        want = {r.indicator(k).path: sorted(v) for k, v in exp["flags"].items()}
        assert got == want, f"{where}: flags {got} != {want}"
    for key, text in exp.get("flag_text", {}).items():
        msgs = [f.message + " | " + f.message_en for f in r.indicator(key).flags]
        assert any(text in m for m in msgs), f"{where}: {text!r} not in flags of {key}: {msgs}"
    if "excluded" in exp:
        got = sorted(i.path for i in r.indicators if i.excluded)
        assert got == sorted(r.indicator(k).path for k in exp["excluded"]), f"{where}: excluded {got}"
    if "alerts" in exp:
        got = [[a.name, a.level, a.message] for a in r.alerts]
        assert got == exp["alerts"], f"{where}: alerts {got}"
    for key, want in exp.get("outputs", {}).items():
        assert r.outputs.get(key) == want, f"{where}: output {key}: {r.outputs.get(key)} != {want}"
