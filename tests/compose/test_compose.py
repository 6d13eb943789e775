"""Composition: `extends` / `use`, re-opening inherited groups, `override` and `remove`.

The departments in data/ (health, edu) extend data/common/fiscal.rules (共性指标, 30 points)
and use data/lib/shared.rules (definitions only).
"""
from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

import perfrules
from perfrules.compiler import compile_source
from perfrules.diagnostics import render_all, to_dict
from perfrules.source import SourceFile

DATA = Path(__file__).parent / "data"

RECORD = {"调整后预算数": "100", "实际支出": "90", "在用资产": "95", "资产总额": "100", "完成数": 9, "计划数": 10,
          "登记及时数": 45, "应登记数": 50}


def compile_files(files: dict[str, str], root: str):
    """Compile `root` with an in-memory loader over `files` (paths as the composer resolves them)."""
    def loader(path):
        if path not in files:
            raise FileNotFoundError(path)
        return SourceFile(path, files[path])
    return compile_source(SourceFile(root, files[root]), loader)


def weights(rules) -> dict[str, Fraction]:
    return {i.dotted: i.weight for i in rules.program.indicators}


def errors(comp):
    return [d for d in comp.diagnostics if d.is_error]


@pytest.fixture
def tree(tmp_path):
    """A copy of data/ that a test may change."""
    dst = tmp_path / "rules"
    shutil.copytree(DATA, dst)
    return dst


# ---- the departments as written
def test_health_extends_the_common_file():
    rules = perfrules.load(DATA / "health.rules")
    assert rules.id == "dept/health"  # metadata is not inherited
    w = weights(rules)
    assert w["财政管理"] == 30 and w["财政管理.预算管理.预算执行率"] == 6 and w["职责履行"] == 70
    assert rules.program.settings.total == 100  # the department's setting wins
    res = rules.evaluate_one(RECORD)
    assert str(res.total) == "92.40" and res.grade == "优"  # the department's grade replaced the inherited one
    assert res.outputs["建议"] == "优先保障"
    assert [a.name for a in rules.evaluate_one({**RECORD, "实际支出": "70"}).alerts] == ["执行偏低"]  # inherited alert
    assert [t.name for t in rules.program.tests] == ["卫健"]  # tests are not inherited


def test_edu_overrides_removes_and_adds():
    rules = perfrules.load(DATA / "edu.rules")
    w = weights(rules)
    assert w["财政管理.预算管理.预算执行率"] == 8 and w["财政管理.预算管理.资金使用合规性"] == 2
    assert "财政管理.资产管理.资产处置规范性" not in w
    assert list(w).index("财政管理.资产管理.资产登记及时率") == list(w).index("财政管理.资产管理.资产利用率") + 1
    res = rules.evaluate_one(RECORD)
    by = {i.path: i for i in res.indicators}
    assert str(by["财政管理.预算管理.预算执行率"].score) == "6.00"  # bands: 90% → 6 (override score)
    assert str(by["财政管理.资产管理.资产登记及时率"].score) == "7.20"
    # override value: a zero denominator scores 0 through coalesce instead of a missing flag
    zero = {i.path: i for i in rules.evaluate_one({**RECORD, "资产总额": "0"}).indicators}
    assert zero["财政管理.资产管理.资产利用率"].value == "0" and not zero["财政管理.资产管理.资产利用率"].flags


def test_full_in_an_overridden_score_is_the_overridden_weight():
    rules = perfrules.load(DATA / "edu.rules")
    res = rules.evaluate_one({**RECORD, "实际支出": "99"})
    assert str({i.path: i for i in res.indicators}["财政管理.预算管理.预算执行率"].score) == "8.00"


def test_unused_inherited_inputs_are_not_required():
    edu = perfrules.load(DATA / "edu.rules")
    health = perfrules.load(DATA / "health.rules")
    assert "违规处置数" not in [s.name for s in edu.inputs]  # only its removed indicator read it
    assert "违规处置数" in [s.name for s in health.inputs]
    assert {"登记及时数", "应登记数"} <= {s.name for s in edu.inputs}


