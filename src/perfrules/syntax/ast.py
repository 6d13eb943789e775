"""The abstract syntax tree: frozen dataclasses with spans, built from Lark's tree by build.py.

The AST records what was written and nothing more; meaning is given by semantics/.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from ..source import Span


@dataclass(frozen=True)
class Node:
    span: Span


@dataclass(frozen=True)
class Name(Node):
    text: str


# ---- expressions
@dataclass(frozen=True)
class Expr(Node):
    pass


@dataclass(frozen=True)
class Num(Expr):
    value: Fraction
    text: str
    percent: bool = False


@dataclass(frozen=True)
class Str(Expr):
    value: str


@dataclass(frozen=True)
class DateLit(Expr):
    value: date


@dataclass(frozen=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True)
class Full(Expr):
    """`full`: the weight (points) of the indicator being scored."""


@dataclass(frozen=True)
class ValueRef(Expr):
    """`value`: the value of the indicator being scored."""


@dataclass(frozen=True)
class TotalRef(Expr):
    pass


@dataclass(frozen=True)
class GradeRef(Expr):
    pass


@dataclass(frozen=True)
class Ref(Expr):
    """A name or a dotted path: an input, let, parameter, indicator or `indicator.score`."""

    parts: tuple[Name, ...]

    @property
    def dotted(self) -> str:
        return ".".join(p.text for p in self.parts)


@dataclass(frozen=True)
class Arg(Node):
    name: Name | None
    expr: Expr


@dataclass(frozen=True)
class Call(Expr):
    func: Ref
    args: tuple[Arg, ...]


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare(Expr):
    op: str  # >= <= > < == !=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class BoolOp(Expr):
    op: str  # and | or
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True)
class If(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


@dataclass(frozen=True)
class Pattern(Node):
    """One match pattern: a name (a choice label), a literal, or `otherwise` (both None)."""

    name: Name | None = None
    literal: Expr | None = None

    @property
    def is_otherwise(self) -> bool:
        return self.name is None and self.literal is None


@dataclass(frozen=True)
class Case(Node):
    patterns: tuple[Pattern, ...]
    result: Expr


@dataclass(frozen=True)
class Match(Expr):
    subject: Expr
    cases: tuple[Case, ...]


# ---- scoring forms
@dataclass(frozen=True)
class ScoreForm(Node):
    pass


@dataclass(frozen=True)
class ScoreExpr(ScoreForm):
    expr: Expr


@dataclass(frozen=True)
class BandCond(Node):
    """A band condition. kind: 'cmp' (op, bound), 'range' (lo, hi, closedness), 'otherwise', 'expr'."""

    kind: str
    op: str = ""
    bound: Expr | None = None
    hi: Expr | None = None
    lo_closed: bool = True
    hi_closed: bool = True
    expr: Expr | None = None


@dataclass(frozen=True)
class Band(Node):
    cond: BandCond
    points: Expr


@dataclass(frozen=True)
class Bands(ScoreForm):
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class LinearPoint(Node):
    x: Expr
    points: Expr


@dataclass(frozen=True)
class Linear(ScoreForm):
    points: tuple[LinearPoint, ...]


@dataclass(frozen=True)
class Deduct(ScoreForm):
    points: Expr
    unit: Expr
    direction: str  # over | under
    threshold: Expr
    counting: Name | None


@dataclass(frozen=True)
class CheckItem(Node):
    cond: Expr
    points: Expr


@dataclass(frozen=True)
class Checklist(ScoreForm):
    items: tuple[CheckItem, ...]


@dataclass(frozen=True)
class Either(ScoreForm):
    first: ScoreForm
    second: ScoreForm
    mode: Name | None


# ---- declarations
@dataclass(frozen=True)
class Decl(Node):
    pass


@dataclass(frozen=True)
class RulesetDecl(Decl):
    id: str
    version: str | None


@dataclass(frozen=True)
class MetaDecl(Decl):
    key: str
    value: str


@dataclass(frozen=True)
class AppliesDecl(Decl):
    names: tuple[str, ...]


@dataclass(frozen=True)
class IncludeDecl(Decl):
    """`extends "file"` or `use "file"`."""

    kind: str
    path: str


@dataclass(frozen=True)
class Setting(Node):
    key: Name
    args: tuple[Node, ...]  # Name | Num | Str


@dataclass(frozen=True)
class SettingsDecl(Decl):
    items: tuple[Setting, ...]


@dataclass(frozen=True)
class InputOption(Node):
    kind: str  # default | label | range | aliases
    value: object = None


@dataclass(frozen=True)
class InputDecl(Decl):
    name: Name
    type: Name
    choices: tuple[Node, ...]  # Name | Str
    options: tuple[InputOption, ...]


@dataclass(frozen=True)
class LetDecl(Decl):
    name: Name
    expr: Expr


@dataclass(frozen=True)
class DefDecl(Decl):
    name: Name
    params: tuple[Name, ...]
    body: Expr


@dataclass(frozen=True)
class Statement(Node):
    kind: str  # code | value | score | unit | note | missing | weights
    value: object


@dataclass(frozen=True)
class IndicatorDecl(Decl):
    kind: str  # normal | bonus | penalty
    name: Name
    weight: Num | None
    weight_kind: str  # weight | max | "" (none written)
    statements: tuple[Statement, ...]
    children: tuple["IndicatorDecl", ...]

    def first(self, kind: str) -> Statement | None:
        for st in self.statements:
            if st.kind == kind:
                return st
        return None


@dataclass(frozen=True)
class GradeBand(Node):
    name: Name
    op: str  # comparison, or "otherwise"
    bound: Expr | None


@dataclass(frozen=True)
class GradeDecl(Decl):
    target: Ref | None  # None: the total
    bands: tuple[GradeBand, ...]


@dataclass(frozen=True)
class AlertDecl(Decl):
    name: Name
    level: Name
    cond: Expr
    message: Str | None


@dataclass(frozen=True)
class OutputDecl(Decl):
    name: Name
    expr: Expr


@dataclass(frozen=True)
class OverrideDecl(Decl):
    path: Ref
    kind: str  # weight | score | value
    value: object


@dataclass(frozen=True)
class RemoveDecl(Decl):
    path: Ref


@dataclass(frozen=True)
class GivenItem(Node):
    name: Name
    value: Expr  # a literal, or a Ref naming a choice label


@dataclass(frozen=True)
class ExpectItem(Node):
    kind: str  # eq | alert | no_alert | error
    target: object = None  # "total" | "grade" | Ref | Name
    value: Expr | None = None


@dataclass(frozen=True)
class TestDecl(Decl):
    name: str
    given: tuple[GivenItem, ...]
    expect: tuple[ExpectItem, ...]


@dataclass(frozen=True)
class Module(Node):
    """One parsed file."""

    decls: tuple[Decl, ...] = field(default_factory=tuple)
