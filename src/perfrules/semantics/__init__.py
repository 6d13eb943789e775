"""Semantics: resolve names, check types, weights and bands, and lower the AST to the IR."""
from __future__ import annotations

from ..diagnostics import DiagnosticSink
from ..ir import Program
from ..source import SourceFile
from ..syntax import ast
from .check import RulesetChecker


def check_module(module: ast.Module, sources: dict[str, SourceFile], sink: DiagnosticSink, broken=frozenset(),
                 composition=None) -> Program:
    """Check a parsed (and composed) module; problems go to the sink. The program is only
    meaningful to run when the sink holds no errors. With the `composition` (compose.Composition)
    diagnostics are attributed to the file that is wrong and unused inherited inputs dropped."""
    checker = RulesetChecker(module, sources, sink, broken)
    program = checker.check()
    if composition is not None:
        from .inherit import finish
        # an unused def of a shared file may name what only some of its users declare (or one
        # removed): its body is checked when that file is checked on its own
        shared = {id(d) for d in checker.unused_def_errors if d.span.file != composition.root}
        sink.items[:] = [d for d in sink.items if id(d) not in shared]
        finish(program, module, composition, sink)
    return program


__all__ = ["check_module"]
