"""Renderers: caret text for people, JSON-ready dicts for tools."""
from __future__ import annotations

import unicodedata

from ..source import SourceFile, display_width
from .codes import CODES
from .model import Diagnostic

_SEVERITY = {"zh": {"error": "错误", "warning": "警告"}, "en": {"error": "error", "warning": "warning"}}
_HINT = {"zh": "提示", "en": "hint"}
_NOTE = {"zh": "说明", "en": "note"}
_INCLUDED = {"zh": "引用自", "en": "included from"}


def render_text(diag: Diagnostic, sources: dict[str, SourceFile], lang: str = "zh", color: bool = False) -> str:
    """Render like a compiler: header, location, source line, caret underline, hint."""
    sev = _SEVERITY[lang][diag.severity]
    head = f"{sev}[{diag.code}]: {diag.message(lang)}"
    if color:
        tint = "\033[1;31m" if diag.is_error else "\033[1;33m"
        head = f"{tint}{sev}[{diag.code}]\033[0m\033[1m: {diag.message(lang)}\033[0m"
    sp = diag.span
    lines = [head, f"  --> {sp.file}:{sp.line}:{sp.column}"]
    src = sources.get(sp.file)
    if src is not None:
        lines.extend(_excerpt(src, sp.line, sp.column, sp.end_line, sp.end_column, color, diag.is_error))
    for label in diag.labels:
        note = label.zh if lang == "zh" else label.en
        lines.append(f"  = {_NOTE[lang]}: {note} ({label.span.file}:{label.span.line}:{label.span.column})")
    for f in diag.chain:
        lines.append(f"  = {_INCLUDED[lang]} {f}")
    hint = diag.hint_text(lang)
    if hint:
        lines.append(f"  = {_HINT[lang]}: {hint}")
    return "\n".join(lines)


def _excerpt(src: SourceFile, line: int, col: int, end_line: int, end_col: int, color: bool, is_error: bool) -> list[str]:
    text = src.line_text(line)
    gutter = str(line)
    pad = " " * len(gutter)
    last = end_col if end_line == line else len(text) + 1
    last = max(last, col + 1)
    if len(text) > _LONG_LINE:
        # a very long line (a generated file, a binary one): the part around the mark, elided
        start = max(0, col - 1 - _CONTEXT)
        stop = min(len(text), max(last - 1, col) + _CONTEXT)
        last = min(last, stop + 1)
        lead = "…" if start else ""
        text = lead + text[start:stop] + ("…" if stop < len(text) else "")
        col, last = col - start + len(lead), last - start + len(lead)
    # A tab is shown as four spaces: printed as is, the terminal takes it to its next tab stop
    # (counted from the gutter) while the caret line counted it as one column, so the caret
    # stood left of what it marks on an indented line.
    before = display_width(_untab(text[: col - 1]))
    width = max(1, display_width(_untab(text[col - 1 : last - 1])))
    caret = "^" * width
    if color:
        caret = ("\033[1;31m" if is_error else "\033[1;33m") + caret + "\033[0m"
    return [f"{pad} |", f"{gutter} | {_untab(text)}", f"{pad} | {' ' * before}{caret}"]


_LONG_LINE = 200  # characters: longer source lines are shown around the mark only
_CONTEXT = 60


def _untab(text: str) -> str:
    """A source line as shown under a diagnostic: a tab as four spaces; a control, format or
    surrogate character (a binary file's bytes, a zero-width space, a stray BOM) as U+FFFD, one
    column wide, so that nothing drives the terminal and the caret stays under its column."""
    text = text.replace("\t", "    ")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
                   else "\ufffd" for ch in text)


def render_all(diags: list[Diagnostic], sources: dict[str, SourceFile], lang: str = "zh", color: bool = False) -> str:
    return "\n\n".join(render_text(d, sources, lang, color) for d in diags)


def to_dict(diag: Diagnostic, lang: str = "zh") -> dict:
    """The JSON shape of a diagnostic (see schemas/diagnostic.schema.json)."""
    return {
        "code": diag.code,
        "slug": CODES[diag.code].slug,
        "severity": diag.severity,
        "message": diag.message(lang),
        "file": diag.span.file,
        "line": diag.span.line,
        "column": diag.span.column,
        "end_line": diag.span.end_line,
        "end_column": diag.span.end_column,
        "hint": diag.hint_text(lang),
        "labels": [
            {"message": lb.zh if lang == "zh" else lb.en, **lb.span.to_dict()} for lb in diag.labels
        ],
        "chain": list(diag.chain),
    }


def summary_line(diags: list[Diagnostic], lang: str = "zh") -> str:
    errors = sum(d.is_error for d in diags)
    warnings = len(diags) - errors
    if lang == "zh":
        return f"{errors} 个错误，{warnings} 个警告"
    return f"{errors} error(s), {warnings} warning(s)"
