"""flat._Joined builds the flags/alerts list<string> column from parts (one text code per row
each) and per-row overrides: per row, the parts' texts in part order; an override row holds
exactly its own texts; a row with none is null. Checked against a row-by-row model on random
parts."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfrules import flat


def _model(n, parts, over):
    rows = []
    for i in range(n):
        if i in over:
            texts = over[i] or []
        else:
            texts = [words[c[i]] for c, words in parts if c[i] >= 0]
        rows.append(texts or None)
    return rows


@st.composite
def joined_cases(draw):
    n = draw(st.integers(1, 40))
    parts = []
    for p in range(draw(st.integers(0, 4))):
        words = [f"p{p}w{j}" for j in range(draw(st.integers(1, 3)))]
        codes = draw(st.lists(st.integers(-1, len(words) - 1), min_size=n, max_size=n))
        parts.append((np.array(codes, dtype=np.int32), words))
    over = draw(st.dictionaries(st.integers(0, n - 1), st.one_of(st.none(), st.lists(st.sampled_from(["甲", "乙"]), max_size=2)), max_size=3))
    return n, parts, over


@settings(max_examples=150, deadline=None)
@given(joined_cases())
def test_joined_equals_row_model(case):
    n, parts, over = case
    col = flat._Joined(n)
    for codes, words in parts:
        part = flat._Strings(n)
        part.codes, part.words = codes.copy(), list(words)
        col.add(part)
    for i, texts in over.items():
        col.set(i, texts)
    assert col.array().to_pylist() == _model(n, parts, over)


def test_override_replaces_the_parts_texts_of_its_row():
    col = flat._Joined(3)
    part = flat._Strings(3)
    part.codes = np.array([0, 0, -1], dtype=np.int32)
    part.words = ["甲：缺少数据"]
    col.add(part)
    col.set(1, ["乙：按参考计算"])
    assert col.array().to_pylist() == [["甲：缺少数据"], ["乙：按参考计算"], None]
