"""Diagnostics found wanting when writing rule files as a policy author would."""
from __future__ import annotations

from perfrules.compiler import compile_source
from perfrules.source import SourceFile


def diagnostics(text: str, lang: str = "en"):
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    return [(d.span.line, d.code, d.message(lang)) for d in comp.diagnostics]


def test_too_few_arguments_of_a_function_without_an_upper_limit():
    # min() said "需要 1–… 个参数" / "takes 1–…"
    text = "output 最小 = min()\noutput 截 = round()\n"
    assert diagnostics(text, "zh") == [
        (1, "PR205", "函数 min 的参数不正确：需要至少 1 个参数，给了 0 个"),
        (2, "PR205", "函数 round 的参数不正确：需要 1–2 个参数，给了 0 个"),
    ]
    assert diagnostics(text)[0] == (1, "PR205", "wrong arguments to min: takes at least 1, got 0")
