"""`perfrules fmt`: canonical, idempotent, meaning-preserving, comment-keeping."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import perfrules
from perfrules.cli import main
from perfrules.source import SourceFile
from perfrules.syntax import printer
from perfrules.syntax.printer import FormatterBug, SyntaxProblems, ast_shape, format_text

ROOT = Path(__file__).resolve().parents[2]
ALL_RULES = sorted({*ROOT.glob("rulesets/**/*.rules"), *ROOT.glob("tests/**/*.rules")})


def fmt(text: str) -> str:
    out = format_text(text, "t.rules")
    assert format_text(out, "t.rules") == out, "not idempotent"
    return out


# ---- every rule file in the repository
def _parses(path: Path) -> bool:
    try:
        format_text(path.read_text(encoding="utf-8"), str(path))
    except SyntaxProblems:
        return False
    return True


FORMATTABLE = [p for p in ALL_RULES if _parses(p)]


def test_the_repository_has_rule_files_to_format():
    assert len(FORMATTABLE) >= 10
    assert any(p.name == "health.rules" for p in FORMATTABLE)


SHOWN = sorted({*ROOT.glob("rulesets/**/*.rules"), *ROOT.glob("docs/**/*.rules")})


@pytest.mark.parametrize("path", SHOWN, ids=[str(p.relative_to(ROOT)) for p in SHOWN])
def test_the_files_users_copy_are_in_the_canonical_style(path: Path):
    # a reader who copies the tutorial and runs `perfrules fmt --check` should not be told to reformat it
    text = path.read_text(encoding="utf-8")
    assert format_text(text, str(path)) == text


@pytest.mark.parametrize("path", FORMATTABLE, ids=[str(p.relative_to(ROOT)) for p in FORMATTABLE])
def test_round_trip(path: Path):
    text = path.read_text(encoding="utf-8")
    once = format_text(text, str(path))
    assert format_text(once, str(path)) == once  # fmt(fmt(x)) == fmt(x)
    before, _, comments_before = printer._parse(SourceFile(str(path), text))
    after, _, comments_after = printer._parse(SourceFile(str(path), once))
    assert ast_shape(after) == ast_shape(before)  # same program, spans aside
    assert [str(c).rstrip() for c in comments_after] == [str(c).rstrip() for c in comments_before]  # same order too
    assert all(len(line) == len(line.rstrip()) for line in once.splitlines())
    comp = perfrules.check(path)
    if not comp.ok:
        return
    # The formatted file compiles to a program that scores every test block the same.
    original = perfrules.Ruleset(comp)
    formatted = perfrules.compile(once, str(path))
    assert [t.name for t in formatted.program.tests] == [t.name for t in original.program.tests]
    for case in original.program.tests:
        for backend in ("row", "reference"):
            a = original.evaluate_one(case.given, as_of=case.as_of, backend=backend)
            b = formatted.evaluate_one(case.given, as_of=case.as_of, backend=backend)
            assert _comparable(a) == _comparable(b), case.name


def _comparable(result) -> dict:
    data = result.model_dump(mode="json")
    data.pop("ruleset")
    return data


def test_health_scores_the_same_data_after_formatting():
    from perfrules.pipeline import evaluate_file

    path = ROOT / "rulesets" / "health" / "health.rules"
    original = perfrules.load(path)
    formatted = perfrules.compile(format_text(path.read_text(encoding="utf-8"), str(path)), str(path))
    for data in sorted((ROOT / "rulesets" / "health").glob("*.csv")):
        a = [_comparable(r) for r in evaluate_file(original, str(data), as_of="2024-06-30")]
        b = [_comparable(r) for r in evaluate_file(formatted, str(data), as_of="2024-06-30")]
        assert a and a == b


def test_files_with_syntax_errors_are_found_and_refused():
    broken = [p for p in ALL_RULES if p not in FORMATTABLE]
    for path in broken:
        with pytest.raises(SyntaxProblems) as err:
            format_text(path.read_text(encoding="utf-8"), str(path))
        assert err.value.diagnostics and all(d.code.startswith("PR1") for d in err.value.diagnostics)


# ---- the canonical style
def test_full_width_and_typographic_forms_become_ascii():
    src = ("settings｛rounding half_up 2；missing zero｝\n"
           "input 支出：amount “支出（万元）”\n"
           "input 率: percent = ９５％ in ［0，1］\n"
           "input 等次：choice（优秀，良好）\n"
           "let 甲 ＝ 支出 × 2 ÷ 3 － 1\n"
           "indicator 执行 weight 100 ｛\n"
           "  value 率\n"
           "  score bands ｛≥ 95% → full；＞ 80% => 40；otherwise → 0｝\n"
           "｝\n"
           "output 乙 = if 甲 ≠ 1 and 甲 ≤ 2 then “是” else \"否\"\n")
    assert fmt(src) == (
        "settings {\n"
        "  rounding half_up 2\n"
        "  missing zero\n"
        "}\n"
        'input 支出: amount "支出（万元）"\n'
        "input 率: percent = 95% in [0, 1]\n"
        "input 等次: choice(优秀, 良好)\n"
        "let 甲 = 支出 * 2 / 3 - 1\n"
        "indicator 执行 weight 100 {\n"
        "  value 率\n"
        "  score bands { >= 95% -> full; > 80% -> 40; otherwise -> 0 }\n"
        "}\n"
        'output 乙 = if 甲 != 1 and 甲 <= 2 then "是" else "否"\n')


def test_numbers_names_strings_and_equality_as_written():
    src = ('let `a b` = 1_000.50 + 0.10\nlet c = `a b` == 2\nlet d = `a b` = 2\n'
           'title “含\\反斜杠和\"引号\"”\nlet e = "a\\{b"\ninput 日: date = 2024-6-30\n')
    assert fmt(src) == ('let `a b` = 1_000.50 + 0.10\nlet c = `a b` == 2\nlet d = `a b` = 2\n'
                        'title "含\\\\反斜杠和\\"引号\\""\nlet e = "a\\{b"\ninput 日: date = 2024-6-30\n')


def test_parentheses_written_are_kept_doubled_ones_collapse():
    assert fmt("let a = ((x + 1)) * (2)\nlet b = -(x - 1) / -2\nlet c = not (x > 1 or x < 0)\n"
               "let d = (x)\nlet e = f((x), (y + 1))\n") == (
        "let a = (x + 1) * (2)\nlet b = -(x - 1) / -2\nlet c = not (x > 1 or x < 0)\n"
        "let d = (x)\nlet e = f((x), (y + 1))\n")


def test_precedence_without_parentheses():
    src = "let a = x - y - z\nlet b = x - (y - z)\nlet c = x / (y * z)\nlet d = if a then b else c\n"
    assert fmt(src) == src


def test_statements_one_per_line_and_blank_lines_at_most_one():
    src = ("let a = 1;let b = 2\n\n\n\nlet c = 3\n"
           "indicator 甲 weight 100 { value a; score ratio(target: 1) }\n")
    assert fmt(src) == ("let a = 1\nlet b = 2\n\nlet c = 3\n"
                        "indicator 甲 weight 100 {\n  value a\n  score ratio(target: 1)\n}\n")


def test_one_line_blocks_stay_when_they_fit_and_open_when_they_do_not():
    short = 'output 建议 = match grade { 优 -> "保障", otherwise -> "压减" }\n'
    assert fmt(short) == short
    long = ('output 预算安排建议 = match grade { 优 -> "优先保障", 良 -> "维持", 中 -> "压减", '
            '差 -> "压减并整改", otherwise -> "另议" }\n')
    assert fmt(long) == ('output 预算安排建议 = match grade {\n'
                         '  优        -> "优先保障"\n'
                         '  良        -> "维持"\n'
                         '  中        -> "压减"\n'
                         '  差        -> "压减并整改"\n'
                         '  otherwise -> "另议"\n'
                         '}\n')
    # written open: stays open (and items grouped on a line stay together)
    opened = "grade by total {\n  优 >= 90; 良 >= 80\n  差 otherwise\n}\n"
    assert fmt(opened) == opened


def test_given_items_grouped_by_the_author_stay_grouped():
    src = ('test "t" {\n  given {\n    a = 1, b = 2\n    c = 3\n  }\n'
           '  expect { total = 1 }\n}\n')
    assert fmt(src) == src


def test_arrows_line_up_in_opened_blocks():
    src = "indicator 甲 weight 2 {\n  value x\n  score bands {\n    = 0 -> 2\n    <= 10% -> 1.5\n    otherwise -> 0\n  }\n}\n"
    assert fmt(src) == ("indicator 甲 weight 2 {\n  value x\n  score bands {\n"
                        "    = 0       -> 2\n    <= 10%    -> 1.5\n    otherwise -> 0\n  }\n}\n")


COMMENTED = """\
# file header