def test_sources_and_hash_cover_every_file(tree):
    comp = perfrules.check(tree / "health.rules")
    assert comp.ok
    assert {Path(p).name for p in comp.sources} == {"health.rules", "fiscal.rules", "shared.rules"}
    before = perfrules.load(tree / "health.rules").content_hash
    base = tree / "common" / "fiscal.rules"
    base.write_text(base.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert perfrules.load(tree / "health.rules").content_hash != before


# ---- a change in the common file reaches every department; an override only its own
def test_common_weight_change_shows_in_every_department(tree):
    base = tree / "common" / "fiscal.rules"
    text = base.read_text(encoding="utf-8")
    text = text.replace("indicator 资产利用率 weight 12", "indicator 资产利用率 weight 10")
    text = text.replace("indicator 资产处置规范性 weight 8", "indicator 资产处置规范性 weight 10")
    base.write_text(text, encoding="utf-8")
    assert weights(perfrules.load(tree / "health.rules"))["财政管理.资产管理.资产利用率"] == 10
    # edu replaced 资产处置规范性 (8) by its own 资产登记及时率 (8): the new common weights no longer
    # add up there, and the error is reported in edu.rules, at edu's change, with the common file's figures
    comp = perfrules.check(tree / "edu.rules")
    [d] = [d for d in comp.diagnostics if d.is_error]
    assert d.code == "PR401" and d.span.file.endswith("edu.rules") and "18" in d.message("en")
    assert any(lb.span.file.endswith("fiscal.rules") and lb.en == "资产利用率: 10" for lb in d.labels)


def test_common_scoring_change_shows_in_every_department(tree):
    base = tree / "common" / "fiscal.rules"
    base.write_text(base.read_text(encoding="utf-8").replace("ratio(target: 95%)", "ratio(target: 100%)"), encoding="utf-8")
    for dept in ("health", "edu"):
        res = perfrules.load(tree / f"{dept}.rules").evaluate_one(RECORD)
        assert str({i.path: i for i in res.indicators}["财政管理.资产管理.资产利用率"].score) == "11.40", dept


def test_override_changes_only_its_department():
    edu, health = weights(perfrules.load(DATA / "edu.rules")), weights(perfrules.load(DATA / "health.rules"))
    assert edu["财政管理.预算管理.预算执行率"] == 8
    assert health["财政管理.预算管理.预算执行率"] == 6
    common = weights(perfrules.load(DATA / "common" / "fiscal.rules"))
    assert common["财政管理.预算管理.预算执行率"] == 6


def test_diamond_reads_each_file_once(tmp_path):
    files = {
        "lib.rules": "input 甲: number\nlet 乙 = 甲 * 2\n",
        "base.rules": 'use "lib.rules"\nindicator 总 weight 100 {\n  value 乙\n  score full\n}\n',
        "dept.rules": 'extends "base.rules"\nuse "lib.rules"\noutput 丙 = 乙 + 甲\n',
    }
    comp = compile_files(files, "dept.rules")
    assert comp.ok, render_all(comp.diagnostics, comp.sources, "en")
    assert [s.name for s in comp.program.inputs] == ["甲"]


# ---- files that cannot be composed
def test_missing_file_is_reported_at_the_extends():
    files = {"dept.rules": 'ruleset "d"\n  extends "../common/none.rules"\n'}
    comp = compile_files(files, "dept.rules")
    [d] = [d for d in comp.diagnostics if d.code == "PR701"]
    assert (d.span.file, d.span.line, d.span.column) == ("dept.rules", 2, 3)
    assert "../common/none.rules" in d.message("en")


def test_cycle_is_reported_with_the_chain_not_a_hang():
    comp = perfrules.check(DATA / "cycle_a.rules")
    [d] = [d for d in comp.diagnostics if d.code == "PR702"]
    assert d.span.file.endswith("cycle_b.rules") and d.span.line == 2
    assert [Path(p).name for p in d.message("en").split(": ", 1)[1].split(" → ")] == ["cycle_a.rules", "cycle_b.rules", "cycle_a.rules"]
    assert [Path(p).name for p in d.chain] == ["cycle_a.rules"]


def test_a_file_extending_itself():
    comp = compile_files({"a.rules": 'extends "a.rules"\n'}, "a.rules")
    assert [d.code for d in errors(comp)] == ["PR702"]


def test_paths_are_relative_to_the_including_file():
    files = {
        "depts/a.rules": 'extends "../common/mid.rules"\n',
        "common/mid.rules": 'extends "base.rules"\n',
        "common/base.rules": "indicator 甲 weight 100 {\n  score full\n}\n",
    }
    comp = compile_files(files, "depts/a.rules")
    assert comp.ok, [d.message("en") for d in comp.diagnostics]
    assert set(comp.sources) == set(files)


def test_only_one_extends():
    files = {"a.rules": 'extends "b.rules"\nextends "b.rules"\n', "b.rules": "indicator 甲 weight 100 { score full }\n"}
    comp = compile_files(files, "a.rules")
    assert [(d.code, d.span.line) for d in errors(comp)] == [("PR706", 2)]


# ---- diagnostics point into the file that is wrong
def test_problem_in_the_base_is_reported_in_the_base_with_the_chain():
    files = {
        "common.rules": "input 甲: number\nindicator 总 weight 100 {\n  value 乙\n  score full\n}\n",
        "dept.rules": 'extends "common.rules"\n',
    }
    comp = compile_files(files, "dept.rules")
    [d] = errors(comp)
    assert d.code == "PR201" and d.span.file == "common.rules" and d.span.line == 3
    assert d.chain == ("dept.rules",)
    text = render_all([d], comp.sources, "en")
    assert "value 乙" in text and "included from dept.rules" in text
    assert to_dict(d, "en")["chain"] == ["dept.rules"]


def test_weight_sum_broken_by_an_override_points_at_the_override():
    text = (DATA / "edu.rules").read_text(encoding="utf-8").replace("override 资金使用合规性 weight 2\n", "")
    files = {"edu.rules": text,
             "common/fiscal.rules": (DATA / "common" / "fiscal.rules").read_text(encoding="utf-8"),
             "lib/shared.rules": (DATA / "lib" / "shared.rules").read_text(encoding="utf-8")}
    comp = compile_files(files, "edu.rules")
    [d] = errors(comp)
    assert d.code == "PR401" and "预算管理" in d.message("en") and "12" in d.message("en")
    assert d.span.file == "edu.rules" and comp.sources["edu.rules"].line_text(d.span.line).startswith("override 财政管理.预算管理.预算执行率 weight 8")
    notes = {(lb.en, lb.span.file) for lb in d.labels}
    assert ("预算管理 has weight 10", "common/fiscal.rules") in notes
    assert ("资金使用合规性: 4", "common/fiscal.rules") in notes
    assert ("预算执行率: 8", "edu.rules") in notes  # the overridden child is shown at its override
    assert not d.chain


def test_weight_sum_broken_by_a_remove_points_at_the_remove():
    files = {
        "common.rules": "indicator 总 weight 100 {\n  indicator 甲 weight 60 { score full }\n  indicator 乙 weight 40 { score full }\n}\n",
        "dept.rules": 'extends "common.rules"\nremove 乙\n',
    }
    comp = compile_files(files, "dept.rules")
    [d] = errors(comp)
    assert d.code == "PR401" and (d.span.file, d.span.line) == ("dept.rules", 2)
    assert any(lb.span.file == "common.rules" and "总" in lb.en for lb in d.labels)


def test_top_level_sum_broken_by_an_added_indicator():
    files = {
        "common.rules": "indicator 甲 weight 100 { score full }\n",
        "dept.rules": 'extends "common.rules"\nindicator 乙 weight 10 { score full }\n',
    }
    comp = compile_files(files, "dept.rules")
    [d] = errors(comp)
    assert d.code == "PR402" and (d.span.file, d.span.line) == ("dept.rules", 2)


def test_inherited_sum_that_was_already_wrong_stays_in_the_base():
    files = {
        "common.rules": "indicator 总 weight 100 {\n  indicator 甲 weight 50 { score full }\n}\n",
        "dept.rules": 'extends "common.rules"\n',
    }
    [d] = errors(compile_files(files, "dept.rules"))
    assert d.code == "PR401" and d.span.file == "common.rules" and d.chain == ("dept.rules",)


def test_reference_to_a_removed_indicator_has_a_label_at_the_remove():
    files = {
        "common.rules": ("indicator 总 weight 100 {\n  indicator 甲 weight 60 { value 1; score full }\n"
                         "  indicator 乙 weight 40 { score full }\n}\noutput 甲值 = 甲.value\n"),
        "dept.rules": 'extends "common.rules"\nremove 甲\noverride 乙 weight 100\n',
    }
    comp = compile_files(files, "dept.rules")
    [d] = errors(comp)
    assert d.code == "PR201" and d.span.file == "common.rules"
    assert [(lb.span.file, lb.span.line) for lb in d.labels] == [("dept.rules", 2)]


def test_override_of_an_unknown_path_suggests_the_right_one():
    text = 'extends "common/fiscal.rules"\nsettings { total 30 }\noverride 财政管理.预算管里 weight 10\n'
    comp = compile_files({"d.rules": text, "common/fiscal.rules": (DATA / "common" / "fiscal.rules").read_text(encoding="utf-8")}, "d.rules")
    [d] = errors(comp)
    assert d.code == "PR703" and d.span.line == 3 and d.span.column == 10
    assert "财政管理.预算管理" in d.hint_text("en")


def test_override_and_remove_need_an_extends():
    comp = compile_files({"a.rules": "indicator 甲 weight 100 { score full }\nremove 甲\n"}, "a.rules")
    assert [d.code for d in errors(comp)] == ["PR703"]


def test_ambiguous_override_path():
    files = {
        "common.rules": ("indicator 甲 weight 50 {\n  indicator 率 weight 50 { score full }\n}\n"
                         "indicator 乙 weight 50 {\n  indicator 率 weight 50 { score full }\n}\n"),
        "dept.rules": 'extends "common.rules"\noverride 率 weight 50\noverride 乙.率 score 0\n',
    }
    [d] = errors(compile_files(files, "dept.rules"))
    assert d.code == "PR703" and d.span.line == 2 and "甲.率" in d.message("en")


# ---- re-opening inherited groups, redeclaring inherited names
def test_reopen_adds_a_child_at_any_depth():
    files = {
        "common.rules": "indicator 总 weight 100 {\n  indicator 组 weight 100 {\n    indicator 甲 weight 100 { score full }\n  }\n}\n",
        "dept.rules": ('extends "common.rules"\nindicator 总 {\n  indicator 组 {\n    indicator 乙 weight 20 { score full }\n  }\n}\n'
                       "override 甲 weight 80\n"),
    }
    comp = compile_files(files, "dept.rules")
    assert comp.ok, [d.message("en") for d in comp.diagnostics]
    assert [i.dotted for i in comp.program.indicators] == ["总", "总.组", "总.组.甲", "总.组.乙"]


@pytest.mark.parametrize("written", ["资产管理", "资产管里"])
def test_reopen_at_the_wrong_level_says_where_the_inherited_one_is(written):
    # 资产管理 sits under 财政管理: re-opened at the top it was "not inherited" with no hint
    # (the exact name) or with 财政管理 as the guess
    text = f'extends "common/fiscal.rules"\nindicator {written} {{\n  indicator 新 weight 1 {{ score full }}\n}}\n'
    comp = compile_files({"d.rules": text, "common/fiscal.rules": (DATA / "common" / "fiscal.rules").read_text(encoding="utf-8")}, "d.rules")
    [d] = [d for d in errors(comp) if d.code == "PR703"]
    assert d.span.line == 2
    assert "财政管理.资产管理" in d.hint_text("zh")
    assert "indicator 财政管理 { indicator 资产管理 { … } }" in d.hint_text("en")


def test_reopen_a_name_that_is_not_inherited():
    files = {"common.rules": "indicator 财政管理 weight 100 { score full }\n",
             "dept.rules": 'extends "common.rules"\nindicator 财政管里 {\n}\n'}
    [d] = errors(compile_files(files, "dept.rules"))
    assert d.code == "PR703" and "财政管理" in d.hint_text("en")


def test_redeclaring_an_inherited_indicator_with_a_weight():
    files = {"common.rules": "indicator 甲 weight 100 { score full }\n",
             "dept.rules": 'extends "common.rules"\nindicator 甲 weight 100 { score 1 }\n'}
    [d] = errors(compile_files(files, "dept.rules"))
    assert d.code == "PR202" and d.span.file == "dept.rules" and "override" in d.hint_text("en")
    assert d.labels[0].span.file == "common.rules"


def test_redeclaring_an_inherited_input():
    common = "input 甲: number\nindicator 总 weight 100 { value 甲; score full }\n"
    same = compile_files({"common.rules": common, "dept.rules": 'extends "common.rules"\ninput 甲: number\n'}, "dept.rules")
    assert same.ok
    other = compile_files({"common.rules": common, "dept.rules": 'extends "common.rules"\ninput 甲: amount\n'}, "dept.rules")
    [d] = errors(other)
    assert d.code == "PR202" and d.span.file == "dept.rules" and d.labels[0].span.file == "common.rules"


def test_use_imports_definitions_only():
    files = {"lib.rules": "input 甲: number\nlet 乙 = 甲 + 1\ndef 丙(x) = x * 2\nindicator 丁 weight 100 { score full }\nsettings { total 50 }\n",
             "dept.rules": 'use "lib.rules"\nindicator 总 weight 100 {\n  value 丙(乙)\n  score full\n}\n'}
    comp = compile_files(files, "dept.rules")
    assert comp.ok
    assert [d.code for d in comp.diagnostics] == ["PR705"]
    assert [i.dotted for i in comp.program.indicators] == ["总"] and comp.program.settings.total == 100


def test_unused_warnings_are_not_reported_for_included_files():
    files = {"lib.rules": "input 甲: number\ninput 未用: number\n",
             "dept.rules": 'use "lib.rules"\ninput 自己未用: number\nindicator 总 weight 100 { value 甲; score full }\n'}
    comp = compile_files(files, "dept.rules")
    assert [(d.code, d.span.file) for d in comp.diagnostics] == [("PR601", "dept.rules")]
    assert [s.name for s in comp.program.inputs] == ["甲", "自己未用"]


def test_grandchild_sees_the_middle_files_changes():
    files = {
        "base.rules": "indicator 总 weight 100 {\n  indicator 甲 weight 50 { score full }\n  indicator 乙 weight 50 { score full }\n}\n",
        "mid.rules": 'extends "base.rules"\noverride 甲 weight 70\noverride 乙 weight 30\n',
        "leaf.rules": 'extends "mid.rules"\noverride 乙 score 10\n',
    }
    comp = compile_files(files, "leaf.rules")
    assert comp.ok
    from perfrules.backends.reference import evaluate
    raw = evaluate(comp.program, {})
    assert raw.total == 80
    assert perfrules.compile(files["base.rules"]).program.indicators[1].weight == 50


def test_reference_and_row_agree_on_composed_rules():
    for name in ("health", "edu"):
        rules = perfrules.load(DATA / f"{name}.rules")
        for rec in (RECORD, {**RECORD, "实际支出": "", "资产总额": "0"}):
            a = rules.evaluate_raw(rec, backend="reference")[0]
            b = rules.evaluate_raw(rec, backend="row")[0]
            assert a.comparable() == b.comparable()
