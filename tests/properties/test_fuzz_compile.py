"""Fuzzing the compiler: random text, and mutated copies of rulesets/health/health.rules
(characters and lines deleted, duplicated and swapped, full-width punctuation inserted), must
never make `perfrules.compile` raise anything but CompileError, never produce an internal error
(PR901), and every diagnostic must carry a valid span that renders in both languages."""
from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RULESETS

import perfrules
from perfrules.diagnostics import render_all, to_dict

SCALE = int(os.environ.get("PERFRULES_HYPOTHESIS_SCALE", "1"))
HEALTH = (RULESETS / "health" / "health.rules").read_text(encoding="utf-8")
FISCAL = (RULESETS / "common" / "fiscal.rules").read_text(encoding="utf-8")
# Compiled as if it sat beside health.rules, so that `extends "../common/fiscal.rules"` resolves.
FUZZ_PATH = str(RULESETS / "health" / "fuzz.rules")
PASTED = "（）：，；＝＞＜≥≤≠×÷－｛｝［］％“”‘’、．＋／＊−→\u3000"


def assert_well_behaved(text: str, path: str = FUZZ_PATH) -> None:
    try:
        rules = perfrules.compile(text, path)
    except perfrules.CompileError as err:
        diags = err.diagnostics
        assert any(d.is_error for d in diags)
        sources = err.sources
    else:
        diags = rules.diagnostics
        sources = rules.sources
        rules.evaluate_one({}, backend="reference")
        rules.evaluate_one({}, backend="row")
    assert not [d for d in diags if d.code == "PR901"], [d.args for d in diags if d.code == "PR901"]
    assert path in sources
    for d in diags:
        sp = d.span
        assert sp.file in sources
        s = sources[sp.file]
        assert 0 <= sp.start <= sp.end <= len(s.text), (d.code, sp)
        assert (sp.line, sp.column) == s.position(sp.start)
        assert (sp.end_line, sp.end_column) == s.position(sp.end)
        for lb in d.labels:
            assert 0 <= lb.span.start <= lb.span.end <= len(sources[lb.span.file].text)
        json.dumps(to_dict(d, "en"), ensure_ascii=False)
    for lang in ("zh", "en"):
        out = render_all(diags, sources, lang)
        # an unfilled placeholder of a message; the source lines shown may hold the text itself
        # (Hypothesis tries string constants of the code under test, such as "{reason}")
        for line in sorted(text.splitlines(), key=len, reverse=True):
            out = out.replace(line.strip(), "") if line.strip() else out
        assert "{" + "reason}" not in out


mutation = st.one_of(
    st.tuples(st.just("del"), st.floats(0, 1), st.integers(1, 5)),
    st.tuples(st.just("dup"), st.floats(0, 1), st.integers(1, 20)),
    st.tuples(st.just("swap"), st.floats(0, 1), st.just(1)),
    st.tuples(st.just("ins"), st.floats(0, 1), st.sampled_from(PASTED)),
    st.tuples(st.just("ins"), st.floats(0, 1), st.text(min_size=1, max_size=3)),
    st.tuples(st.just("del_line"), st.floats(0, 1), st.integers(1, 3)),
    st.tuples(st.just("dup_line"), st.floats(0, 1), st.integers(1, 3)),
    st.tuples(st.just("swap_line"), st.floats(0, 1), st.floats(0, 1)),
    st.tuples(st.just("cut"), st.floats(0, 1), st.just(0)),
)


def mutate(text: str, muts) -> str:
    for kind, where, arg in muts:
        if kind.endswith("_line"):
            lines = text.split("\n")
            i = int(where * (len(lines) - 1))
            if kind == "del_line":
                del lines[i:i + arg]
            elif kind == "dup_line":
                lines[i:i] = lines[i:i + arg]
            else:
                j = int(arg * (len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
            continue
        i = int(where * len(text))
        if kind == "del":
            text = text[:i] + text[i + arg:]
        elif kind == "dup":
            text = text[:i] + text[i:i + arg] + text[i:]
        elif kind == "swap" and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        elif kind == "ins":
            text = text[:i] + arg + text[i:]
        elif kind == "cut":
            text = text[:i]
    return text


@settings(max_examples=120 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_health_rules(muts):
    assert_well_behaved(mutate(HEALTH, muts))


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_common_fiscal_rules(muts):
    assert_well_behaved(mutate(FISCAL, muts), str(RULESETS / "common" / "fuzz.rules"))


def test_unmutated_files_compile():
    assert_well_behaved(HEALTH)
    perfrules.compile(HEALTH, FUZZ_PATH)


TOKENS = [
    "indicator", "weight", "score", "value", "bands", "linear", "deduct", "per", "over", "under", "counting",
    "ratio", "target", "reverse", "match", "checklist", "either", "or", "and", "not", "by", "otherwise", "full",
    "input", "let", "def", "output", "alert", "warning", "when", "message", "grade", "total", "settings",
    "rounding", "missing", "test", "given", "expect", "bonus", "penalty", "max", "code", "unit", "weights", "share",
    "amount", "percent", "count", "number", "choice", "date", "if", "then", "else", "true", "false", "in", "from",
    "{", "}", "(", ")", "[", "]", ":", ";", ",", "=", "->", ">=", "<", "+", "-", "*", "/", "%", ".", "|",
    "\n", "\n", "  ", "90%", "0", "1.5", "2024-06-30", "2024-02-30", '"文"', '"{a:pct}"', '"{', "`名 字`", "#注释\n",
    "甲", "乙", "a", "b", "value", "time_progress", "round", "min", "coalesce", "rank", "as_of",
    "（", "）", "：", "，", "；", "＝", "≥", "≤", "≠", "×", "÷", "－", "“", "”",
]


@settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_soup(tokens):
    assert_well_behaved(" ".join(tokens))


@settings(max_examples=60 * SCALE, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text):
    assert_well_behaved(text)


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25), st.integers(0, 2000))
def test_token_soup_spliced_into_valid_rules(tokens, where):
    lines = HEALTH.split("\n")
    i = where % len(lines)
    assert_well_behaved("\n".join(lines[:i] + [" ".join(tokens)] + lines[i:]))
