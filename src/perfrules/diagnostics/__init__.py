"""Diagnostics: the codes registry, the Diagnostic model and its renderers."""
from .codes import CODES, Code
from .model import Bi, Diagnostic, DiagnosticSink, Hint, Label
from .render import render_all, render_text, summary_line, to_dict

__all__ = ["Bi", "CODES", "Code", "Diagnostic", "DiagnosticSink", "Hint", "Label", "render_all", "render_text", "summary_line", "to_dict"]
