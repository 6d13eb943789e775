"""The fast exact row evaluator: the IR turned into straight-line Python over integer pairs.

Like rowwise.py it generates one plain function per ruleset, but it never builds a Fraction:

* every exact number is two locals, a numerator and a denominator > 0 (`n7`, `d7`), never
  reduced; + − × ÷ and comparisons are a few int operations (comparison by cross-multiplying),
  a division by zero gives missing with the same reason as runtime.ops.div;
* a missing number is the pair (the Missing, 0), so `if d7:` tests presence; what is known at
  build time (constants, inputs with defaults, counts whose denominator is 1) skips the tests
  and the multiplications by 1;
* scores are ints scaled by D = lcm(10^places, the weights' denominators): a leaf's raw points
  are rounded once with integer floor division (as runtime.numbers.round_scaled), clamped to
  [0, weight], and groups and the total are int sums (with `total_only` the leaves are not
  rounded and scores are pairs too);
* the record is read and converted inline (ints, floats of ≤ 15 digits, plain decimal strings);
  every other cell goes through runtime.convert.convert_value, so defaults, blanks and errors
  are exactly the row path's.

The function returns either `(field errors,)` or one flat list (FastRowEvaluator's layout) that
`to_raw` turns into the RawResult every other backend gives (tests compare them), and that the
API turns into a lazily built EvaluationResult.

What it does not handle raises Unsupported when the evaluator is built, and the ruleset keeps
the Fraction evaluator (rowwise.py): population functions (rank, max_of…), a total that is not
positive, and expressions whose shape is unusual (`linear` points that are not literals, `round`
to a number of places that is not a literal, …).

As in rowwise.py, every literal of the rule file is bound in a constants table (k0, k1, …):
nothing the rule author wrote is pasted into the generated source. `perfrules compile --emit
python-fast` prints it.
"""
from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

from .. import ir
from ..io.cells import is_blank, parse_text
from ..runtime import ops, qpairs
from ..runtime.convert import _ABSENT
from ..runtime.missing import Missing
from ..runtime.numbers import ROUNDING_MODES, round_scaled, scaled_decimal
from ..runtime.scoring import finish
from .common import clamp_flag, excluded_weight, show
from .result import RawResult
from .rowwise import Writer, _comment

_CMP_OPS = (">=", ">", "<=", "<", "==", "!=")
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}


class Unsupported(Exception):
    """The program uses something the fast evaluator does not generate (see the module doc)."""


class Num:
    """A number in the generated code: atoms n and d (local names, constants, or '1').

    mm: may be missing; then d is a local that is 0 exactly when missing (and n holds the
    Missing). one: the denominator is 1 whenever present. val: the Fraction, for constants.
    nn: the number is ≥ 0 whenever present (then a nonzero divisor needs no sign fix)."""

    __slots__ = ("n", "d", "one", "mm", "val", "nn")

    def __init__(self, n: str, d: str, one: bool = False, mm: bool = False, val=None, nn: bool = False):
        self.n, self.d, self.one, self.mm, self.val, self.nn = n, d, one, mm, val, nn

    def present(self) -> "Num":
        """The same number where it is known to be present (inside `if d:`)."""
        return Num(self.n, "1" if self.one else self.d, self.one, False, self.val, self.nn)

    @property
    def den(self) -> str:
        return "1" if self.one else self.d


class Val:
    """A bool, text, choice or date value (or a Missing) in one local or constant."""

    __slots__ = ("v", "mm")

    def __init__(self, v: str, mm: bool = False):
        self.v, self.mm = v, mm


def _mul(a: str, b: str) -> str:
    if a == "0" or b == "0":
        return "0"
    if a == "1":
        return b
    if b == "1":
        return a
    return f"{a} * {b}"


def _neg(a: str) -> str:
    return f"-{a}" if a.isidentifier() or a.isdigit() else f"-({a})"


def _constant(e: ir.Expr):
    """The Fraction a numeric constant expression (a literal, possibly negated) stands for, else None."""
    if isinstance(e, ir.Const):
        v = e.value
        if isinstance(v, (Fraction, int)) and not isinstance(v, bool):
            return Fraction(v)
        return None
    if isinstance(e, ir.Neg):
        v = _constant(e.operand)
        return None if v is None else -v
    return None


def _present(x) -> str:
    return x.d if isinstance(x, Num) else f"type({x.v}) is not Missing"


def _absent(x) -> str:
    return f"not {x.d}" if isinstance(x, Num) else f"type({x.v}) is Missing"


def _missing_atom(x) -> str:
    return x.n if isinstance(x, Num) else x.v


