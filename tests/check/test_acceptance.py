"""The acceptance case: one rule file with five different mistakes, all reported in one run
with file, line, column, the source line, a caret underline and a hint, in Chinese and English.

The rendered text is compared with golden files in tests/golden/ (PERFRULES_UPDATE_GOLDEN=1
regenerates them).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from perfrules.cli import main
from perfrules.source import display_width

CASES = Path(__file__).parent / "cases"
NAME = "acceptance_five_mistakes.rules"

# (code, line, column, text under the caret): one per mistake, as a person would point at them.
MISTAKES = [
    ("PR401", 7, 11, "财政管理"),          # weights 40 + 15 under a group of 60
    ("PR201", 9, 11, "实际支处"),          # unknown name (实际支出)
    ("PR502", 12, 7, ">= 90%"),           # a band shadowed by the one before it
    ("PR301", 17, 11, "情况说明 * 2"),      # arithmetic on text
    ("PR103", 26, 1, "}"),                # a brace never closed, further down
]
HEADINGS = {"zh": ("错误", "提示"), "en": ("error", "hint")}


def run_check(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.chdir(CASES)
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_five_mistakes_rendered(monkeypatch, capsys, golden, lang):
    code, out, err = run_check(monkeypatch, capsys, "--lang", lang, NAME)
    assert code == 1
    assert "Traceback" not in out + err
    golden(f"acceptance_five_mistakes.{lang}.txt", out)

    lines = (CASES / NAME).read_text(encoding="utf-8").splitlines()
    blocks = out.strip().split("\n\n")
    error_word, hint_word = HEADINGS[lang]
    reported = [b for b in blocks if re.match(rf"{error_word}\[PR\d+\]", b)]
    assert [re.match(r"\S+\[(PR\d+)\]", b).group(1) for b in reported] == [m[0] for m in MISTAKES]
    for block, (code_, line, col, under) in zip(reported, MISTAKES):
        rows = block.splitlines()
        assert rows[1].strip() == f"--> {NAME}:{line}:{col}", block
        # the source line, then the caret row: carets sit under `under` (CJK counts two columns)
        src_row = next(r for r in rows if re.match(rf"\s*{line} \| ", r))
        assert src_row.split(" | ", 1)[1] == lines[line - 1]
        caret_row = rows[rows.index(src_row) + 1]
        gutter = caret_row.index("|") + 2
        text = lines[line - 1]
        start = display_width(text[: col - 1])
        assert caret_row[gutter:] == " " * start + "^" * display_width(under), block
        assert any(r.strip().startswith(f"= {hint_word}:") for r in rows), f"no hint:\n{block}"
    summary = "5 个错误，0 个警告" if lang == "zh" else "5 error(s), 0 warning(s)"
    assert summary in out


def test_five_mistakes_json(monkeypatch, capsys):
    code, out, _ = run_check(monkeypatch, capsys, "--format", "json", "--lang", "en", NAME)
    assert code == 1
    items = json.loads(out)
    assert [(d["code"], d["line"], d["column"]) for d in items] == [m[:3] for m in MISTAKES]
    for d in items:
        assert d["file"] == NAME and d["severity"] == "error" and d["hint"]
        assert d["end_line"] >= d["line"] and d["message"]
    by_code = {d["code"]: d for d in items}
    assert "实际支出" in by_code["PR201"]["hint"]
    assert "55" in by_code["PR401"]["message"] and "-5" in by_code["PR401"]["message"]
    assert [lb["line"] for lb in by_code["PR401"]["labels"]] == [8, 16]
