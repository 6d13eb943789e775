"""The cached Lark LALR parser and the newline-aware postlexer."""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token

GRAMMAR_PATH = Path(__file__).with_name("perfrules.lark")

# A newline right after one of these tokens continues the statement on the next line.
_CONTINUES = {
    "ADD_OP", "MINUS", "MUL_OP", "CMP", "_EQ", "_ARROW", "_COMMA", "_LBRACE", "_SEMI", "_COLON",
    "_DOT", "AND", "OR", "NOT", "IF", "THEN", "ELSE", "WHEN", "PER", "OVER", "UNDER", "VBAR", "_NL",
}
_OPEN = {"_LPAR", "RANGE_OPEN"}
_CLOSE = {"_RPAR", "_RBRACK"}


class NewlinePostLex:
    """Drops newlines that cannot end a statement, so the grammar only sees real separators.

    The decision looks only backwards: the contextual lexer lexes each token in the parser
    state left by the previous one, so a newline cannot be held back to peek at the next.
    """

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        prev = None
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if depth > 0 or prev is None or prev in _CONTINUES:
                    continue
            elif kind in _OPEN:
                depth += 1
            elif kind in _CLOSE:
                depth = max(0, depth - 1)
            elif kind in ("_LBRACE", "_RBRACE"):
                depth = 0  # a brace ends any unclosed bracket, which keeps errors local
            prev = kind
            yield tok


def _build(strict: bool = False, start: str | list[str] = "start") -> Lark:
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=NewlinePostLex(),
        propagate_positions=True,
        maybe_placeholders=True,
        start=start,
        strict=strict,
        # The LALR tables are cached in the temp dir (keyed by grammar hash and Lark version):
        # building them costs ~0.4 s, loading ~15 ms, which is most of `perfrules check`'s start-up.
        cache=not strict,
    )


_BUILD_LOCK = threading.Lock()


def _new_lock() -> None:
    # a child forked while a thread held the lock (building) has no such thread: a fresh lock
    global _BUILD_LOCK
    _BUILD_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock)


@lru_cache(maxsize=1)
def _built() -> Lark:
    return _build(start=["start", "expr"])


def get_parser() -> Lark:
    """The parser, built once per process (~0.4 s; ~15 ms from Lark's cache file). Threads
    loading rule files at once wait for the one building it: lru_cache alone let each of them
    build its own (16 threads: 16 builds, 11 s)."""
    if _built.cache_info().currsize:
        return _built()
    with _BUILD_LOCK:
        return _built()


get_parser.cache_clear = _built.cache_clear  # type: ignore[attr-defined]


def build_strict() -> Lark:
    """Build with Lark's strict checks (conflicts are errors); used by the test suite."""
    return _build(strict=True, start=["start", "expr"])


__all__ = ["get_parser", "build_strict", "Token"]