class FastGenerator:
    def __init__(self, program: ir.Program):
        p, s = program, program.settings
        if p.populations:
            raise Unsupported("population functions")
        if s.rounding not in ROUNDING_MODES or type(s.places) is not int or s.places < 0:
            raise Unsupported("rounding")
        if not s.total > 0:
            raise Unsupported("a total that is not positive")
        self.p = p
        self.w = Writer()
        self.P = 10**s.places
        den = self.P
        for ind in p.indicators:
            den = den * Fraction(ind.weight).denominator // math.gcd(den, Fraction(ind.weight).denominator)
        # scores are ints scaled by D; with total_only (leaves not rounded) they are pairs sN/sdN
        self.total_only = s.total_only
        self.D = den
        self.exclusion = any(ind.missing == "exclude" for ind in p.indicators)
        self.slots: dict = {}
        self.temps = 0
        self.val_ids: list[int] = []  # leaves whose value is recorded, in step order
        self.val_atoms: list[str] = []
        self.score_ids: list[int] = []
        self.grade_atoms: list[tuple[str, str]] = []

    # ---- names and constants
    def k(self, value) -> str:
        return self.w.const(value)

    def fresh(self) -> int:
        self.temps += 1
        return self.temps

    def new_num(self, mm: bool, one: bool, nn: bool = False) -> Num:
        i = self.fresh()
        return Num(f"n{i}", "1" if (one and not mm) else f"d{i}", one, mm, None, nn)

    def new_val(self, mm: bool) -> Val:
        return Val(f"t{self.fresh()}", mm)

    def const_num(self, v) -> Num:
        v = Fraction(v)
        # numerators 0 and 1 are written as such so that products with them fold away
        n = str(v.numerator) if v.numerator in (0, 1) else self.k(v.numerator)
        return Num(n, "1" if v.denominator == 1 else self.k(v.denominator), v.denominator == 1, False, v, v >= 0)

    def line(self, text: str) -> None:
        self.w.line(text)

    def indent(self):
        return self.w.indent()

    # ---- assigning results
    def set_num(self, r: Num, n: str, d: str) -> None:
        """r = n/d in a branch where it is present (d must be '1' when r.one)."""
        if r.one and d != "1":
            raise AssertionError(f"{r.n}: denominator {d} where 1 was promised")
        self.line(f"{r.n} = {n}")
        if r.mm:
            self.line(f"{r.d} = {d}")
        elif r.d != "1":
            self.line(f"{r.d} = {d}")

    def set_missing(self, r, atom: str) -> None:
        if isinstance(r, Num):
            self.line(f"{r.n} = {atom}")
            self.line(f"{r.d} = 0")
        else:
            self.line(f"{r.v} = {atom}")

    def assign(self, r, x) -> None:
        """r = x where r's static facts cover x's."""
        if isinstance(r, Num):
            if x.mm:
                self.line(f"{r.n} = {x.n}")
                self.line(f"{r.d} = {x.d}")
            else:
                self.set_num(r, x.n, "1" if (r.one and x.one) else x.den)
        else:
            self.line(f"{r.v} = {x.v}")

    def guarded(self, xs, body, on_missing) -> None:
        """body() where every operand is present, else on_missing(the first missing one's atom)."""
        mm = [x for x in xs if x.mm]
        if not mm:
            body()
            return
        self.line("if " + " and ".join(_present(x) for x in mm) + ":")
        with self.indent():
            body()
        for i, x in enumerate(mm):
            self.line(f"elif {_absent(x)}:" if i < len(mm) - 1 else "else:")
            with self.indent():
                on_missing(_missing_atom(x))

    # ---- the program
    def generate(self) -> str:
        p = self.p
        head = [
            "# Generated by perfrules (fast exact row evaluator) from the ruleset "
            + _comment(p.id or "<unnamed>") + " " + _comment(p.version) + " (" + p.content_hash + ").",
            "# Numbers are integer pairs nX/dX (dX > 0; dX == 0: missing, nX holds why); scores are ints",
            f"# scaled by {self.D}. Constants k0… are bound in the namespace; nothing from the rule file is pasted as code.",
            "def evaluate(rec, as_of=None):",
        ]
        self.line("errs = []")
        for i, spec in enumerate(p.inputs):
            self.input(i, spec)
        self.line("if errs:")
        self.line("    return (errs,)")
        self.line("if as_of is None:")
        self.line("    as_of = NO_AS_OF")
        self.line("fl = []")
        self.line("err = None")
        self.line("ex = set()" if self.exclusion else "ex = None")
        for step in p.steps:
            self.step(step)
        self.epilogue()
        return "\n".join(head + self.w.lines) + "\n"

    # ---- inputs
    def input(self, i: int, spec: ir.InputSpec) -> None:
        w = self.w
        self.line(f"# input {_comment(spec.name)}")
        self.line(f"x = rec.get({self.k(spec.name)}, ABSENT)")
        for alias in spec.aliases:
            self.line("if x is ABSENT:")
            self.line(f"    x = rec.get({self.k(alias)}, ABSENT)")
        sp = self.k(spec)
        kind = spec.type.kind
        key = "in:" + spec.name
        if spec.type.numeric:
            one = kind == "count" and not (spec.has_default and Fraction(spec.default).denominator != 1)
            # counts are whole numbers ≥ 0 (convert_value checks; the inline paths check too)
            nn = kind == "count" and not (spec.has_default and Fraction(spec.default) < 0)
            r = Num(f"i{i}n", f"i{i}d", one, not spec.has_default, None, nn)
            self.slots[key] = r
            checks = self.input_checks(spec)
            self.line("tx = type(x)")
            self.line("if tx is int:" if not checks else f"if tx is int and {checks('x', '1')}:")
            self.line(f"    {r.n} = x")
            self.line(f"    {r.d} = 1")
            if kind != "count":
                # most amounts have two decimals: try x = c / 100 inline (see qpairs.float_pair)
                self.line("elif tx is float and -EXACT < (y := x * 100.0) < EXACT and (c := round(y)) / 100.0 == x:")
                with w.indent():
                    self.line(f"{r.n} = c")
                    self.line(f"{r.d} = 100")
                    if checks:
                        self.line(f"if not ({checks(r.n, r.d)}):")
                        self.line(f"    {r.n}, {r.d} = SLOW_NUMBER({sp}, x, errs)")
            for test, fn in (("tx is float", "FLOAT_PAIR"), ("tx is str", "STR_PAIR")):
                self.line(f"elif {test}:")
                with w.indent():
                    self.line(f"q = {fn}(x)")
                    self.line("if q is None:")
                    self.line(f"    {r.n}, {r.d} = SLOW_NUMBER({sp}, x, errs)")
                    self.line("else:")
                    with w.indent():
                        self.line(f"{r.n}, {r.d} = q")
                        if checks:
                            self.line(f"if not ({checks(r.n, r.d)}):")
                            self.line(f"    {r.n}, {r.d} = SLOW_NUMBER({sp}, x, errs)")
            self.line("elif x is None:")
            with w.indent():
                if spec.has_default:
                    dv = Fraction(spec.default)
                    self.line(f"{r.n} = {self.k(dv.numerator)}")
                    self.line(f"{r.d} = {self.k(dv.denominator)}")
                else:
                    self.line(f"{r.n} = {self.k(Missing('input_missing', spec.name))}")
                    self.line(f"{r.d} = 0")
            self.line("else:")
            self.line(f"    {r.n}, {r.d} = SLOW_NUMBER({sp}, x, errs)")
            return
        r = Val(f"i{i}", not spec.has_default)
        self.slots[key] = r
        if kind == "bool":
            self.line("if x is True or x is False:")
            self.line(f"    {r.v} = x")
            self.line("else:")
        elif kind == "choice":
            fast = frozenset(c for c in spec.type.choices if not is_blank(c) and parse_text(c) == c)
            self.line(f"if type(x) is str and x in {self.k(fast)}:")
            self.line(f"    {r.v} = x")
            self.line("else:")
        elif kind in ("text", "date"):
            self.line("if True:")
        else:
            raise Unsupported(f"input type {kind}")
        self.line(f"    {r.v} = SLOW_VALUE({sp}, x, errs)")

    def input_checks(self, spec: ir.InputSpec):
        """A function (n, d) → the condition under which convert_value accepts the fast pair as
        is (else the cell takes its path, which raises the field error or converts it)."""
        kind = spec.type.kind
        parts = []
        if kind == "count":
            parts.append(lambda n, d: f"{n} >= 0" + ("" if d == "1" else f" and {d} == 1"))
        if kind == "percent":
            from ..runtime.convert import BARE_PERCENT_LIMIT
            lim = self.k(BARE_PERCENT_LIMIT)
            parts.append(lambda n, d: f"-{lim} * {d} <= {n} <= {lim} * {d}" if d != "1" else f"-{lim} <= {n} <= {lim}")
        if spec.range is not None:
            lo, hi, closed = spec.range
            lo, hi = Fraction(lo), Fraction(hi)
            lon, lod, hin, hid = (self.k(lo.numerator), self.k(lo.denominator), self.k(hi.numerator), self.k(hi.denominator))
            op = "<=" if closed else "<"
            parts.append(lambda n, d: f"{_mul(n, lod)} >= {_mul(lon, d)} and {_mul(n, hid)} {op} {_mul(hin, d)}")
        if not parts:
            return None
        return lambda n, d: " and ".join(f"({f(n, d)})" for f in parts)

    # ---- steps
    def step(self, step) -> None:
        p = self.p
        if isinstance(step, ir.LetStep):
            self.line(f"# let {_comment(step.key[4:])}")
            self.slots[step.key] = self.expr(step.expr)
        elif isinstance(step, ir.LeafStep):
            self.leaf(p.indicators[step.ind])
        elif isinstance(step, ir.GroupStep):
            self.group(p.indicators[step.ind])
        elif isinstance(step, ir.TotalStep):
            self.total()
        elif isinstance(step, ir.GradeStep):
            self.grade(p.grades[step.index])
        else:
            raise Unsupported(f"step {type(step).__name__}")

    def scaled_weight(self, ind: ir.Indicator) -> int:
        return int(Fraction(ind.weight) * self.D)

    def leaf(self, ind: ir.Indicator) -> None:
        self.line(f"# leaf {_comment(ind.dotted)}")
        key = f"val:{ind.id}"
        if ind.value is not None:
            v = self.expr(ind.value)
            self.slots[key] = v
            self.val_ids.append(ind.id)
            if isinstance(v, Num):
                self.val_atoms += [v.n, v.den if not v.mm else v.d]
            else:
                self.val_atoms += [v.v, "None"]
        else:
            self.slots[key] = Num(self.k(Missing("no_value", ind.name)), "0", False, True)
        self.slots[f"score:{ind.id}"] = self.score_num(ind.id)
        self.score_ids.append(ind.id)
        if ind.score is None:
            self.finish(ind, Num(self.k(Missing("no_value", ind.name)), "0", False, True))
        else:
            self.form(ind.score, ind, lambda raw: self.finish(ind, raw))

    def score_num(self, i: int) -> Num:
        if self.total_only:
            return Num(f"s{i}", f"sd{i}", False, False, None, True)
        return Num(f"s{i}", "1" if self.D == 1 else self.k(self.D), self.D == 1, False, None, True)

    def set_score(self, i: int, n: str, d: str) -> None:
        """sN = n/d (total_only: the pair; else d is D or 1 and only sN is set)."""
        self.line(f"s{i} = {n}")
        if self.total_only:
            self.line(f"sd{i} = {d}")

    def finish(self, ind: ir.Indicator, raw) -> None:
        """Emit: the leaf's score from its raw points (scoring.finish, flag_missing)."""
        if not isinstance(raw, Num):
            raise Unsupported("non-numeric score")
        s = self.p.settings
        sc = f"s{ind.id}"
        if raw.d == "0":
            self.missing_score(ind, raw.n)
            return
        if raw.val is not None:  # a constant: finish it now
            score, side = finish(raw.val, Fraction(0), ind.weight, s.places, s.rounding, not self.total_only)
            if self.total_only:
                c = self.const_num(score)
                self.set_score(ind.id, c.n, c.den)
            else:
                self.line(f"{sc} = {self.k(int(score * self.D))}")
            if side:
                self.line(f"fl.append(({ind.id}, {self.k(side)}, {raw.n}, {raw.den}))")
            return
        if raw.mm:
            self.line(f"if not {raw.d}:")
            with self.indent():
                self.missing_score(ind, raw.n)
            self.line("else:")
            with self.indent():
                self.finish_present(ind, raw.present())
        else:
            self.finish_present(ind, raw)

    def finish_present(self, ind: ir.Indicator, raw: Num) -> None:
        s = self.p.settings
        sc = f"s{ind.id}"
        if self.total_only:  # not rounded: clamped to [0, weight] as it is
            w = self.const_num(ind.weight)
            self.line(f"if {raw.n} < 0:")
            with self.indent():
                self.line(f"fl.append(({ind.id}, 'low', {raw.n}, {raw.den}))")
                self.set_score(ind.id, "0", "1")
            self.line(f"elif {self.compare(raw, '>', w)}:")
            with self.indent():
                self.line(f"fl.append(({ind.id}, 'high', {raw.n}, {raw.den}))")
                self.set_score(ind.id, w.n, w.den)
            self.line("else:")
            with self.indent():
                self.set_score(ind.id, raw.n, raw.den)
            return
        q = self.rounded(raw.n, raw.den, s.places, s.rounding)
        fd = self.D // self.P
        self.line(f"{sc} = {_mul(q, self.k(fd)) if fd != 1 else q}")
        self.line(f"if {sc} < 0:")
        self.line(f"    fl.append(({ind.id}, 'low', {raw.n}, {raw.den}))")
        self.line(f"    {sc} = 0")
        w = self.k(self.scaled_weight(ind))
        self.line(f"elif {sc} > {w}:")
        if (ind.weight * 10**s.places).denominator == 1:
            self.line(f"    fl.append(({ind.id}, 'high', {raw.n}, {raw.den}))")
        else:  # a weight off the rounding grid: flagged only when the raw points pass it
            self.line(f"    if {self.compare(raw, '>', self.const_num(ind.weight))}:")
            self.line(f"        fl.append(({ind.id}, 'high', {raw.n}, {raw.den}))")
        self.line(f"    {sc} = {w}")

    def rounded(self, n: str, d: str, places: int, mode: str) -> str:
        """An atom holding round_scaled(n/d, places, mode) (d > 0)."""
        t = _mul(n, self.k(10**places)) if places else n
        if d == "1":
            return t if t == n else self.atom(t)
        t = self.atom(t)
        q = f"q{self.fresh()}"
        if mode == "half_up":
            self.line(f"{q} = (2 * {t} + {d}) // (2 * {d}) if {t} >= 0 else -((({d}) - 2 * {t}) // (2 * {d}))")
        elif mode == "truncate":
            self.line(f"{q} = {t} // {d} if {t} >= 0 else -(-{t} // {d})")
        else:
            self.line(f"{q} = ROUND_PAIR({t}, {d}, {self.k(mode)})")
        return q

    def atom(self, expr: str) -> str:
        if expr.isidentifier():
            return expr
        a = f"a{self.fresh()}"
        self.line(f"{a} = {expr}")
        return a

    def missing_score(self, ind: ir.Indicator, atom: str) -> None:
        self.set_score(ind.id, "0", "1")
        if ind.missing == "exclude":
            self.line(f"ex.add({ind.id})")
            self.line(f"fl.append(({ind.id}, 'excluded', {atom}, None))")
        else:
            self.line(f"fl.append(({ind.id}, 'missing', {atom}, None))")
            if ind.missing == "error":
                self.line("if err is None:")
                self.line(f"    err = MISSING_ERROR({self.k(ind.name)}, {atom})")

    def group(self, ind: ir.Indicator) -> None:
        self.line(f"# group {_comment(ind.dotted)}")
        sc = f"s{ind.id}"
        self.slots[f"score:{ind.id}"] = self.score_num(ind.id)
        self.score_ids.append(ind.id)
        kids = ind.children
        if self.total_only:
            acc = self.const_num(0)
            for c in kids:
                acc = self.plus(acc, self.score_num(c))
            self.set_score(ind.id, acc.n, acc.den)
            if ind.kind != "normal":
                w = self.const_num(ind.weight)
                self.line(f"if {sc} < 0:")
                with self.indent():
                    self.set_score(ind.id, "0", "1")
                self.line(f"elif {self.compare(self.score_num(ind.id), '>', w)}:")
                with self.indent():
                    self.set_score(ind.id, w.n, w.den)
        else:
            self.line(f"{sc} = " + (" + ".join(f"s{c}" for c in kids) if kids else "0"))
        if ind.kind != "normal" and not self.total_only:
            w = self.k(self.scaled_weight(ind))
            self.line(f"if {sc} < 0:")
            self.line(f"    {sc} = 0")
            self.line(f"elif {sc} > {w}:")
            self.line(f"    {sc} = {w}")
        if self.exclusion:
            self.line(f"if ex and {self.k(frozenset(kids))} <= ex:")
            self.line(f"    ex.add({ind.id})")

    def total(self) -> None:
        p, s = self.p, self.p.settings
        self.line("# total")
        base = [f"s{i}" for i in p.top if p.indicators[i].kind == "normal"]
        extra = ""
        for i in p.top:
            kind = p.indicators[i].kind
            if kind == "bonus":
                extra += f" + s{i}"
            elif kind == "penalty":
                extra += f" - s{i}"
        if self.total_only:
            b = self.const_num(0)
            for i in p.top:
                if p.indicators[i].kind == "normal":
                    b = self.plus(b, self.score_num(i))
            x = self.const_num(0)
            for i in p.top:
                kind = p.indicators[i].kind
                if kind != "normal":
                    x = self.plus(x, self.score_num(i), "+" if kind == "bonus" else "-")
            excluded_args = f"{b.n}, {b.den}, {x.n}, {x.den}, ex"
            t = self.plus(b, x)
            plain = self.rounded(t.n, t.den, s.places, s.rounding)
        else:
            self.line("base = " + (" + ".join(base) if base else "0"))
            self.line("extra = 0" + extra)
            excluded_args = f"base, {self.k(self.D)}, extra, {self.k(self.D)}, ex"
            if self.D == self.P:
                plain = "base + extra"
            else:  # round(x / D, places) = round(x / (D / P)): D is a multiple of P
                self.line("b = base + extra")
                plain = self.rounded("b", self.k(self.D // self.P), 0, s.rounding)
        if self.exclusion:
            self.slots["total"] = Num("tot", "totd", self.P == 1, True)
            self.line("if ex:")
            with self.indent():
                self.line(f"tot = TOTAL_EXCLUDED({excluded_args})")
                self.line("if tot is None:")
                self.line(f"    tot = {self.k(Missing('excluded', '全部指标 / every indicator'))}")
                self.line("    totd = 0")
                self.line("else:")
                self.line(f"    totd = {self.k(self.P)}")
            self.line("else:")
            with self.indent():
                self.line(f"tot = {plain}")
                self.line(f"totd = {self.k(self.P)}")
        else:
            self.slots["total"] = Num("tot", "1" if self.P == 1 else self.k(self.P), self.P == 1)
            self.line(f"tot = {plain}")

    def grade(self, g: ir.Grade) -> None:
        key = "grade" if g.target == "total" else f"grade:{g.target}"
        name = f"g{self.fresh()}"
        src = self.slots[g.target]
        self.line(f"# grade {_comment(g.label)}")
        conds = []
        if src.mm:
            conds.append(f"not {src.d}")
        if g.target != "total" and self.exclusion:
            conds.append(f"{int(g.target.split(':')[1])} in ex")
        first = True
        if conds:
            self.line(f"if {' or '.join(conds)}:")
            self.line(f"    {name} = None")
            first = False
        sv = src.present()
        done = False
        for b in g.bands:
            if b.op == "otherwise":
                self.line("else:" if not first else "if True:")
                self.line(f"    {name} = {self.k(b.name)}")
                done = True
                break
            if b.op not in _CMP_OPS:
                raise Unsupported(f"grade band {b.op}")
            bound = self.const_num(b.bound)
            self.line(f"{'if' if first else 'elif'} {self.compare(sv, b.op, bound)}:")
            self.line(f"    {name} = {self.k(b.name)}")
            first = False
        if not done:
            if first:
                self.line(f"{name} = None")
            else:
                self.line("else:")
                self.line(f"    {name} = None")
        slot = Val(f"g{self.fresh()}", True)
        self.line(f"{slot.v} = {name} if {name} is not None else {self.k(Missing('no_band', 'grade'))}")
        self.slots[key] = slot
        self.grade_atoms.append((g.label, name))

    def epilogue(self) -> None:
        p = self.p
        if p.alerts:
            self.line("al = []")
        for a in p.alerts:
            self.line(f"# alert {_comment(a.name)}")
            c = self.expr(a.cond)
            if not isinstance(c, Val):
                raise Unsupported("numeric alert condition")
            self.line(f"if {c.v} is True:")
            with self.indent():
                pieces = []
                for part in a.message:
                    if part.expr is None:
                        pieces.append(self.k(part.text))
                    else:
                        v = self.expr(part.expr)
                        fmt, kind = self.k(part.fmt), self.k(part.expr.type.kind)
                        if isinstance(v, Num):
                            pieces.append(f"FORMAT_PAIR({v.n}, {v.d if v.mm else v.den}, {fmt}, {kind})")
                        else:
                            pieces.append(f"FORMAT_VALUE({v.v}, {fmt}, {kind})")
                msg = " + ".join(pieces) if pieces else self.k("")
                self.line(f"al.append(({self.k(a.name)}, {self.k(a.level)}, {msg}))")
        outs = []
        for o in p.outputs:
            self.line(f"# output {_comment(o.name)}")
            v = self.expr(o.expr)
            outs += [v.n, v.d if v.mm else v.den] if isinstance(v, Num) else [v.v, "None"]
        # one flat list (see FastRowEvaluator.layout): few objects per record for the collector
        total = self.slots["total"].n if "total" in self.slots else "None"
        parts = [total, "err", "fl", "ex", "al" if p.alerts else "None"]
        parts += [name for _label, name in self.grade_atoms]
        parts += self.val_atoms
        for i in self.score_ids:
            parts += [f"s{i}", f"sd{i}"] if self.total_only else [f"s{i}"]
        parts += outs
        self.line("return [")
        for i in range(0, len(parts), 12):
            self.line("    " + ", ".join(parts[i:i + 12]) + ",")
        self.line("]")

    # ---- scoring forms: emit code that calls k(raw points) on every path
    def form(self, f: ir.ScoreForm, ind: ir.Indicator, k) -> None:
        if isinstance(f, ir.ExprScore):
            k(self.expr(f.expr))
        elif isinstance(f, ir.RatioScore):
            self.ratio(f, ind, k)
        elif isinstance(f, ir.LinearScore):
            self.linear(f, ind, k)
        elif isinstance(f, ir.DeductScore):
            self.deduct(f, ind, k)
        elif isinstance(f, ir.BandsScore):
            self.bands(f, ind, k)
        elif isinstance(f, ir.ChecklistScore):
            k(self.checklist(f))
        elif isinstance(f, ir.EitherScore):
            self.either(f, ind, k)
        else:
            raise Unsupported(f"score form {type(f).__name__}")

    def collect(self, f: ir.ScoreForm, ind: ir.Indicator) -> Num:
        """The form's raw points in one pair of locals (for forms that combine two)."""
        r = self.new_num(True, False)

        def k(x):
            if not isinstance(x, Num):
                raise Unsupported("non-numeric score")
            if x.d == "0":
                self.set_missing(r, x.n)
            else:
                self.assign(r, x)

        self.form(f, ind, k)
        return r

    def num(self, e: ir.Expr) -> Num:
        x = self.expr(e)
        if not isinstance(x, Num):
            raise Unsupported("a number was expected")
        return x

    def value_of(self, ind: ir.Indicator) -> Num:
        v = self.slots[f"val:{ind.id}"]
        if not isinstance(v, Num):
            raise Unsupported("a numeric value was expected")
        return v

    def ratio(self, f: ir.RatioScore, ind: ir.Indicator, k) -> None:
        v = self.value_of(ind)
        t = self.num(f.target)
        full = self.const_num(ind.weight)

        def body():
            vp, tp = v.present(), t.present()
            if not f.reverse:
                # min(value / target, 1) × full
                self.if_nonzero(tp, Missing("div_zero", f.subject), k, lambda: self.ratio_capped(vp, tp, full, k))
            else:
                # value ≤ target → full; value = 0 → missing; else target / value × full
                self.line(f"if {self.compare(vp, '<=', tp)}:")
                with self.indent():
                    k(full)
                self.line(f"elif {vp.n} == 0:")
                with self.indent():
                    k(self.missing_const(Missing("div_zero", "value")))
                self.line("else:")
                with self.indent():
                    q = self.divide_nonzero(tp, vp)
                    k(self.times(q, full))

        self.guarded([v, t], body, lambda m: k(Num(m, "0", False, True)))

    def ratio_capped(self, vp: Num, tp: Num, full: Num, k) -> None:
        q = self.divide_nonzero(vp, tp)
        self.line(f"if {q.n} >= {q.den}:")
        with self.indent():
            k(full)
        self.line("else:")
        with self.indent():
            k(self.times(q, full))

    def if_nonzero(self, x: Num, reason: Missing, k, body) -> None:
        """if x == 0: k(missing reason) else: body()."""
        if x.val is not None:
            if x.val == 0:
                k(self.missing_const(reason))
            else:
                body()
            return
        self.line(f"if {x.n} == 0:")
        with self.indent():
            k(self.missing_const(reason))
        self.line("else:")
        with self.indent():
            body()

    def missing_const(self, m: Missing) -> Num:
        return Num(self.k(m), "0", False, True)

    def divide_nonzero(self, a: Num, b: Num, into: Num | None = None) -> Num:
        """a / b for present a, b with b ≠ 0 (checked by the caller)."""
        if b.val is not None:
            if b.val == 1 and into is None:
                return a
            if b.val > 0:
                if into is None:
                    return self.result(_mul(a.n, b.den), _mul(a.den, b.n), False, a.nn)
                self.set_num(into, _mul(a.n, b.den), _mul(a.den, b.n))
                return into
        r = into or self.new_num(False, False, a.nn and b.nn)
        self.line(f"{r.n} = {_mul(a.n, b.den)}")
        self.line(f"{r.d} = {_mul(a.den, b.n)}")
        if not b.nn:  # a divisor ≥ 0 that is not 0 is > 0
            self.line(f"if {r.d} < 0:")
            self.line(f"    {r.n} = -{r.n}")
            self.line(f"    {r.d} = -{r.d}")
        return r

    def times(self, a: Num, b: Num, into: Num | None = None) -> Num:
        if into is None:
            return self.result(_mul(a.n, b.n), _mul(a.den, b.den), a.one and b.one, a.nn and b.nn)
        self.set_num(into, _mul(a.n, b.n), _mul(a.den, b.den))
        return into

    def result(self, n: str, d: str, one: bool, nn: bool) -> Num:
        """A present number n/d in fresh locals; a denominator that is already an atom (a
        local, a constant or 1) is used as is rather than copied."""
        if d.isidentifier() or d == "1":
            r = Num(f"n{self.fresh()}", d, one, False, None, nn)
            self.line(f"{r.n} = {n}")
            return r
        r = self.new_num(False, one, nn)
        self.set_num(r, n, d)
        return r

    def plus(self, a: Num, b: Num, sign: str = "+", into: Num | None = None) -> Num:
        one, nn = a.one and b.one, sign == "+" and a.nn and b.nn
        if b.val == 0:
            n, d = a.n, "1" if one else a.den
        elif a.val == 0:
            n, d = (b.n if sign == "+" else _neg(b.n)), b.den
        elif a.den == b.den:
            n, d = f"{a.n} {sign} {b.n}", a.den
        else:
            n, d = f"{_mul(a.n, b.den)} {sign} {_mul(b.n, a.den)}", _mul(a.den, b.den)
        if into is None:
            return self.result(n, d, one, nn)
        self.set_num(into, n, d)
        return into

    def compare(self, a: Num, op: str, b: Num) -> str:
        """The condition a op b for present a, b (denominators > 0)."""
        if op not in _CMP_OPS:
            raise Unsupported(f"comparison {op}")
        return f"{_mul(a.n, b.den)} {op} {_mul(b.n, a.den)}"

    def linear(self, f: ir.LinearScore, ind: ir.Indicator, k) -> None:
        v = self.value_of(ind)
        xs = [_constant(x) for x in f.xs]
        ps = [_constant(x) for x in f.points]
        if any(x is None for x in xs + ps):
            raise Unsupported("linear with non-constant points")
        if len(xs) != len(ps) or not xs or any(b <= a for a, b in zip(xs, xs[1:])):
            raise Unsupported("linear points not increasing")

        def body():
            vp = v.present()
            self.line(f"if {self.compare(vp, '<=', self.const_num(xs[0]))}:")
            with self.indent():
                k(self.const_num(ps[0]))
            self.line(f"elif {self.compare(vp, '>=', self.const_num(xs[-1]))}:")
            with self.indent():
                k(self.const_num(ps[-1]))
            for i in range(len(xs) - 1):
                last = i == len(xs) - 2
                self.line("else:" if last else f"elif {self.compare(vp, '<=', self.const_num(xs[i + 1]))}:")
                with self.indent():
                    # ps[i] + (value − xs[i]) × slope
                    slope = self.const_num((ps[i + 1] - ps[i]) / (xs[i + 1] - xs[i]))
                    dx = self.plus(vp, self.const_num(xs[i]), "-")
                    k(self.plus(self.const_num(ps[i]), self.times(dx, slope)))

        self.guarded([v], body, lambda m: k(Num(m, "0", False, True)))

    def deduct(self, f: ir.DeductScore, ind: ir.Indicator, k) -> None:
        v = self.value_of(ind)
        pts, unit, th = self.num(f.points), self.num(f.unit), self.num(f.threshold)
        full = self.const_num(ind.weight)
        if f.counting not in ("continuous", "whole", "started") or f.direction not in ("over", "under"):
            raise Unsupported("deduct counting")

        def body():
            vp, pp, up, tp = v.present(), pts.present(), unit.present(), th.present()
            dev = self.plus(vp, tp, "-") if f.direction == "over" else self.plus(tp, vp, "-")
            self.line(f"if {dev.n} <= 0:")
            with self.indent():
                k(full)
            self.line("else:")
            with self.indent():
                def counted():
                    n = self.divide_nonzero(dev, up)
                    if f.counting == "whole":
                        c = self.new_num(False, True)
                        self.line(f"{c.n} = {n.n} // {n.den}")
                        n = c
                    elif f.counting == "started":
                        c = self.new_num(False, True)
                        self.line(f"{c.n} = -(-{n.n} // {n.den})")
                        n = c
                    k(self.plus(full, self.times(n, pp), "-"))

                self.if_nonzero(up, Missing("div_zero", f.subject), k, counted)

        self.guarded([v, pts, unit, th], body, lambda m: k(Num(m, "0", False, True)))

    def bands(self, f: ir.BandsScore, ind: ir.Indicator, k) -> None:
        value = self.slots[f"val:{ind.id}"]
        simple = self.simple_bands(f)
        if simple is not None:
            x, consts = simple
            if x.mm:
                self.line(f"if not {x.d}:")
                with self.indent():
                    k(Num(x.n, "0", False, True))
            xp = x.present()
            first = not x.mm
            for (op, c), b in zip(consts, f.bands):
                self.line(f"{'if' if first else 'elif'} {self.compare(xp, op, c)}:")
                first = False
                with self.indent():
                    k(self.expr(b.points))
            self.line("else:")
            with self.indent():
                self.band_otherwise(f, value, k)
            return
        # the general case, as the reference: the first true band; else the first missing
        # condition's reason; else otherwise
        miss = f"m{self.fresh()}"
        self.line(f"{miss} = None")

        def band(i: int) -> None:
            if i == len(f.bands):
                self.line(f"if {miss} is not None:")
                with self.indent():
                    k(Num(miss, "0", False, True))
                self.line("else:")
                with self.indent():
                    self.band_otherwise(f, value, k)
                return
            c = self.expr(f.bands[i].cond)
            if not isinstance(c, Val):
                raise Unsupported("numeric band condition")
            self.line(f"if {c.v} is True:")
            with self.indent():
                k(self.expr(f.bands[i].points))
            self.line("else:")
            with self.indent():
                if c.mm:
                    self.line(f"if {miss} is None and type({c.v}) is Missing:")
                    self.line(f"    {miss} = {c.v}")
                band(i + 1)

        band(0)

    def band_otherwise(self, f: ir.BandsScore, value, k) -> None:
        if f.otherwise is not None:
            k(self.expr(f.otherwise))
            return
        m = f"m{self.fresh()}"
        if isinstance(value, Num):
            self.line(f"{m} = Missing('no_band', SHOW_PAIR({value.n}, {value.d if value.mm else value.den}))")
        else:
            self.line(f"{m} = Missing('no_band', SHOW({value.v}))")
        k(Num(m, "0", False, True))

    def simple_bands(self, f: ir.BandsScore):
        """Bands that all compare one numeric expression with constants: (the number, [(op, const)])."""
        x = None
        out = []
        for b in f.bands:
            c = b.cond
            bound = _constant(c.right) if isinstance(c, ir.Cmp) else None
            if not (bound is not None and c.op in _CMP_OPS and isinstance(c.left, ir.Slot) and c.left.type.numeric):
                return None
            if x is None:
                x = c.left
            elif c.left != x:
                return None
            out.append((c.op, self.const_num(bound)))
        if x is None:
            return None
        xv = self.slots.get(x.key)
        if not isinstance(xv, Num):
            return None
        return xv, out

    def checklist(self, f: ir.ChecklistScore) -> Num:
        r = self.new_num(True, False)
        self.line(f"{r.n} = 0")
        self.line(f"{r.d} = 1")
        for item in f.items:
            self.line(f"if {r.d}:")
            with self.indent():
                c = self.expr(item.cond)
                if not isinstance(c, Val):
                    raise Unsupported("numeric checklist condition")
                if c.mm:
                    self.line(f"if type({c.v}) is Missing:")
                    with self.indent():
                        self.set_missing(r, c.v)
                self.line(f"{'elif' if c.mm else 'if'} {c.v}:")
                with self.indent():
                    pts = self.num(item.points)

                    def add():
                        acc = Num(r.n, r.d, False, False)
                        s = self.plus(acc, pts.present())
                        self.line(f"{r.n} = {s.n}")
                        self.line(f"{r.d} = {s.den}")

                    self.guarded([pts], add, lambda m: self.set_missing(r, m))
        return r

    def either(self, f: ir.EitherScore, ind: ir.Indicator, k) -> None:
        a = self.collect(f.first, ind)
        if f.mode == "available":
            self.line(f"if {a.d}:")
            with self.indent():
                k(a.present())
            self.line("else:")
            with self.indent():
                self.form(f.second, ind, k)
            return
        b = self.collect(f.second, ind)
        self.line(f"if not {a.d}:")
        with self.indent():
            k(b)
        self.line(f"elif not {b.d}:")
        with self.indent():
            k(a.present())
        self.line(f"elif {self.compare(a.present(), '>=', b.present())}:")
        with self.indent():
            k(a.present())
        self.line("else:")
        with self.indent():
            k(b.present())

    # ---- expressions: emit statements, return a Num or a Val
    def expr(self, e: ir.Expr):
        if isinstance(e, ir.Const):
            v = e.value
            if isinstance(v, (Fraction, int)) and not isinstance(v, bool):
                return self.const_num(v)
            if isinstance(v, (str, bool, date)):
                return Val(self.k(v))
            raise Unsupported(f"constant {type(v).__name__}")
        if isinstance(e, ir.Slot):
            if e.key == "as_of":
                return Val("as_of", True)
            if e.key not in self.slots:
                raise Unsupported(f"slot {e.key}")
            return self.slots[e.key]
        if isinstance(e, ir.Arith):
            return self.arith(e)
        if isinstance(e, ir.Neg):
            a = self.num(e.operand)
            r = self.new_num(a.mm, a.one)
            self.guarded([a], lambda: self.set_num(r, _neg(a.n), a.present().den), lambda m: self.set_missing(r, m))
            return r
        if isinstance(e, ir.Cmp):
            return self.cmp(e)
        if isinstance(e, ir.Logic):
            a, b = self.expr(e.left), self.expr(e.right)
            if not (isinstance(a, Val) and isinstance(b, Val)):
                raise Unsupported("logic on numbers")
            r = self.new_val(a.mm or b.mm)
            if r.mm:
                self.line(f"{r.v} = {'AND' if e.op == 'and' else 'OR'}({a.v}, {b.v})")
            else:
                self.line(f"{r.v} = {a.v} {'and' if e.op == 'and' else 'or'} {b.v}")
            return r
        if isinstance(e, ir.Not):
            a = self.expr(e.operand)
            if not isinstance(a, Val):
                raise Unsupported("not on a number")
            r = self.new_val(a.mm)
            if a.mm:
                self.line(f"{r.v} = {a.v} if type({a.v}) is Missing else not {a.v}")
            else:
                self.line(f"{r.v} = not {a.v}")
            return r
        if isinstance(e, ir.If):
            return self.if_(e)
        if isinstance(e, ir.Call):
            return self.call(e)
        if isinstance(e, ir.Match):
            return self.match(e)
        raise Unsupported(f"expression {type(e).__name__}")

    def arith(self, e: ir.Arith) -> Num:
        a, b = self.num(e.left), self.num(e.right)
        if e.op == "/":
            const_ok = b.val is not None and b.val != 0
            r = self.new_num(a.mm or b.mm or not const_ok, False, a.nn and b.nn)

            def body():
                ap, bp = a.present(), b.present()
                self.if_nonzero(bp, Missing("div_zero", e.subject), lambda m: self.set_missing(r, m.n),
                                lambda: self.divide_nonzero(ap, bp, into=r))

            self.guarded([a, b], body, lambda m: self.set_missing(r, m))
            return r
        if e.op not in ("+", "-", "*"):
            raise Unsupported(f"operator {e.op}")
        r = self.new_num(a.mm or b.mm, a.one and b.one, e.op != "-" and a.nn and b.nn)

        def body():
            ap, bp = a.present(), b.present()
            if e.op == "*":
                self.times(ap, bp, into=r)
            else:
                self.plus(ap, bp, e.op, into=r)

        self.guarded([a, b], body, lambda m: self.set_missing(r, m))
        return r

    def cmp(self, e: ir.Cmp) -> Val:
        if e.op not in _CMP_OPS:
            raise Unsupported(f"comparison {e.op}")
        a, b = self.expr(e.left), self.expr(e.right)
        r = self.new_val(a.mm or b.mm)
        if isinstance(a, Num) and isinstance(b, Num):
            self.guarded([a, b], lambda: self.line(f"{r.v} = {self.compare(a.present(), e.op, b.present())}"),
                         lambda m: self.set_missing(r, m))
        elif isinstance(a, Val) and isinstance(b, Val):
            self.guarded([a, b], lambda: self.line(f"{r.v} = {a.v} {e.op} {b.v}"), lambda m: self.set_missing(r, m))
        else:
            raise Unsupported("comparison of a number with a non-number")
        return r

    def if_(self, e: ir.If):
        c = self.expr(e.cond)
        if not isinstance(c, Val):
            raise Unsupported("numeric condition")
        r = self.holder(e.type)
        self.line(f"if {c.v} is True:")
        with self.indent():
            self.put(r, self.expr(e.then))
        self.line(f"elif {c.v} is False:")
        with self.indent():
            self.put(r, self.expr(e.orelse))
        self.line("else:")
        with self.indent():
            self.set_missing(r, c.v)
        return r

    def holder(self, t: ir.Type):
        """Locals for a value assigned on several paths (may be missing)."""
        if t.numeric:
            return self.new_num(True, False)
        if t.kind in ("bool", "text", "choice", "date"):
            return self.new_val(True)
        raise Unsupported(f"value of type {t.kind}")

    def call(self, e: ir.Call):
        fn = e.fn
        if fn in ("min", "max"):
            xs = [self.num(a) for a in e.args]
            if not xs:
                raise Unsupported("min/max of nothing")
            r = self.new_num(any(x.mm for x in xs), all(x.one for x in xs), all(x.nn for x in xs))

            def body():
                best = xs[0].present()
                for x in xs[1:]:
                    xp = x.present()
                    nb = self.new_num(False, best.one and xp.one, best.nn and xp.nn)
                    # min keeps the first of equal values, like min(); as values they are equal anyway
                    op = "<" if fn == "min" else ">"
                    self.line(f"if {self.compare(xp, op, best)}:")
                    with self.indent():
                        self.assign(nb, xp)
                    self.line("else:")
                    with self.indent():
                        self.assign(nb, best)
                    best = nb
                self.assign(r, best)

            self.guarded(xs, body, lambda m: self.set_missing(r, m))
            return r
        if fn == "abs":
            a = self.num(e.args[0])
            r = self.new_num(a.mm, a.one, True)
            self.guarded([a], lambda: self.set_num(r, f"abs({a.n})", a.present().den), lambda m: self.set_missing(r, m))
            return r
        if fn in ("floor", "ceil"):
            a = self.num(e.args[0])
            r = self.new_num(a.mm, True, a.nn)

            def body():
                ap = a.present()
                if fn == "floor":
                    self.set_num(r, f"{ap.n} // {ap.den}" if ap.den != "1" else ap.n, "1")
                else:
                    self.set_num(r, f"-(-{ap.n} // {ap.den})" if ap.den != "1" else ap.n, "1")

            self.guarded([a], body, lambda m: self.set_missing(r, m))
            return r
        if fn == "round":
            a = self.num(e.args[0])
            places = e.args[1] if len(e.args) > 1 else None
            if not (isinstance(places, ir.Const) and isinstance(places.value, (Fraction, int))
                    and not isinstance(places.value, bool) and Fraction(places.value).denominator == 1
                    and places.value >= 0):
                raise Unsupported("round to a non-constant number of places")
            mode = e.options[0] if e.options else "half_up"
            if mode not in ROUNDING_MODES or len(e.args) != 2:
                raise Unsupported("round mode")
            pl = int(places.value)
            r = self.new_num(a.mm, pl == 0, a.nn)

            def body():
                ap = a.present()
                q = self.rounded(ap.n, ap.den, pl, mode)
                self.set_num(r, q, "1" if pl == 0 else self.k(10**pl))

            self.guarded([a], body, lambda m: self.set_missing(r, m))
            return r
        if fn == "coalesce":
            xs = [self.expr(a) for a in e.args]
            if not xs or not (all(isinstance(x, Num) for x in xs) or all(isinstance(x, Val) for x in xs)):
                raise Unsupported("coalesce of mixed types")
            r = self.new_num(True, False) if isinstance(xs[0], Num) else self.new_val(True)
            # the first present argument, else the last one (missing)
            for i, x in enumerate(xs):
                if i == len(xs) - 1 or not x.mm:
                    if i:
                        self.line("else:")
                        with self.indent():
                            self.put(r, x)
                    else:
                        self.put(r, x)
                    break
                self.line(f"{'if' if i == 0 else 'elif'} {_present(x)}:")
                with self.indent():
                    self.put(r, x.present() if isinstance(x, Num) else Val(x.v))
            return r
        if fn == "is_missing":
            a = self.expr(e.args[0])
            r = self.new_val(False)
            if not a.mm:
                self.line(f"{r.v} = False")
            else:
                self.line(f"{r.v} = {_absent(a)}")
            return r
        if fn == "time_progress":
            a = self.expr(e.args[0])
            if not isinstance(a, Val):
                raise Unsupported("time_progress of a number")
            r = self.new_num(True, False)
            self.line(f"{r.n}, {r.d} = PAIR_OF(TIME_PROGRESS({a.v}, {', '.join(self.k(o) for o in e.options)}))"
                      if e.options else f"{r.n}, {r.d} = PAIR_OF(TIME_PROGRESS({a.v}))")
            return r
        if fn in ("year", "month"):
            a = self.expr(e.args[0])
            if not isinstance(a, Val):
                raise Unsupported(f"{fn} of a number")
            r = self.new_num(a.mm, True)
            self.guarded([a], lambda: self.set_num(r, f"{a.v}.{fn}", "1"), lambda m: self.set_missing(r, m))
            return r
        raise Unsupported(f"function {fn}")

    def match(self, e: ir.Match):
        s = self.expr(e.subject)
        r = self.holder(e.type)
        if s.mm:
            self.line(f"if {_absent(s)}:")
            with self.indent():
                self.set_missing(r, _missing_atom(s))
        first = not s.mm
        for case in e.cases:
            if isinstance(s, Num):
                conds = []
                for v in case.values:
                    if isinstance(v, bool) or not isinstance(v, (Fraction, int)):
                        raise Unsupported("numeric match on a non-number")
                    conds.append(self.compare(s.present(), "==", self.const_num(v)))
                cond = " or ".join(conds) if conds else "False"
            else:
                cond = f"{s.v} in {self.k(frozenset(case.values))}"
            self.line(f"{'if' if first else 'elif'} {cond}:")
            first = False
            with self.indent():
                self.put(r, self.expr(case.result))
        self.line("else:" if not first else "if True:")
        with self.indent():
            if e.default is not None:
                self.put(r, self.expr(e.default))
            elif isinstance(s, Num):
                self.set_missing(r, f"Missing('no_case', SHOW_PAIR({s.n}, {s.present().den}))")
            else:
                self.set_missing(r, f"Missing('no_case', SHOW({s.v}))")
        return r

    def put(self, r, x) -> None:
        """r (a may-be-missing holder) = x."""
        if isinstance(r, Num) != isinstance(x, Num):
            raise Unsupported("branches of different types")
        if isinstance(r, Num):
            if x.d == "0":
                self.set_missing(r, x.n)
            elif x.mm:
                self.line(f"{r.n} = {x.n}")
                self.line(f"{r.d} = {x.d}")
            else:
                self.line(f"{r.n} = {x.n}")
                self.line(f"{r.d} = {x.den}")
        else:
            self.line(f"{r.v} = {x.v}")


def generate(program: ir.Program) -> tuple[str, list, "FastGenerator"]:
    g = FastGenerator(program)
    return g.generate(), g.w.consts, g


class FastRowEvaluator:
    """Compiles a program to pair arithmetic once (raises Unsupported when it cannot).

    `run(record, as_of)` scores one raw record (a dict of input name or alias → cell): a tuple
    `(field errors,)` when cells cannot be read, else a list laid out as described in __init__
    (`to_raw` turns it into a RawResult, `total_decimal` and `grade` read it)."""

    def __init__(self, program: ir.Program):
        self.program = program
        self.source, consts, g = generate(program)
        s = program.settings
        self.places, self.rounding = s.places, s.rounding
        self.P, self.D = g.P, g.D
        self.val_ids = tuple(g.val_ids)
        self.score_ids = tuple(g.score_ids)
        self.outputs = tuple(o.name for o in program.outputs)
        self.output_places = {o.name: o.places for o in program.outputs if o.places is not None}
        # the layout of a run's list: total, error, flags, excluded, alerts, then one entry per
        # grade (its name or None), two per recorded value, one per score, two per output
        self.grade_labels = tuple(label for label, _name in g.grade_atoms)
        self.total_grade_at = next((5 + i for i, label in enumerate(self.grade_labels) if label == "total"), None)
        self.vals_at = 5 + len(self.grade_labels)
        self.scores_at = self.vals_at + 2 * len(self.val_ids)
        self.total_only = g.total_only  # scores are pairs, not ints scaled by D
        self.outs_at = self.scores_at + len(self.score_ids) * (2 if g.total_only else 1)
        total = s.total

        def total_excluded(bn: int, bd: int, en: int, ed: int, ex: set):
            """The rounded total (scaled by 10^places) of base bn/bd and bonus − penalty en/ed
            when leaves were excluded; None when nothing is left to score (as rowwise: the base
            rescaled to the points still counted)."""
            excluded = excluded_weight(program, ex)
            if excluded >= total:
                return None
            b = Fraction(bn, bd)
            if excluded:
                b = b * total / (total - excluded)
            return round_scaled(b + Fraction(en, ed), s.places, s.rounding)

        def missing_error(name: str, reason: Missing) -> tuple:
            return ("PR803", f"{name}：{reason.text('zh')}", f"{name}: {reason.text('en')}")

        namespace = {
            "__builtins__": {"type": type, "abs": abs, "int": int, "float": float, "str": str, "set": set, "round": round},
            "EXACT": qpairs.EXACT,
            "Missing": Missing, "ABSENT": _ABSENT, "NO_AS_OF": Missing("as_of_missing", ""),
            "FLOAT_PAIR": qpairs.float_pair, "STR_PAIR": qpairs.str_pair,
            "SLOW_NUMBER": qpairs.slow_number, "SLOW_VALUE": qpairs.slow_value,
            "ROUND_PAIR": qpairs.round_pair, "PAIR_OF": qpairs.pair_of, "SHOW_PAIR": qpairs.show_pair,
            "SHOW": show, "FORMAT_PAIR": qpairs.format_pair, "FORMAT_VALUE": qpairs.format_value,
            "TIME_PROGRESS": ops.fn_time_progress, "AND": ops.and_, "OR": ops.or_,
            "TOTAL_EXCLUDED": total_excluded, "MISSING_ERROR": missing_error,
        }
        for i, c in enumerate(consts):
            namespace[f"k{i}"] = c
        code = compile(self.source, f"<perfrules fast {program.id or 'ruleset'}>", "exec")
        exec(code, namespace)  # noqa: S102 - generated from the IR; user text only enters as constants
        self.run = namespace["evaluate"]

    def total_decimal(self, out):
        """The total of a run as the API's Decimal (None when every indicator was excluded)."""
        t = out[0]
        if t is None or type(t) is Missing:
            return None
        return scaled_decimal(t, self.places)

    def grade(self, out):
        """The total's grade of a run (None without a grade by total, or outside every band)."""
        return None if self.total_grade_at is None else out[self.total_grade_at]

    def to_raw_flags(self, events) -> dict:
        """A run's flag events as RawResult.flags: id → [(code, zh, en)] in the order raised."""
        inds = self.program.indicators
        flags: dict = {}
        for i, code, a, b in events:
            if code in ("missing", "excluded"):
                f = (code, a.text("zh"), a.text("en"))
            else:
                score = Fraction(0) if code == "low" else inds[i].weight
                f = clamp_flag(Fraction(a, b), score, code)
            flags.setdefault(i, []).append(f)
        return flags

    def to_raw(self, out) -> RawResult:
        """A run's list as the RawResult of the other backends (exact Fractions and texts)."""
        total, err, flags, ex, alerts = out[:5]
        res = RawResult()
        at = self.vals_at
        for j, i in enumerate(self.val_ids):
            n, d = out[at + 2 * j], out[at + 2 * j + 1]
            res.values[i] = n if d is None else qpairs.fraction(n, d)
        D, at = self.D, self.scores_at
        if self.total_only:
            for j, i in enumerate(self.score_ids):
                res.scores[i] = Fraction(out[at + 2 * j], out[at + 2 * j + 1])
        else:
            for i, sc in zip(self.score_ids, out[at:]):
                res.scores[i] = Fraction(sc, D)
        res.flags = self.to_raw_flags(flags)
        if ex:
            res.excluded = set(ex)
        res.total = None if total is None or type(total) is Missing else Fraction(total, self.P)
        res.grades = dict(zip(self.grade_labels, out[5:]))
        res.alerts = list(alerts or ())
        at = self.outs_at
        for j, name in enumerate(self.outputs):
            n, d = out[at + 2 * j], out[at + 2 * j + 1]
            res.outputs[name] = n if d is None else qpairs.fraction(n, d)
        res.error = err
        return res