# second paragraph
ruleset "a" version "1"   # end of ruleset line
indicator 总 weight 100 {   # on the opening line
  # before code
  code "X"

  indicator 子 weight 100 {
    value x
    score match value {
      优秀 -> 100   # first case
      # before otherwise
      otherwise -> 0
    }
    # last in 子
  }
}
let 甲 = x +   # inside a wrapped expression
  # own line inside it
  1
grade by total { 优 >= 90; 差 otherwise }   # after a one-line block
# end of file
"""


def test_comments_stay_where_they_belong():
    assert fmt(COMMENTED) == """\
# file header

# second paragraph
ruleset "a" version "1"  # end of ruleset line
indicator 总 weight 100 {  # on the opening line
  # before code
  code "X"

  indicator 子 weight 100 {
    value x
    score match value {
      优秀      -> 100  # first case
      # before otherwise
      otherwise -> 0
    }
    # last in 子
  }
}
# inside a wrapped expression
# own line inside it
let 甲 = x + 1
grade by total { 优 >= 90; 差 otherwise }  # after a one-line block
# end of file
"""


def test_end_of_line_comments_of_consecutive_lines_line_up():
    src = "let a = 1   # one\nlet bbbb = 22 # two\n\nlet c = 3 # three\n"
    assert fmt(src) == "let a = 1      # one\nlet bbbb = 22  # two\n\nlet c = 3  # three\n"


def test_line_endings_bom_and_empty_files():
    assert fmt("") == ""
    assert fmt("# only a comment") == "# only a comment\n"
    assert format_text("\ufefflet a = 1\r\nlet b = 2\r\n") == "let a = 1\r\nlet b = 2\r\n"


def test_a_formatter_bug_is_caught_before_anything_is_written(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(printer._Printer, "print_module", lambda self: "let a = 2\n")
    with pytest.raises(FormatterBug, match="different program"):
        format_text("let a = 1\n")
    path = tmp_path / "a.rules"
    path.write_text("let  a = 1\n", encoding="utf-8")
    assert main(["fmt", str(path), "--lang", "en"]) == 1
    assert "internal error" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "let  a = 1\n"


# ---- the command
def test_cli_rewrites_in_place_and_check_reports(tmp_path, capsys):
    messy = tmp_path / "messy.rules"
    clean = tmp_path / "sub" / "clean.rules"
    clean.parent.mkdir()
    messy.write_text("let  a＝1\n", encoding="utf-8")
    clean.write_text("let a = 1\n", encoding="utf-8")
    assert main(["fmt", "--check", str(tmp_path), "--lang", "en"]) == 1
    out = capsys.readouterr()
    assert out.out == f"would reformat {messy}\n"
    assert "1 file(s) would be reformatted, 1 file(s) unchanged" in out.err
    assert messy.read_text(encoding="utf-8") == "let  a＝1\n"
    assert main(["fmt", "--diff", str(messy), "--lang", "en"]) == 0
    diff = capsys.readouterr().out
    assert "-let  a＝1\n+let a = 1\n" in diff and diff.startswith(f"--- {messy}\n")
    assert main(["fmt", str(tmp_path), "--lang", "en"]) == 0
    assert "1 file(s) reformatted, 1 file(s) unchanged" in capsys.readouterr().err
    assert messy.read_text(encoding="utf-8") == "let a = 1\n"
    assert main(["fmt", "--check", str(tmp_path), "--lang", "zh"]) == 0
    assert "0 个文件需要重新格式化，2 个文件无需改动" in capsys.readouterr().err


def test_cli_rewrites_a_file_in_its_own_encoding(tmp_path, capsys):
    # a GB18030 file (as Windows editors save it) came back as UTF-8, shown as mojibake by an
    # editor set to GBK, and a UTF-8 file lost its BOM; only when something was reformatted
    gbk, bom = tmp_path / "gbk.rules", tmp_path / "bom.rules"
    gbk.write_bytes("input 实际支出: 金额\r\nlet 率＝实际支出 ÷ 2\r\n".encode("gb18030"))
    bom.write_bytes("\ufefflet 甲＝1\n".encode("utf-8"))
    assert main(["fmt", str(tmp_path), "--lang", "en"]) == 0
    assert "2 file(s) reformatted" in capsys.readouterr().err
    assert gbk.read_bytes() == "input 实际支出: 金额\r\nlet 率 = 实际支出 / 2\r\n".encode("gb18030")
    assert bom.read_bytes() == "\ufefflet 甲 = 1\n".encode("utf-8")
    assert main(["fmt", "--check", str(tmp_path), "--lang", "en"]) == 0


def test_cli_summary_counts_files_it_could_not_format(tmp_path, capsys):
    # a file with syntax errors is neither reformatted nor unchanged: the summary said "0, 0"
    (tmp_path / "broken.rules").write_text("indicator 甲 weight 1 {\n", encoding="utf-8")
    (tmp_path / "clean.rules").write_text("let a = 1\n", encoding="utf-8")
    assert main(["fmt", "--check", str(tmp_path), "--lang", "en"]) == 1
    assert "0 file(s) would be reformatted, 1 file(s) unchanged, 1 file(s) could not be formatted" in capsys.readouterr().err
    assert main(["fmt", str(tmp_path), "--lang", "zh"]) == 1
    assert "0 个文件已重新格式化，1 个文件无需改动，1 个文件无法格式化" in capsys.readouterr().err


def test_cli_reads_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("let  a=1 # c\n".encode("utf-8"))))
    assert main(["fmt", "-", "--lang", "en"]) == 0
    out = capsys.readouterr()
    assert out.out == "let a = 1  # c\n" and out.err == ""


def test_cli_refuses_a_file_with_syntax_errors(tmp_path, capsys):
    path = tmp_path / "bad.rules"
    text = "let a = 1 +\nlet  b = 2\n"
    path.write_text(text, encoding="utf-8")
    assert main(["fmt", str(path), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "error[PR10" in err and f"{path}: has syntax errors; not formatted" in err
    assert path.read_text(encoding="utf-8") == text


def test_a_one_item_settings_on_one_line_stays_with_its_comment():
    # it was opened, and its end-of-line comment moved after the closing }
    assert fmt("settings { total 70 }   # 财政管理下一步再加\ninput 甲: number\n") == (
        "settings { total 70 }  # 财政管理下一步再加\ninput 甲: number\n")
    assert fmt("settings {\n  total 70\n}\n") == "settings {\n  total 70\n}\n"
    assert fmt("settings { total 1; missing zero }\n") == "settings {\n  total 1\n  missing zero\n}\n"


def test_a_long_chain_is_broken_after_its_operators():
    # fmt joined hand-wrapped conditions and sums into one line of 150 characters
    text = ("input 甲: number\ninput 乙: number\n"
            "alert 不在档内 warning when\n  (甲 = 1 and 乙 < 8) or\n  (甲 = 2 and (乙 < 6 or 乙 >= 8)) or\n"
            "  (甲 = 3 and 乙 >= 6) or (甲 = 4 and 乙 >= 66666666) or (甲 = 5 and 乙 >= 77777777) {\n  message \"x\"\n}\n"
            "let 合计 = max(甲, 100000000000) + max(乙, 200000000000) + max(甲, 300000000000) + max(乙, 40000000000000)\n")
    once = fmt(text)
    assert fmt(once) == once
    from perfrules.source import display_width

    assert all(display_width(line) <= 100 for line in once.splitlines())  # a Chinese character is two columns
    assert once.splitlines()[2:5] == [
        "alert 不在档内 warning when (甲 = 1 and 乙 < 8) or (甲 = 2 and (乙 < 6 or 乙 >= 8)) or",
        "    (甲 = 3 and 乙 >= 6) or (甲 = 4 and 乙 >= 66666666) or (甲 = 5 and 乙 >= 77777777) {",
        '  message "x"']
    assert once.splitlines()[-2:] == [
        "let 合计 = max(甲, 100000000000) + max(乙, 200000000000) + max(甲, 300000000000) +",
        "    max(乙, 40000000000000)"]


def test_a_comment_after_the_brace_of_a_continued_header_stays_there():
    # the comment moved into the block when the header ran over two lines
    text = 'input 甲: number\ninput 乙: number\nalert 续 warning when 甲 < 1 and\n    乙 < 1 {  # 续行说明\n  message "z"\n}\n'
    once = fmt(text)
    assert once.splitlines()[2] == "alert 续 warning when 甲 < 1 and 乙 < 1 {  # 续行说明"
    assert fmt(once) == once


def test_a_one_line_block_opened_keeps_its_comment_on_the_line_that_names_it():
    # The comment after a one-line alert block that statements must open went after its }.
    src = ('input x: number\nsettings { total 10 }\nindicator 甲 weight 10 {\n  value x\n  score value\n}\n'
           'alert 偏低 warning when x < 1 { message "x 偏低" }  # 半年检查\n')
    out = fmt(src)
    assert 'alert 偏低 warning when x < 1 {  # 半年检查\n  message "x 偏低"\n}\n' in out
    assert fmt(out) == out
