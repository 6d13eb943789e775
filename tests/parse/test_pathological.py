"""Pathological rule text: long files with a syntax error, deep nesting. Each must end in
diagnostics with a line and column, in time linear in the file, never an internal error."""
from __future__ import annotations

import pytest
from lark import Lark

import perfrules
from perfrules.compiler import compile_source
from perfrules.source import SourceFile
from perfrules.syntax.printer import SyntaxProblems, format_text
from perfrules.testing import run_file

BASE = "settings { total 1 }\ninput a: number\n"


def _compile(text: str, path: str = "p.rules"):
    src = SourceFile(path, text)
    return src, compile_source(src, lambda p: SourceFile.read(p))


def test_recovery_after_a_syntax_error_parses_each_declaration_alone(monkeypatch):
    """After a syntax error each declaration was parsed again with the whole file before it
    blanked to spaces (for the positions): a 10,000-line file with one error took over 120 s."""
    seen: list[int] = []
    real = Lark.parse

    def spy(self, text, start=None, *args, **kwargs):
        seen.append(len(text))
        return real(self, text, start, *args, **kwargs)

    monkeypatch.setattr(Lark, "parse", spy)
    text = (BASE + "indicator x weight 1 {\n  value a + )\n  score full\n}\n"
            + "".join(f"let v{i} = a + {i}\n" for i in range(2000)))
    _, result = _compile(text)
    assert sum(seen) < 3 * len(text), (sum(seen), len(text))
    assert [(d.code, d.span.line) for d in result.diagnostics if d.is_error] == [("PR102", 4)]


def test_errors_found_in_recovery_keep_their_lines_and_columns():
    text = (BASE + "indicator x weight 1 {\n  value a + )\n  score full\n}\n"
            + "let 好 = a + 1\n" * 3
            + "let 坏 = a $ 2\n"          # an unexpected character
            + "output 输出 = 好 +\n"       # the declaration ends unfinished
            + "let 尾 = (a + 1\n"          # a parenthesis never closed
            + 'let 引 = "abc\n')            # a string never closed
    src, result = _compile(text)
    got = [(d.code, d.span.line, d.span.column, src.snippet(d.span)) for d in result.diagnostics]
    assert got == [("PR102", 4, 13, ")"), ("PR101", 10, 11, "$"), ("PR103", 11, 15, "+"),
                   ("PR103", 12, 14, "1"), ("PR106", 13, 9, '"abc')]


DEEP = {
    "a sum of 2000 terms": "value " + " + ".join(["a"] * 2000),
    "2000 minus signs": "value " + "-" * 2000 + "a",
    "2000 nested calls": "value " + "abs(" * 2000 + "a" + ")" * 2000,
    "100 nested ifs": "value a\n  score " + "if a > 0 then " * 100 + "a" + " else 0" * 100,
    "2000 nots": "value a\n  score if " + "not " * 2000 + "a > 0 then full else 0",
}


@pytest.mark.parametrize("body", list(DEEP.values()), ids=list(DEEP))
def test_too_deep_an_expression_is_a_diagnostic_at_its_start(body):
    """These were internal errors (PR901: RecursionError in building the syntax tree, checking,
    formatting or the generated row evaluators; 100 nested ifs an IndentationError of the
    generated Python)."""
    if "score" not in body:
        body += "\n  score full"
    text = BASE + "indicator x weight 1 {\n  " + body + "\n}\n"
    src, result = _compile(text)
    assert [d.code for d in result.diagnostics if d.is_error] == ["PR107"]
    span = result.diagnostics[0].span
    assert span.line in (4, 5) and span.column > 2
    with pytest.raises(SyntaxProblems):
        format_text(text)


def test_within_the_limits_everything_runs(tmp_path):
    """Just under the limits: every evaluator, the tests, the generated code and fmt."""
    nest = 140
    text = (BASE.replace("total 1", "total 3")
            + "indicator 和 weight 1 { value " + " + ".join(["a"] * 140) + "; score if value > 0 then full else 0 }\n"
            + "indicator 枝 weight 1 {\n  value a\n  score " + "if a > 1 then 0 else " * 63 + "full\n}\n"
            + "".join(f"indicator 组{i} weight 1 {{\n" for i in range(nest))
            + "indicator 叶 weight 1 { value a; score full }\n" + "}\n" * nest
            + 'test "t" { given { a = 1 } expect { total = 3 } }\n')
    rules = perfrules.compile(text)
    for backend in ("row", "rowfraction", "reference"):
        assert rules.evaluate_one({"a": "1"}, backend=backend).total == 3
    path = tmp_path / "deep.rules"
    path.write_text(text, encoding="utf-8")
    result = run_file(path)
    assert [c.passed for c in result.cases] == [True], result.cases
    assert format_text(text)
