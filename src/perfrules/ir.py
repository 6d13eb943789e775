"""The intermediate representation: typed, resolved, ordered. Every backend reads only this.

Expressions are trees of small frozen nodes. A program is a list of steps in dependency
order; each step fills one slot of the record's environment (a let, an indicator's value
or score, the total, a grade, an alert, an output).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from .source import Span

NUMERIC = frozenset({"number", "amount", "count", "percent"})


@dataclass(frozen=True)
class Type:
    """A value type; `choices` is set for choice types (including grade names)."""

    kind: str
    choices: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    def __str__(self) -> str:
        if self.kind == "choice":
            return "choice(" + ", ".join(self.choices) + ")"
        return self.kind


NUMBER = Type("number")
PERCENT = Type("percent")
BOOL = Type("bool")
TEXT = Type("text")
DATE = Type("date")
UNKNOWN = Type("unknown")  # after an error: accepted everywhere so errors do not cascade


# ---- expressions
@dataclass(frozen=True)
class Expr:
    type: Type


@dataclass(frozen=True)
class Const(Expr):
    """A literal: Fraction, str, bool or date."""

    value: Fraction | str | bool | date


@dataclass(frozen=True)
class Slot(Expr):
    """Reads a slot of the environment: 'in:名', 'let:名', 'val:3', 'score:3', 'total', 'grade', 'as_of'."""

    key: str


@dataclass(frozen=True)
class Arith(Expr):
    """+ - * /. `subject` is the source text of the divisor, used as the reason of a division by zero."""

    op: str
    left: Expr
    right: Expr
    subject: str = ""


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True)
class Cmp(Expr):
    op: str  # >= > <= < == !=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Logic(Expr):
    op: str  # and | or (Kleene: false and missing = false; true or missing = true)
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
class Call(Expr):
    """A built-in function of the runtime (min, max, abs, round, coalesce, is_missing, time_progress…).
    `options` holds compile-time constants such as the time-progress convention."""

    fn: str
    args: tuple[Expr, ...]
    options: tuple = ()


@dataclass(frozen=True)
class PopCall(Expr):
    """A population function (rank, max_of, min_of, mean_of, percentile_of) of the batch.

    `operand` is the record's own argument (read by rank and percentile_of); `population`
    indexes Program.populations, whose statistics are computed across the batch between the
    two phases (runtime.population). `desc` only matters for rank (True: 1 = highest).
    The checker guarantees the operand depends on no population function."""

    fn: str
    operand: Expr
    population: int
    desc: bool = True


@dataclass(frozen=True)
class Population:
    """One argument of population functions, shared by every call on the same expression.

    Phase 1 evaluates `expr` for every record (after Program.phase1 steps); the column of
    values becomes one runtime.population.Stats. `label` is the argument's source text."""

    index: int
    expr: Expr
    label: str = ""


@dataclass(frozen=True)
class MatchCase:
    values: tuple  # constants compared with ==
    result: Expr


@dataclass(frozen=True)
class Match(Expr):
    """First case whose values contain the subject; `default` for otherwise (None: missing)."""

    subject: Expr
    cases: tuple[MatchCase, ...]
    default: Expr | None


# ---- scoring forms (in points; `full` is already a constant inside them)
@dataclass(frozen=True)
class ScoreForm:
    pass


@dataclass(frozen=True)
class ExprScore(ScoreForm):
    expr: Expr


@dataclass(frozen=True)
class RatioScore(ScoreForm):
    """min(value / target, 1) × full; reverse: value ≤ target → full, else target / value × full."""

    target: Expr
    reverse: bool
    subject: str = "target"  # the target as written: the reason when it is 0 (指标值 = 0，无法相除)


@dataclass(frozen=True)
class Band:
    cond: Expr  # bool over the value
    points: Expr


@dataclass(frozen=True)
class BandsScore(ScoreForm):
    bands: tuple[Band, ...]
    otherwise: Expr | None


@dataclass(frozen=True)
class LinearScore(ScoreForm):
    """Piecewise linear through (x, points), flat beyond both ends; xs strictly increasing."""

    xs: tuple[Expr, ...]
    points: tuple[Expr, ...]


@dataclass(frozen=True)
class DeductScore(ScoreForm):
    """full − n × points, n = deviation beyond threshold / unit, counted continuous|whole|started."""

    points: Expr
    unit: Expr
    direction: str  # over | under
    threshold: Expr
    counting: str
    subject: str = "per"  # the unit as written: the reason when it is 0


@dataclass(frozen=True)
class ChecklistScore(ScoreForm):
    items: tuple[Band, ...]


@dataclass(frozen=True)
class EitherScore(ScoreForm):
    first: ScoreForm
    second: ScoreForm
    mode: str  # available | better


# ---- the indicator tree
@dataclass
class Indicator:
    """One node of the indicator tree. Leaves have a score form; groups have children."""

    id: int
    path: tuple[str, ...]
    name: str
    code: str | None
    kind: str  # normal | bonus | penalty
    weight: Fraction  # points (for bonus/penalty: the cap)
    parent: int | None
    children: list[int] = field(default_factory=list)
    value: Expr | None = None
    score: ScoreForm | None = None
    missing: str = "zero"  # zero | exclude | error
    unit: str | None = None
    span: Span | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: Type
    default: object = None  # Fraction | str | bool | date | None (no default)
    has_default: bool = False
    label: str | None = None
    aliases: tuple[str, ...] = ()
    range: tuple | None = None  # (lo: Fraction, hi: Fraction, hi_closed: bool)


@dataclass(frozen=True)
class GradeBand:
    name: str
    op: str  # >= > <= < == or "otherwise"
    bound: Fraction | None


@dataclass(frozen=True)
class Grade:
    target: str  # "total" or an indicator id as "score:N"
    label: str  # the group's name, or "total"
    bands: tuple[GradeBand, ...]


