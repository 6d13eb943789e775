"""Tests for perfrules.io.mapping."""

from __future__ import annotations

import codecs

import pytest

from perfrules.io import InputSpec, MappingError, load_mapping, normalise_header, resolve_columns


def test_exact_alias_mapping_and_normalised_tiers():
    columns = ["单位名称", "预算金额", "实付数", "实际支出（万元）", "ＲＡＴＥ ", "备注"]
    inputs = [
        InputSpec("单位名称"),
        InputSpec("预算数", aliases=("预算金额", "年初预算")),
        InputSpec("执行数"),
        InputSpec("实际支出"),
        InputSpec("rate"),
    ]
    plan = resolve_columns(columns, inputs, mapping={"实付数": "执行数"})
    assert plan.by_input == {
        "单位名称": "单位名称",
        "预算数": "预算金额",
        "执行数": "实付数",
        "实际支出": "实际支出（万元）",
        "rate": "ＲＡＴＥ ",
    }
    assert plan.how == {
        "单位名称": "name",
        "预算数": "alias",
        "执行数": "mapping",
        "实际支出": "normalised",
        "rate": "normalised",
    }
    assert plan.unused_columns == ["备注"]
    assert plan.missing_required == []
    assert plan.ok


def test_all_missing_required_reported_at_once():
    plan = resolve_columns(
        ["单位", "其他"],
        [InputSpec("单位"), InputSpec("预算数"), InputSpec("执行数"), InputSpec("备注", required=False)],
    )
    assert plan.missing_required == ["预算数", "执行数"]
    assert "备注" not in plan.by_input
    assert plan.unused_columns == ["其他"]
    assert not plan.ok


def test_exact_name_beats_alias_of_another_input():
    # "执行数" is input B's name and input A's alias: B wins, A falls through
    # to its own other alias.
    plan = resolve_columns(["执行数", "支出数"], [InputSpec("A", aliases=("执行数", "支出数")), InputSpec("执行数")])
    assert plan.by_input == {"A": "支出数", "执行数": "执行数"}
    assert plan.ok


def test_ambiguous_normalised_match():
    plan = resolve_columns(["支出(万元)", "支出（元）"], [InputSpec("支出")])
    assert plan.ambiguous == [("支出", ["支出(万元)", "支出（元）"])]
    assert plan.by_input == {}
    assert plan.missing_required == []  # reported as ambiguous, not as missing
    assert plan.unused_columns == ["支出(万元)", "支出（元）"]
    assert not plan.ok


def test_unused_column_matching_a_matched_input_is_reported_as_shadowed():
    # the exact name wins; the other column may hold other units, or the values some records
    # of a sparse JSONL file have under the other key: the plan says so
    plan = resolve_columns(["支出", "支出（万元）", "实际数 (元)", "实际数", "备注"],
                           [InputSpec("支出"), InputSpec("执行数", aliases=("实际数",))])
    assert plan.by_input == {"支出": "支出", "执行数": "实际数"}
    assert plan.shadowed == [("支出", "支出", "支出（万元）"), ("执行数", "实际数", "实际数 (元)")]
    assert plan.ok
    assert resolve_columns(["支出", "备注"], [InputSpec("支出")]).shadowed == []


def test_two_aliases_in_one_tier_are_ambiguous():
    plan = resolve_columns(["预算金额", "年初预算"], [InputSpec("预算数", aliases=("预算金额", "年初预算"))])
    assert plan.ambiguous == [("预算数", ["预算金额", "年初预算"])]


def test_shared_alias_is_a_conflict():
    plan = resolve_columns(["金额"], [InputSpec("预算数", aliases=("金额",)), InputSpec("执行数", aliases=("金额",))])
    assert plan.conflicts == [("金额", ["预算数", "执行数"])]
    assert plan.by_input == {}
    assert not plan.ok


def test_mapping_keys_are_matched_loosely_too():
    plan = resolve_columns(["实付数 (元)"], [InputSpec("执行数")], mapping={"实付数": "执行数"})
    assert plan.by_input == {"执行数": "实付数 (元)"}
    assert plan.how["执行数"] == "normalised"


def test_unknown_mapping_targets_reported():
    plan = resolve_columns(["a"], [InputSpec("A", aliases=("a",))], mapping={"b": "Typo", "c": "Other"})
    assert plan.unknown_mapping_inputs == ["Other", "Typo"]
    assert plan.by_input == {"A": "a"}


def test_by_input_follows_declaration_order():
    plan = resolve_columns(["x", "Y"], [InputSpec("y"), InputSpec("x")])
    assert list(plan.by_input) == ["y", "x"]


@pytest.mark.parametrize(
    "header, expected",
    [
        ("实际支出（万元）", "实际支出"),
        ("实际支出 (万元)", "实际支出"),
        ("实际支出【万元】", "实际支出"),
        (" 预 算\u3000数 ", "预算数"),
        ("ＡＢＣ", "abc"),
        ("（万元）", "(万元)"),  # a header that is only a unit keeps it
        ("支出(元)(万元)", "支出(元)"),  # only one trailing unit is dropped
    ],
)
def test_normalise_header(header, expected):
    assert normalise_header(header) == expected


# --- mapping files ----------------------------------------------------------------


def test_load_mapping(tmp_path):
    path = tmp_path / "map.json"
    path.write_bytes(codecs.BOM_UTF8 + '{" 实付数 ": "执行数", "年初预算": "预算数"}'.encode())
    assert load_mapping(path) == {"实付数": "执行数", "年初预算": "预算数"}


@pytest.mark.parametrize(
    "text, code",
    [
        ("{bad", "mapping_bad_json"),
        ('["a", "b"]', "mapping_bad_shape"),
        ('{"a": 1}', "mapping_bad_entry"),
        ('{"a": ""}', "mapping_bad_entry"),
        ('{" ": "x"}', "mapping_bad_entry"),
        ('{"a": "x", "a": "y"}', "mapping_duplicate"),
    ],
)
def test_load_mapping_errors(tmp_path, text, code):
    path = tmp_path / "map.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert info.value.code == code
    assert str(path) in info.value.message_zh


def test_load_mapping_missing_file(tmp_path):
    with pytest.raises(MappingError) as info:
        load_mapping(tmp_path / "none.json")
    assert info.value.code == "mapping_not_found"
