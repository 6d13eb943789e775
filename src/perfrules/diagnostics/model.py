"""Diagnostics as data: a code, a span, arguments for the message, labels and a hint."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..source import Span
from .codes import CODES


@dataclass(frozen=True)
class Label:
    """A secondary span with a short note, e.g. 'first defined here'."""

    span: Span
    zh: str
    en: str


@dataclass(frozen=True)
class Hint:
    zh: str
    en: str


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a rule file or its data.

    The message is not stored as text: `args` fill the code's zh/en templates when rendered,
    so one diagnostic can be shown in either language.
    """

    code: str
    span: Span
    args: dict = field(default_factory=dict)
    labels: tuple[Label, ...] = ()
    hint: Hint | None = None
    severity: str = ""
    chain: tuple[str, ...] = ()  # files that included the wrong one, outermost first

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise KeyError(f"unregistered diagnostic code {self.code}")
        if self.span is None:
            raise ValueError("a diagnostic needs a span")
        if not self.severity:
            object.__setattr__(self, "severity", CODES[self.code].severity)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def message(self, lang: str = "zh") -> str:
        c = CODES[self.code]
        template = c.zh if lang == "zh" else c.en
        return _fill(template, self.args, lang)

    def hint_text(self, lang: str = "zh") -> str | None:
        if self.hint is None:
            return None
        return self.hint.zh if lang == "zh" else self.hint.en


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        if key.endswith("_en") and key[:-3] in self:  # no English variant given: the plain argument
            return self[key[:-3]]
        return "{" + key + "}"


def _fill(template: str, args: dict, lang: str = "zh") -> str:
    return template.format_map(_Blank({k: _show(v, lang) for k, v in args.items()}))


class Bi(tuple):
    """A message argument with a Chinese and an English form: Bi("缺少 target", "target is required")."""

    def __new__(cls, zh: str, en: str):
        return super().__new__(cls, (zh, en))


def _show(v, lang: str = "zh") -> str:
    if isinstance(v, Bi):
        return v[0] if lang == "zh" else v[1]
    if isinstance(v, (list, tuple)):
        return ("、" if lang == "zh" else ", ").join(str(x) for x in v)
    return str(v)


class DiagnosticSink:
    """Collects diagnostics in the order found; nothing is raised while checking."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    def error(self, code: str, span: Span, /, hint: Hint | None = None, labels=(), **args) -> None:
        # code and span are positional-only so that a message argument may be called `code` (PR407)
        self.items.append(Diagnostic(code, span, args, tuple(labels), hint))

    def warning(self, code: str, span: Span, /, hint: Hint | None = None, labels=(), **args) -> None:
        self.items.append(Diagnostic(code, span, args, tuple(labels), hint, severity="warning"))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.file, d.span.start, d.code))