@dataclass(frozen=True)
class TemplatePart:
    text: str = ""
    expr: Expr | None = None
    fmt: str = ""


@dataclass(frozen=True)
class Alert:
    name: str
    level: str  # info | warning | severe
    cond: Expr
    message: tuple[TemplatePart, ...]


@dataclass(frozen=True)
class Output:
    name: str
    expr: Expr

    @property
    def places(self) -> int | None:
        """Decimal places an output shows with: k for `round(x, k)` (1 ≤ k ≤ 10), so that money
        reads 50.00, not 50; None otherwise (shortest form)."""
        e = self.expr
        if isinstance(e, Call) and e.fn == "round" and len(e.args) == 2 and isinstance(e.args[1], Const):
            k = e.args[1].value
            if not isinstance(k, bool) and k == int(k) and 1 <= k <= 10:
                return int(k)
        return None


# ---- steps
@dataclass(frozen=True)
class LetStep:
    key: str
    expr: Expr


@dataclass(frozen=True)
class LeafStep:
    ind: int


@dataclass(frozen=True)
class GroupStep:
    ind: int


@dataclass(frozen=True)
class TotalStep:
    pass


@dataclass(frozen=True)
class GradeStep:
    index: int  # into Program.grades


Step = LetStep | LeafStep | GroupStep | TotalStep | GradeStep


@dataclass(frozen=True)
class Settings:
    rounding: str = "half_up"
    places: int = 2
    total_only: bool = False
    missing: str = "zero"
    time_progress: str = "by_day"
    total: Fraction = Fraction(100)
    year: int | None = None  # budget year: time_progress is 0 before it and 100% after it


@dataclass(frozen=True)
class TestCase:
    """A `test` block: inputs given as exact values, expectations checked after evaluation."""

    name: str
    given: dict
    as_of: date | None
    expects: tuple  # (kind, target, expected, span)
    span: Span | None = None


@dataclass
class Program:
    """A checked, ordered ruleset: what the backends run."""

    id: str
    version: str
    title: str
    content_hash: str
    settings: Settings
    inputs: list[InputSpec]
    indicators: list[Indicator]
    top: list[int]  # top-level indicator ids (normal, bonus and penalty)
    steps: list[Step]
    grades: list[Grade]
    alerts: list[Alert]
    outputs: list[Output]
    tests: list[TestCase] = field(default_factory=list)
    applies_to: tuple[str, ...] = ()
    source: str = ""
    meta: dict = field(default_factory=dict)
    # Population functions: empty unless the rules use them. Phase 1 runs `phase1` (the steps
    # the population arguments need, in order) and evaluates each Population.expr; phase 2 runs
    # `steps` with one Stats per population.
    populations: list[Population] = field(default_factory=list)
    phase1: list[Step] = field(default_factory=list)

    @property
    def total_grade(self) -> Grade | None:
        return next((g for g in self.grades if g.target == "total"), None)


def find_node(root, pred, follow=None):
    """The first dataclass node under `root` (through fields, lists, tuples and dicts; spans
    skipped) for which pred(node) holds, or None; `follow(node)` may name more nodes to visit
    (a slot's definition). Works on the IR and on the syntax tree alike."""
    import dataclasses

    seen: set[int] = set()
    todo = [root]
    while todo:
        x = todo.pop()
        if isinstance(x, (list, tuple)):
            todo.extend(x)
        elif isinstance(x, dict):
            todo.extend(x.values())
        elif dataclasses.is_dataclass(x) and not isinstance(x, type) and id(x) not in seen:
            seen.add(id(x))
            if pred(x):
                return x
            more = follow(x) if follow is not None else None
            if more is not None:
                todo.append(more)
            todo.extend(getattr(x, f.name) for f in dataclasses.fields(x) if f.name != "span")
    return None


def mentions_slot(node, key: str, slots: dict | None = None) -> bool:
    """Whether any expression anywhere under `node` (an indicator, a program, …) reads Slot
    `key`, following the slots in `slots` (e.g. lets: 'let:名' → its expression)."""
    follow = (lambda x: slots.get(x.key) if isinstance(x, Slot) else None) if slots else None
    return find_node(node, lambda x: isinstance(x, Slot) and x.key == key, follow) is not None


def walk(expr: Expr):
    """Every sub-expression of expr, depth first."""
    yield expr
    for child in children(expr):
        yield from walk(child)


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, (Arith, Cmp, Logic)):
        return (expr.left, expr.right)
    if isinstance(expr, (Neg, Not)):
        return (expr.operand,)
    if isinstance(expr, If):
        return (expr.cond, expr.then, expr.orelse)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, PopCall):
        return (expr.operand,)
    if isinstance(expr, Match):
        out = [expr.subject] + [c.result for c in expr.cases]
        if expr.default is not None:
            out.append(expr.default)
        return tuple(out)
    return ()


def form_exprs(form: ScoreForm) -> tuple[Expr, ...]:
    """The expressions a scoring form reads (for dependency analysis)."""
    if isinstance(form, ExprScore):
        return (form.expr,)
    if isinstance(form, RatioScore):
        return (form.target,)
    if isinstance(form, (BandsScore, ChecklistScore)):
        bands = form.bands if isinstance(form, BandsScore) else form.items
        out = [e for b in bands for e in (b.cond, b.points)]
        if isinstance(form, BandsScore) and form.otherwise is not None:
            out.append(form.otherwise)
        return tuple(out)
    if isinstance(form, LinearScore):
        return form.xs + form.points
    if isinstance(form, DeductScore):
        return (form.points, form.unit, form.threshold)
    if isinstance(form, EitherScore):
        return form_exprs(form.first) + form_exprs(form.second)
    return ()
