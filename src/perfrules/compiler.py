"""The pipeline: source text → parse → check → IR, with every failure turned into diagnostics."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, DiagnosticSink
from .ir import Program
from .source import SourceFile


@dataclass
class Compilation:
    """The outcome of compiling one rule file (with what it includes)."""

    program: Program | None
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile] = field(default_factory=dict)
    debug_trace: str | None = None

    @property
    def ok(self) -> bool:
        return self.program is not None and not any(d.is_error for d in self.diagnostics)


def compile_source(src: SourceFile, loader=None) -> Compilation:
    """Compile one source. `loader(path) -> SourceFile` reads the files it extends or uses
    (paths already resolved against the including file; raise OSError when there is none).
    `sources` of the result holds every file read, and the content hash covers them all."""
    sink = DiagnosticSink()
    sources = {src.path: src}
    try:
        from .compose import compose_files
        from .semantics import check_module

        comp = compose_files(src, sink, sources, loader)
        program = check_module(comp.module, sources, sink, comp.broken, comp)
    except Exception as exc:  # noqa: BLE001 - a compiler bug must never reach the user as a traceback
        sink.error("PR901", src.span(0, 0), reason=f"{type(exc).__name__}: {exc}")
        return Compilation(None, sink.sorted(), sources, traceback.format_exc())
    return Compilation(program, sink.sorted(), sources)
