"""Composition of rule files (`extends`, `use`). For now a file stands alone; see issue 3."""
from __future__ import annotations

from .diagnostics import DiagnosticSink
from .source import SourceFile
from .syntax import ast, parse_module


def compose(src: SourceFile, sink: DiagnosticSink, sources: dict, loader=None) -> tuple[ast.Module, set[str]]:
    module, broken = parse_module(src, sink)
    return module, broken
