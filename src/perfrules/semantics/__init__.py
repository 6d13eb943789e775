"""Semantics: resolve names, check types, weights and bands, and lower the AST to the IR."""
from __future__ import annotations

from ..diagnostics import DiagnosticSink
from ..ir import Program
from ..source import SourceFile
from ..syntax import ast
from .check import RulesetChecker


def check_module(module: ast.Module, sources: dict[str, SourceFile], sink: DiagnosticSink, broken=frozenset()) -> Program:
    """Check a parsed (and composed) module; problems go to the sink. The program is only
    meaningful to run when the sink holds no errors."""
    return RulesetChecker(module, sources, sink, broken).check()


__all__ = ["check_module"]
