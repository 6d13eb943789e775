"""JSON Schemas: the input record of a ruleset, validate_records, and schemas/ kept up to date."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import perfrules
from perfrules import schema as S
from perfrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
RULESETS = sorted(p for p in ROOT.glob("rulesets/**/*.rules") if perfrules.check(p).ok)

RULES = """\
input 支出: amount "全年实际支出（万元）" from "本年支出", "actual"
input 率: percent in [0, 1]
input 名次: count in [1, 13)
input 次数: count = 0
input 分: number = 0.5
input 等次: choice(优秀, 良好, 合格)
input 时点: date
input 公开: bool = false
input 单位: text

indicator 甲 weight 100 {
  value 支出 * 率 + 名次 + 次数 + 分
  score ratio(target: 1)
}
output 其他 = if 公开 and 等次 = 优秀 and 时点 > 2024-01-01 then 单位 else "-"
"""


@pytest.fixture(scope="module")
def sample():
    return S.input_schema(perfrules.compile(RULES, "sample.rules"))


def test_committed_schemas_are_up_to_date():
    stale = S.stale(SCHEMAS, ROOT)
    assert not stale, f"schemas/ is stale: {stale}; regenerate with `{S.REGENERATE}` from the repository root"


@pytest.mark.parametrize("name", ["result.schema.json", "diagnostic.schema.json", "health-input.schema.json"])
def test_committed_schemas_are_valid_draft_2020_12(name):
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", RULESETS, ids=[p.stem for p in RULESETS])
def test_input_schema_of_every_ruleset_is_valid(path):
    Draft202012Validator.check_schema(S.input_schema(perfrules.load(path)))


def test_results_and_diagnostics_validate_against_their_schemas(health):
    record = next(csv.DictReader((ROOT / "rulesets/health/health-reference.csv").open(encoding="utf-8-sig")))
    result = health.evaluate_one(record, as_of="2024-06-30")
    results = json.loads((SCHEMAS / "result.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator(results).validate(json.loads(result.model_dump_json()))
    error_row = health.evaluate_one({**record, "项目总数": "-1"})
    Draft202012Validator(results).validate(json.loads(error_row.model_dump_json()))

    from perfrules.diagnostics import to_dict
    comp = perfrules.compiler.compile_source(perfrules.source.SourceFile("x.rules", "let a = b\n"))
    diagnostics = json.loads((SCHEMAS / "diagnostic.schema.json").read_text(encoding="utf-8"))
    assert comp.diagnostics
    for d in comp.diagnostics:
        Draft202012Validator(diagnostics).validate(to_dict(d, "en"))


def test_schemas_reject_what_perfrules_never_writes(health):
    # The diagnostic schema took any string as code and severity and any integer as line
    # (0 or -5); an alert's level was any string.
    diagnostics = Draft202012Validator(json.loads((SCHEMAS / "diagnostic.schema.json").read_text(encoding="utf-8")))
    good = {"code": "PR201", "slug": "unknown-name", "severity": "error", "message": "m", "file": "x.rules",
            "line": 1, "column": 1, "end_line": 1, "end_column": 2}
    assert diagnostics.is_valid(good)
    for bad in ({"severity": "fatal"}, {"code": "E42"}, {"line": 0}, {"column": -1}):
        assert not diagnostics.is_valid({**good, **bad}), bad
    results = Draft202012Validator(json.loads((SCHEMAS / "result.schema.json").read_text(encoding="utf-8")))
    record = next(csv.DictReader((ROOT / "rulesets/health/health-reference.csv").open(encoding="utf-8-sig")))
    out = json.loads(health.evaluate_one(record, as_of="2024-06-30").model_dump_json())
    assert results.is_valid(out)
    assert not results.is_valid({**out, "alerts": [{"name": "a", "level": "红色", "message": "m"}]})
    for level in ("info", "warning", "severe"):
        assert results.is_valid({**out, "alerts": [{"name": "a", "level": level, "message": "m"}]})


def test_input_properties(sample):
    Draft202012Validator.check_schema(sample)
    p = sample["properties"]
    assert p["支出"]["description"] == "全年实际支出（万元）" and p["支出"]["x-perfrules-type"] == "amount"
    assert p["支出"]["x-aliases"] == ["本年支出", "actual"]
    assert p["本年支出"]["x-alias-of"] == "支出" and p["本年支出"]["anyOf"] == p["支出"]["anyOf"]
    assert p["率"]["anyOf"][0] == {"type": "number", "minimum": 0, "maximum": 1}
    assert p["名次"]["anyOf"][0] == {"type": "integer", "minimum": 1, "exclusiveMaximum": 13}
    assert p["次数"]["default"] == 0 and p["分"]["default"] == "0.5" and p["公开"]["default"] is False
    assert {"type": "string", "enum": ["优秀", "良好", "合格"]} in p["等次"]["anyOf"]
    assert {"type": "string", "format": "date"} in p["时点"]["anyOf"]
    # required: inputs without a default; an input with aliases may be given under any name
    assert sample["required"] == ["率", "名次", "等次", "时点", "单位"]
    assert sample["allOf"] == [{"anyOf": [{"required": ["支出"]}, {"required": ["本年支出"]}, {"required": ["actual"]}]}]
    assert sample["additionalProperties"] is True


GOOD = {"支出": "1,234.50", "率": "95%", "名次": 3, "等次": "优秀", "时点": "2024-06-30", "单位": "区卫健局",
        "公开": "是", "分": "95%", "单位名称": "extra columns are fine"}


def test_validate_records_accepts_what_the_runtime_accepts(sample):
    records = [
        GOOD,
        {**GOOD, "支出": None, "率": "", "名次": "12", "公开": True, "分": 1.5e3},  # blanks are missing values
        {**{k: v for k, v in GOOD.items() if k != "支出"}, "actual": 12.5},        # an alias
        {**GOOD, "率": 0.95, "名次": 12.0},
    ]
    assert S.validate_records(sample, records) == []
    rules = perfrules.compile(RULES, "sample.rules")
    for r in records:
        assert rules.evaluate_one(r).error is None or rules.evaluate_one(r).error.code != "PR801"


def test_validate_records_reports_record_and_field(sample):
    bad = [
        {**GOOD, "率": 95},                        # a bare 95 for a percent
        {**GOOD, "名次": 13},                      # outside [1, 13)
        {**GOOD, "名次": -1, "等次": "优"},
        {k: v for k, v in GOOD.items() if k not in ("支出", "单位")},
        {**GOOD, "时点": "2024-02-30", "支出": "12元"},
        [1, 2],
    ]
    problems = S.validate_records(sample, bad)
    got = [(p.index, p.field) for p in problems]
    assert got == [(0, "率"), (1, "名次"), (2, "名次"), (2, "等次"), (3, None), (3, None), (4, "支出"), (4, "时点"), (5, None)]
    by = {(p.index, p.field): p for p in problems}
    assert by[(1, "名次")].message_en == "field 名次: 13 is not a valid count [1, 13)"
    assert by[(2, "等次")].message == '字段 等次 的值 "优" 不符合类型 choice(优秀, 良好, 合格)'
    missing = sorted(p.message_en for p in problems if p.index == 3)
    assert missing == ["missing field 单位", "missing field 支出 or 本年支出 or actual"]
    # the runtime agrees that these records are bad
    rules = perfrules.compile(RULES, "sample.rules")
    for r in bad[:3] + bad[4:5]:
        assert rules.evaluate_one(r).error.code == "PR801"


def test_cli_prints_the_input_schema(tmp_path, capsys):
    assert main(["schema", str(ROOT / "rulesets/health/health.rules")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((SCHEMAS / "health-input.schema.json").read_text(encoding="utf-8"))
    out = tmp_path / "in.json"
    assert main(["schema", str(ROOT / "rulesets/health/health.rules"), "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    bad = tmp_path / "bad.rules"
    bad.write_text("let a = b\n", encoding="utf-8")
    assert main(["schema", str(bad), "--lang", "en"]) == 1
    assert "PR201" in capsys.readouterr().err


def test_cli_models_write_and_check(tmp_path, capsys):
    target = tmp_path / "schemas"
    assert main(["schema", "--models", "--check", str(SCHEMAS)]) == 0
    assert main(["schema", "--models", "--check", str(target), "--lang", "en"]) == 2  # no rulesets/ beside it
    assert "run from the repository root" in capsys.readouterr().err
    # next to a copy of the ruleset it reads
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    assert main(["schema", "--models", "--check", str(target), "--lang", "en"]) == 1
    assert f"regenerate: {S.REGENERATE}" in capsys.readouterr().err
    assert main(["schema", "--models", "--write", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in SCHEMAS.glob("*.json"))
    assert main(["schema", "--models", "--check", str(target)]) == 0
    (target / "result.schema.json").write_text("{}", encoding="utf-8")
    assert S.main(["--check", str(target), "--root", str(tmp_path)]) == 1
    assert main(["schema", "--models", "--lang", "en"]) == 2


def test_cli_refuses_options_of_the_other_mode(tmp_path, capsys):
    # `schema RULES --write DIR` printed RULES' schema and wrote nothing; `--models RULES` ignored RULES.
    health = str(ROOT / "rulesets/health/health.rules")
    for argv in (["schema", health, "--write", str(tmp_path)], ["schema", health, "--check", str(tmp_path)],
                 ["schema", "--models", health, "--check", str(SCHEMAS)],
                 ["schema", "--models", "--write", str(tmp_path / "s"), "-o", str(tmp_path / "x.json")]):
        assert main([*argv, "--lang", "en"]) == 2, argv
        out, err = capsys.readouterr()
        assert not out and ("--models" in err), (argv, err)
    assert not list(tmp_path.iterdir())
