"""Check cases as data, mypy style.

Every tests/check/cases/*.rules file carries its expected diagnostics inline, at the end of the
line where the diagnostic's span starts:

    value 实际支处 / 预算数     # E: PR201 "did you mean 实际支出?"

`E:` is an error, `W:` a warning. Quoted fragments after a code must occur in that
diagnostic's message or hint (English or Chinese). The test compiles each file and compares
the multiset of (line, severity, code) found with the one expected, so a missing diagnostic,
an extra one, or one on the wrong line all fail.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from perfrules.compiler import compile_source
from perfrules.diagnostics import CODES
from perfrules.source import SourceFile

CASES = Path(__file__).parent / "cases"
FILES = sorted(CASES.glob("*.rules"))

_EXPECT = re.compile(r"\b([EW]):\s*(PR\d{3})((?:\s*\"[^\"]*\")*)")
_FRAGMENT = re.compile(r"\"([^\"]*)\"")


def expectations(text: str) -> list[tuple[int, str, str, list[str]]]:
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if "#" not in line:
            continue
        comment = line[line.index("#"):]
        for sev, code, frags in _EXPECT.findall(comment):
            out.append((lineno, "error" if sev == "E" else "warning", code, _FRAGMENT.findall(frags)))
    return out


def compile_case(path: Path):
    src = SourceFile(str(path), path.read_text(encoding="utf-8"))
    return src, compile_source(src, lambda p: SourceFile.read(p))


def test_there_are_cases():
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_check_case(path: Path):
    src, comp = compile_case(path)
    expected = expectations(src.text)
    found = Counter((d.span.line, d.severity, d.code) for d in comp.diagnostics)
    wanted = Counter((line, sev, code) for line, sev, code, _ in expected)
    assert not any(d.code == "PR901" for d in comp.diagnostics), comp.debug_trace
    missing = wanted - found
    extra = found - wanted

    def show(items):
        return "\n".join(f"  line {ln}: {sev} {code}  | {src.line_text(ln).strip()}" for (ln, sev, code) in sorted(items))

    assert not missing and not extra, (
        f"{path.name}\nexpected but not reported:\n{show(missing.elements())}\n"
        f"reported but not expected:\n{show(extra.elements())}\n"
        + "\n".join(f"  {d.span.line}:{d.span.column} {d.code} {d.message('en')}" for d in comp.diagnostics)
    )
    # Quoted fragments must appear in the message or hint of one diagnostic of that code on that line.
    for line, sev, code, frags in expected:
        if not frags:
            continue
        texts = [
            " ".join(filter(None, (d.message("en"), d.hint_text("en"), d.message("zh"), d.hint_text("zh"))))
            for d in comp.diagnostics if d.span.line == line and d.code == code
        ]
        assert any(all(f in t for f in frags) for t in texts), f"{path.name}:{line} {code}: {frags} not in {texts}"
    # Every span must lie inside the file and be well formed.
    for d in comp.diagnostics:
        sp = d.span
        assert 0 <= sp.start <= sp.end <= len(src.text), d
        assert (sp.line, sp.column) == src.position(sp.start)
        assert (sp.end_line, sp.end_column) == src.position(sp.end)


def test_errors_make_compilation_fail():
    """A file with an expected error must not compile; one with only warnings must."""
    for path in FILES:
        src, comp = compile_case(path)
        has_errors = any(sev == "error" for _, sev, _, _ in expectations(src.text))
        assert comp.ok is (not has_errors), path.name


# Codes a rule file cannot trigger through `perfrules check` (data problems are reported by
# `perfrules eval`, internal errors must never happen), or that belong to features that have
# no checker yet (composition: extends/use/override; float-risk lint).
NOT_FROM_RULE_FILES = {"PR801", "PR802", "PR803", "PR804", "PR901"}
NOT_YET_CHECKED = {"PR603"}


def test_every_code_is_covered():
    covered = set()
    for path in FILES:
        covered |= {code for _, _, code, _ in expectations(path.read_text(encoding="utf-8"))}
    uncovered = set(CODES) - covered - NOT_FROM_RULE_FILES - NOT_YET_CHECKED
    assert not uncovered, f"no check case triggers {sorted(uncovered)}"
