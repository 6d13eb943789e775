"""Pathological rule text: long files with a syntax error, deep nesting. Each must end in
diagnostics with a line and column, in time linear in the file, never an internal error."""
from __future__ import annotations

from lark import Lark

from perfrules.compiler import compile_source
from perfrules.source import SourceFile

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
