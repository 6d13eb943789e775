"""`perfrules test`: test blocks run on both backends, expectations at the precision written,
a readable report, JUnit XML, exit codes."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from perfrules import testing
from perfrules.cli import main

ROOT = Path(__file__).resolve().parents[2]

RULES = """\
input 支出: amount
input 预算: amount
input 项目数: count = 0
settings { missing zero }

indicator 执行 weight 100 {
  code "A1"
  value 支出 / 预算
  score ratio(target: 100%)
}
grade by total { 优 >= 90; 良 >= 80; 差 otherwise }
alert 慢 warning when 执行.value < 50% {
  message "执行率 {执行.value:pct}"
}
output 建议 = match grade { 优 -> "保障", 良 -> "维持", 差 -> "压减" }
output 比例 = 支出 / 预算
"""

PASSING = RULES + """
test "都对" {
  given { 支出 = 966.25, 预算 = 1000 }
  expect {
    total = 96.63, grade = 优, 执行 = 96.63, 执行.score = 96.630
    执行.value = 96.63%, 执行.value = 96.6%, 执行.value = 0.96625, 执行.value = 0.9663
    建议 = "保障", 比例 = 0.97
    no alert 慢
  }
}
test "预警" {
  given { 支出 = 400, 预算 = 1000 }
  expect { alert 慢, grade = 差, total = 40 }
}
test "坏数据是错误行" {
  given { 支出 = 400, 预算 = 1000, 项目数 = -1 }
  expect { error PR801 }
}
"""

BROKEN = RULES + """
test "对的" {
  given { 支出 = 966.25, 预算 = 1000 }
  expect { total = 96.63 }
}
test "故意写错" {
  given { 支出 = 966.25, 预算 = 1000 }
  expect {
    total = 96.60
    执行.value = 96.62%
    alert 慢
    建议 = "维持"
    error PR801
  }
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["test", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_every_bundled_ruleset_passes_its_tests(capsys):
    code, out, _ = run_cli(capsys, str(ROOT / "rulesets"), "--lang", "en")
    assert code == 0, out
    assert "0 failed" in out.splitlines()[-1]
    assert "✓ 区卫健局 2024 样例数据（参考结果 90.15 优）" in out


def test_passing_file_every_kind_of_expectation(tmp_path, capsys):
    path = write(tmp_path, "ok.rules", PASSING)
    code, out, _ = run_cli(capsys, str(path), "--lang", "en")
    assert code == 0, out
    assert out.splitlines()[-1] == "3 passed, 0 failed"
    assert "  ✓ 都对" in out and "  ✓ 预警" in out and "  ✓ 坏数据是错误行" in out


def test_broken_expectations_fail_with_clear_messages(tmp_path, capsys):
    path = write(tmp_path, "broken.rules", BROKEN)
    code, out, _ = run_cli(capsys, str(path), "--lang", "en")
    assert code == 1
    assert out.splitlines()[-1] == "1 passed, 1 failed"
    assert "  ✓ 对的" in out and "  ✗ 故意写错" in out
    lines = RULES.count("\n") + 1
    # which expectation, where, expected vs actual
    assert f"{path}:{lines + 8}:5: total = 96.60\n      expected 96.60, got 96.63" in out
    assert f"{path}:{lines + 9}:5: 执行.value = 96.62%\n      expected 96.62%, got 96.63% (= 96.625%)" in out
    assert "alert 慢: " not in out and "alert 慢 did not fire (fired: none)" in out
    assert 'expected "维持", got "保障"' in out
    assert "expected error PR801, but the record was scored (total 96.63)" in out


def test_report_in_chinese(tmp_path, capsys):
    path = write(tmp_path, "broken.rules", BROKEN)
    code, out, _ = run_cli(capsys, str(path), "--lang", "zh")
    assert code == 1
    assert "期望 96.60，实际 96.63" in out
    assert "1 个文件，2 个测试：1 个通过，1 个失败" in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"


def test_value_precision_is_the_precision_written(tmp_path):
    # 966.25 / 1000 = 0.96625 exactly: half up gives 96.63% (2 decimals) and 0.966 (3 decimals).
    text = RULES + """
test "精度" {
  given { 支出 = 966.25, 预算 = 1000 }
  expect { 执行.value = 96.63%, 执行.value = 97%, 执行.value = 0.966, 执行.value = 1 }
}
test "不对" {
  given { 支出 = 966.25, 预算 = 1000 }
  expect { 执行.value = 96.625%, 执行.value = 96.6251% }
}
"""
    result = testing.run_file(write(tmp_path, "p.rules", text))
    ok, bad = result.cases
    assert ok.passed, [p.en for p in ok.problems]
    assert [p.expectation for p in bad.problems] == ["执行.value = 96.6251%"]
    assert bad.problems[0].en == "expected 96.6251%, got 96.6250% (= 96.625%)"


def test_the_exact_value_is_shown_only_when_it_says_more(tmp_path):
    # a percent expectation shows the exact value as a percent too (it read "(= 0.96625)"), and a
    # value the rounding did not change is not repeated (it read "got 0.96625 (= 0.96625)")
    text = RULES + """
test "不对" {
  given { 支出 = 966.25, 预算 = 1000 }
  expect { 执行.value = 96.7%, 执行.value = 0.96626 }
}
"""
    result = testing.run_file(write(tmp_path, "p.rules", text))
    (bad,) = result.cases
    assert [p.en for p in bad.problems] == ["expected 96.7%, got 96.6% (= 96.625%)", "expected 0.96626, got 0.96625"]


def test_scores_compare_as_numbers_not_rounded_to_the_literal(tmp_path):
    text = RULES + """
test "t" {
  given { 支出 = 966.25, 预算 = 1000 }
  expect { total = 96.6, 执行 = 97 }
}
"""
    (case,) = testing.run_file(write(tmp_path, "s.rules", text)).cases
    assert [p.en for p in case.problems] == ["expected 96.6, got 96.63", "expected 97, got 96.63"]


def test_error_row_codes_and_missing(tmp_path):
    text = """\
input 支出: amount
input 预算: amount
settings { missing error }
indicator 执行 weight 100 {
  value 支出 / 预算
  score ratio(target: 100%)
}
test "空白是 PR803" {
  given { 支出 = 空, 预算 = 100 }
  expect { error PR803 }
}
test "错误行上不能期望分数" {
  given { 支出 = 空, 预算 = 100 }
  expect { total = 0, 执行.value = missing }
}
test "错误代码不对" {
  given { 支出 = 空, 预算 = 100 }
  expect { error PR801 }
}
"""
    a, b, c = testing.run_file(write(tmp_path, "e.rules", text)).cases
    assert a.passed, [p.en for p in a.problems]
    assert len(b.problems) == 1 and b.problems[0].en.startswith("the record cannot be scored [PR803]")
    assert c.problems[0].en.startswith("expected error PR801, got PR803")


def test_missing_value_expectation(tmp_path):
    text = """\
input 支出: amount
input 预算: amount
indicator 执行 weight 100 {
  value 支出 / 预算
  score ratio(target: 100%)
}
test "除以 0 是空" {
  given { 支出 = 5, 预算 = 0 }
  expect { 执行.value = missing, total = 0 }
}
test "不是空" {
  given { 支出 = 5, 预算 = 0 }
  expect { 执行.value = 1 }
}
"""
    ok, bad = testing.run_file(write(tmp_path, "m.rules", text)).cases
    assert ok.passed, [p.en for p in ok.problems]
    assert bad.problems[0].en == "expected 1, got missing (division by zero: 预算 = 0)"


def test_backends_must_agree(tmp_path, monkeypatch):
    from perfrules.api import Ruleset

    real = Ruleset.evaluate_raw

    def skewed(self, record, *, as_of=None, backend="row"):
        raw, errors = real(self, record, as_of=as_of, backend=backend)
        if backend == "reference" and raw is not None:
            raw.total += 1
        return raw, errors

    monkeypatch.setattr(Ruleset, "evaluate_raw", skewed)
    (case, *_rest) = testing.run_file(write(tmp_path, "ok.rules", PASSING)).cases
    assert not case.passed
    assert case.problems[0].en == "the row and reference evaluators disagree: total: row 96.63, reference 97.63"


def test_a_file_that_does_not_compile_fails(tmp_path, capsys):
    path = write(tmp_path, "bad.rules", RULES.replace("value 支出 / 预算", "value 支处 / 预算") + PASSING[len(RULES):])
    code, out, _ = run_cli(capsys, str(path), "--lang", "en")
    assert code == 1
    assert "✗ does not compile; tests not run" in out
    assert "error[PR201]" in out and "支处" in out
    assert out.splitlines()[-1] == "0 passed, 1 failed"


def test_folders_skip_checker_cases_and_hidden_folders(tmp_path, capsys):
    write(tmp_path, "a/ok.rules", PASSING)
    write(tmp_path, "a/case.rules", "let x = y   # E: PR201\n")
    write(tmp_path, ".hidden/bad.rules", "let x = y\n")
    files = testing.discover([tmp_path])
    assert [f.name for f in files] == ["ok.rules"]
    # a file named on the command line always runs
    code, out, _ = run_cli(capsys, str(tmp_path / "a" / "case.rules"), "--lang", "en")
    assert code == 1 and "does not compile" in out


def test_select_by_name_and_no_tests(tmp_path, capsys):
    path = write(tmp_path, "ok.rules", PASSING)
    code, out, _ = run_cli(capsys, str(path), "-k", "预警", "--lang", "en")
    assert code == 0 and out.splitlines()[-1] == "1 passed, 0 failed"
    code, out, _ = run_cli(capsys, str(write(tmp_path, "none.rules", RULES)), "--lang", "en")
    assert code == 5 and "(no tests)" in out


def test_select_that_matches_nothing_says_so(tmp_path, capsys):
    # -k with no match listed every file as "(no tests)", as if they had none.
    path = write(tmp_path, "ok.rules", PASSING)
    code, out, err = run_cli(capsys, str(path), "-k", "没有这个", "--lang", "en")
    assert code == 5 and "(no tests)" not in out and "not selected by -k" in out
    assert "no test name contains '没有这个'" in err


def test_output_file_implies_junit(tmp_path, capsys):
    # `perfrules test -o junit.xml` (without --format junit) wrote no file and exited 0.
    path = write(tmp_path, "ok.rules", PASSING)
    target = tmp_path / "junit.xml"
    code, out, _ = run_cli(capsys, str(path), "-o", str(target), "--lang", "en")
    passed = int(out.splitlines()[-1].split()[0])
    assert code == 0 and passed > 0 and out.splitlines()[-1] == f"{passed} passed, 0 failed"
    assert ET.parse(target).getroot().get("tests") == str(passed)
    target.unlink()
    code, _, err = run_cli(capsys, str(path), "-o", str(target), "--format", "text", "--lang", "en")
    assert code == 2 and "JUnit" in err and not target.exists()


def test_missing_path(tmp_path, capsys):
    code, _, err = run_cli(capsys, str(tmp_path / "nope"), "--lang", "en")
    assert code == 2 and "no such file or folder" in err


def test_junit_xml(tmp_path, capsys):
    path = write(tmp_path, "broken.rules", BROKEN)
    bad = write(tmp_path, "bad.rules", "let x = y\n")
    code, out, _ = run_cli(capsys, str(path), str(bad), "--format", "junit", "--lang", "en")
    assert code == 1
    root = ET.fromstring(out.split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "2"
    suite, broken = root.findall("testsuite")
    assert suite.get("name") == str(path) and suite.get("tests") == "2" and suite.get("failures") == "1"
    ok, failed = suite.findall("testcase")
    assert ok.get("name") == "对的" and ok.find("failure") is None
    failure = failed.find("failure")
    assert failure.get("message") == "total = 96.60: expected 96.60, got 96.63"
    assert "alert 慢 did not fire" in failure.text
    assert broken.find("testcase").find("error").get("message") == "does not compile"
    # -o: XML to the file, the text report still on stdout
    target = tmp_path / "out" / "junit.xml"
    target.parent.mkdir()
    code, out, _ = run_cli(capsys, str(path), "--format", "junit", "-o", str(target), "--lang", "en")
    assert code == 1 and out.splitlines()[-1] == "1 passed, 1 failed"
    assert ET.parse(target).getroot().get("failures") == "1"


def test_block_names_without_parsing():
    text = 'test "甲" {\n}\n  test “乙 \\ 丙” {}\ntest "a\\"b" {}\n# test "no"\n'
    assert testing.block_names(text) == ["甲", "乙 \\ 丙", 'a"b']


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_describe_case_matches_the_cli_lines(tmp_path, lang):
    result = testing.run_file(write(tmp_path, "broken.rules", BROKEN))
    failed = result.cases[1]
    text = testing.describe_case(failed, lang)
    report = testing.render_text([result], lang)
    for p in failed.problems:
        block = testing.describe_problem(p, lang)
        assert "\n".join("  " + line for line in block.splitlines()) in text
        assert "\n".join("    " + line for line in block.splitlines()) in report


def test_cli_start_up_stays_light():
    """Building the CLI (every command registered) imports no parser, models or schema library."""
    import subprocess
    import sys

    code = ("import sys; from perfrules.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('lark', 'pydantic', 'jsonschema', 'perfrules.api', 'perfrules.testing', "
            "'perfrules.schema', 'perfrules.syntax.printer') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_group_grade_can_be_expected(tmp_path):
    # `grade by 组` had no expectation: 组.grade was "no indicator or output named 组.grade"
    text = """settings { total 10 }
input a: percent
indicator 组 weight 10 {
  indicator 子 weight 10 { value a; score ratio(target: 100%) }
}
grade by 组 { 好 >= 9; 差 otherwise }
test "对" {
  given { a = 95% }
  expect { 组.grade = 好 }
}
test "错" {
  given { a = 80% }
  expect { 组.等级 = 好 }
}
"""
    result = testing.run_file(write(tmp_path, "g.rules", text))
    ok, bad = result.cases
    assert ok.passed, [p.en for p in ok.problems]
    assert [p.en for p in bad.problems] == ["expected 好, got 差"]


def test_summary_counts_add_up_with_a_file_that_does_not_compile(tmp_path, capsys):
    # "2 个文件，3 个测试：3 个通过，1 个失败": the uncompiled file counted as a failed test among
    # tests that were never counted, so passed + failed did not make the tests run.
    write(tmp_path, "ok.rules", PASSING)
    write(tmp_path, "bad.rules", RULES.replace("value 支出 / 预算", "value 支处 / 预算") + PASSING[len(RULES):])
    code, out, _ = run_cli(capsys, str(tmp_path), "--lang", "zh")
    assert code == 1
    assert "2 个文件，3 个测试：3 个通过，0 个失败；1 个文件无法编译" in out
    assert out.splitlines()[-1] == "3 passed, 1 failed"
    code, out, _ = run_cli(capsys, str(tmp_path), "--lang", "en")
    assert "2 file(s), 3 test(s): 3 passed, 0 failed; 1 file(s) do not compile" in out
