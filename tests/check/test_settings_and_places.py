"""Settings written on one line without `;`, and weights with more decimals than the scores keep."""
from __future__ import annotations

from perfrules.compiler import compile_source
from perfrules.source import SourceFile

LEAVES = "input 甲: percent\nindicator 一 weight 0.125 { value 甲; score ratio(target: 100%) }\n" \
         "indicator 二 weight 0.875 { value 甲; score ratio(target: 100%) }\n"


def diagnostics(text: str):
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    return comp.diagnostics


def test_a_weight_shown_rounded_is_pr514_with_the_places_to_keep():
    found = diagnostics("settings { total 1 }\n" + LEAVES)
    assert [(d.code, d.span.line) for d in found] == [("PR514", 3), ("PR514", 4)]
    assert "显示为 0.13" in found[0].message("zh") and "show as 0.88" in found[1].message("en")
    assert "rounding half_up 3" in found[0].hint.zh
    assert diagnostics("settings { total 1; rounding half_up 3 }\n" + LEAVES) == []


def test_two_settings_on_a_line_without_a_semicolon_are_named():
    for text in ("settings { total 1  rounding half_up 3 }", "settings { rounding half_up 3 total 1 }",
                 "settings { missing zero rounding half_up }"):
        found = [d for d in diagnostics(text + "\n" + LEAVES) if d.code == "PR210"]
        assert len(found) == 1, text
        assert "分号" in found[0].hint.zh and "semicolons" in found[0].hint.en
