"""The canonical printer behind `perfrules fmt`: AST + comments → text.

Lark drops comments, so the file is parsed once more with a lexer callback that collects them,
and with a postlexer that records every token (for the exact text of strings and for the
parentheses the author wrote). Each comment is attached by position:

- an end-of-line comment stays at the end of the line of the item (declaration, statement,
  band, given/expect item…) that ends on that line before it; on the line that opens a block,
  it stays after the `{`;
- a comment on a line of its own goes before the next item of the innermost block around it,
  or at the end of that block when nothing follows; a comment inside an item that the printer
  puts on one line (a wrapped expression) goes before that item.

Canonical style, deterministic and idempotent:

- 2-space indent; one declaration or statement per line; at most one blank line kept wherever
  the source had blank lines; none after `{` or before `}`; LF line endings (CRLF kept when the
  file used it); one final newline.
- Declarations and indicator bodies, `settings`, `test` and `alert` bodies are always one item
  per line (a `settings` of one item written on one line, `settings { total 70 }`, stays so). Item blocks (`bands`, `linear`, `checklist`, `match`, `grade`, `given`, `expect`)
  stay on one line when they were written on one line, hold no comment and the whole line fits
  in 100 display columns (CJK counts 2); otherwise they open, one item per line, except that
  items the author grouped on one line stay together while the line fits.
- Separators `; ` for bands and grades, `, ` elsewhere. ASCII punctuation and operators:
  `>= <= != * / -> : , ( ) { } "` for their full-width and typographic twins. Numbers, dates,
  names (with their backticks) and strings as written, full-width digits and `％` folded.
  Parentheses the author wrote are kept; needed ones are added.
- An expression is written on one line, wherever the author broke it, unless its declaration
  (`let`, `def`, `output`, `value`, an alert's condition) would pass 100 display columns: then
  its top-level chain of `or`, `and` or `+`/`-` breaks after an operator, as many operands to
  a line as fit, continuation lines indented two levels deeper.

The output is verified before it is returned: it must parse to the same AST (spans aside) and
keep every comment, or a FormatterBug is raised and nothing is written.
"""
from __future__ import annotations

import dataclasses
import re
import threading
import unicodedata
from bisect import bisect_left
from functools import lru_cache

from lark import Lark
from lark.exceptions import UnexpectedInput

from ..source import SourceFile, Span, display_width
from . import ast as A
from .build import AstBuilder
from .parser import GRAMMAR_PATH, NewlinePostLex

WIDTH = 100
INDENT = "  "
ALIGN_MAX = 30  # arrows line up only when every left side is at most this wide


class SyntaxProblems(Exception):
    """The file has syntax errors; it is not formatted. Carries the diagnostics."""

    def __init__(self, diagnostics, sources):
        super().__init__(f"{len(diagnostics)} syntax error(s)")
        self.diagnostics, self.sources = diagnostics, sources


class FormatterBug(Exception):
    """The printer would have changed the meaning or lost a comment (a bug; nothing is written)."""


# ---- parsing with comments and tokens
class _Recorder(NewlinePostLex):
    """The project's postlexer, also recording every token it is given."""

    def __init__(self):
        self.state = threading.local()

    def process(self, stream):
        tokens = self.state.tokens

        def tap(s):
            for tok in s:
                tokens.append(tok)
                yield tok

        return super().process(tap(stream))


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _Recorder]:
    recorder = _Recorder()

    def on_comment(tok):
        recorder.state.comments.append(tok)
        return tok

    lark = Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="contextual", postlex=recorder,
                propagate_positions=True, maybe_placeholders=True, start="start",
                lexer_callbacks={"COMMENT": on_comment})
    return lark, recorder


def _parse(src: SourceFile):
    lark, recorder = _parser()
    recorder.state.tokens, recorder.state.comments = [], []
    try:
        tree = lark.parse(src.text)
        from . import too_deep

        if too_deep(tree) is not None:  # parse_module reports it (PR107); the printer would recurse
            raise UnexpectedInput()
    except UnexpectedInput:
        from ..diagnostics import DiagnosticSink
        from . import parse_module

        sink = DiagnosticSink()
        parse_module(src, sink)
        diags = [d for d in sink.sorted() if d.is_error]
        if not diags:  # the recovering parser found nothing: still never format a broken file
            sink.error("PR103", src.span(max(0, len(src.text) - 1), len(src.text)), None, expected="?", expected_en="?")
            diags = sink.sorted()
        raise SyntaxProblems(diags, {src.path: src}) from None
    module = AstBuilder(src).transform(tree)
    return module, list(recorder.state.tokens), list(recorder.state.comments)


# ---- public entry points
def format_text(text: str, path: str = "<rules>") -> str:
    """The canonical form of rule text. Raises SyntaxProblems (not formatted) or FormatterBug."""
    newline = "\r\n" if "\r\n" in text else "\n"
    src = SourceFile(path, text.lstrip("\ufeff"))
    module, tokens, comments = _parse(src)
    out = _Printer(src, module, tokens, comments).print_module()
    _verify(module, comments, out, path)
    return out.replace("\n", newline) if newline != "\n" else out


def ast_shape(node):
    """An AST with spans (and the spelling of numbers) left out: equal shapes, equal meaning."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        skip = {"span", "text"} if isinstance(node, A.Num) else {"span"}
        return (type(node).__name__,) + tuple(
            ast_shape(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name not in skip)
    if isinstance(node, (tuple, list)):
        return tuple(ast_shape(x) for x in node)
    return node


def _verify(module, comments, out: str, path: str) -> None:
    src = SourceFile(path, out)
    try:
        again, _tokens, again_comments = _parse(src)
    except SyntaxProblems as err:
        first = err.diagnostics[0]
        raise FormatterBug(f"the formatted text does not parse ({first.code} at line {first.span.line}: "
                           f"{src.line_text(first.span.line).strip()})") from None
    if ast_shape(again) != ast_shape(module):
        raise FormatterBug("the formatted text parses to a different program")
    if sorted(_comment_text(c) for c in again_comments) != sorted(_comment_text(c) for c in comments):
        raise FormatterBug("a comment would have been lost")


def _comment_text(tok) -> str:
    return str(tok).rstrip()


# ---- the printer
_FULLWIDTH_DIGITS = {ord(c): str(unicodedata.digit(c)) for c in "０１２３４５６７８９"}
_NOT_OP = re.compile(r"#[^\n]*|[\s()（）]")

# precedence levels, loosest first (the grammar's expr → atom chain)
P_IF, P_OR, P_AND, P_NOT, P_CMP, P_SUM, P_PROD, P_NEG, P_ATOM = range(9)
FORCE = "force"  # a layout mode: every block on one line (used to measure)


@dataclasses.dataclass(frozen=True)
class _TestBlock:
    """A `given {…}` or `expect {…}` block of a test (the AST merges them; the printer keeps them)."""

    span: Span
    kind: str
    items: tuple


@dataclasses.dataclass(frozen=True)
class _Comment:
    start: int
    end: int
    line: int
    text: str
    eol: bool


class _Printer:
    def __init__(self, src: SourceFile, module: A.Module, tokens, comments):
        self.src = src
        self.module = module
        self.tokens = sorted(tokens, key=lambda t: t.start_pos)
        self.token_starts = [t.start_pos for t in self.tokens]
        self.parens = self._paren_contents()
        self.test_blocks = {}
        self.comments = [self._comment(t) for t in comments]
        self.comment_starts = sorted(c.start for c in self.comments)
        self.leading: dict[int, list[_Comment]] = {}
        self.trailing: dict[int, _Comment] = {}
        self.header: dict[int, _Comment] = {}
        self.dangling: dict[int, list[_Comment]] = {}
        self._attach_comments()

    # ---- source helpers
    def _comment(self, tok) -> _Comment:
        line, column = self.src.position(tok.start_pos)
        before = self.src.line_text(line)[: column - 1]
        return _Comment(tok.start_pos, tok.end_pos, line, str(tok).rstrip(), bool(before.strip()))

    def raw(self, span: Span) -> str:
        return self.src.text[span.start:span.end]

    def _tokens_in(self, span: Span, kinds) -> list:
        i = bisect_left(self.token_starts, span.start)
        out = []
        while i < len(self.tokens) and self.tokens[i].start_pos < span.end:
            if self.tokens[i].type in kinds:
                out.append(self.tokens[i])
            i += 1
        return out

    def strings_in(self, span: Span) -> list[str]:
        return [_string(str(t)) for t in self._tokens_in(span, ("STRING",))]

    def _paren_contents(self) -> set[tuple[int, int]]:
        """(start, end) of what each pair of grouping parentheses encloses."""
        out, stack, prev = set(), [], None
        significant = [t for t in self.tokens if t.type != "_NL"]
        for i, tok in enumerate(significant):
            if tok.type == "_LPAR":
                stack.append((i, prev not in ("NAME", "QUOTED_NAME")))
            elif tok.type == "RANGE_OPEN":
                stack.append((i, False))
            elif tok.type in ("_RPAR", "_RBRACK") and stack:
                j, group = stack.pop()
                if group and i - j > 1:
                    out.add((significant[j + 1].start_pos, significant[i - 1].end_pos))
            prev = tok.type
        return out

    def has_comment(self, span: Span) -> bool:
        i = bisect_left(self.comment_starts, span.start)
        return i < len(self.comment_starts) and self.comment_starts[i] < span.end

    def blank_between(self, after_line: int, before_line: int) -> bool:
        """Whether the source has an empty line strictly between two lines."""
        return any(not self.src.line_text(n).strip() for n in range(after_line + 1, before_line))

    @staticmethod
    def one_line(span: Span) -> bool:
        return span.line == span.end_line

    # ---- containers and their items (shared by comment attachment and printing)
    def items_of(self, node):
        """The items of a block, in source order; None for a node that holds no block."""
        if isinstance(node, A.Module):
            return list(node.decls)
        if isinstance(node, A.IndicatorDecl):
            return sorted(node.statements + node.children, key=lambda n: n.span.start)
        if isinstance(node, A.SettingsDecl):
            return list(node.items)
        if isinstance(node, A.TestDecl):
            return list(self._test_blocks(node))
        if isinstance(node, _TestBlock):
            return list(node.items)
        if isinstance(node, A.AlertDecl):
            return [node.message] if node.message is not None else []
        if isinstance(node, A.GradeDecl):
            return list(node.bands)
        if isinstance(node, A.Bands):
            return list(node.bands)
        if isinstance(node, A.Linear):
            return list(node.points)
        if isinstance(node, A.Checklist):
            return list(node.items)
        if isinstance(node, A.Match):
            return list(node.cases)
        return None

    def _test_blocks(self, test: A.TestDecl) -> tuple[_TestBlock, ...]:
        key = id(test)
        if key in self.test_blocks:
            return self.test_blocks[key]
        blocks = []
        toks = self._tokens_in(test.span, ("GIVEN", "EXPECT", "_LBRACE", "_RBRACE"))
        i = 0
        while i < len(toks):
            kw = toks[i]
            if kw.type in ("GIVEN", "EXPECT") and i + 1 < len(toks) and toks[i + 1].type == "_LBRACE":
                j = i + 2
                while j < len(toks) and toks[j].type != "_RBRACE":
                    j += 1
                end = toks[j].end_pos if j < len(toks) else test.span.end
                span = self.src.span(kw.start_pos, end)
                pool = test.given if kw.type == "GIVEN" else test.expect
                items = tuple(it for it in pool if span.start <= it.span.start < span.end)
                blocks.append(_TestBlock(span, kw.type.lower(), items))
                i = j + 1
            else:
                i += 1
        self.test_blocks[key] = tuple(blocks)
        return self.test_blocks[key]

    def _containers(self):
        """Every node holding a block, outermost first."""
        out = []

        def walk(node):
            if isinstance(node, (list, tuple)):
                for x in node:
                    walk(x)
                return
            if not (dataclasses.is_dataclass(node) and not isinstance(node, type)):
                return
            if self.items_of(node) is not None:
                out.append(node)
            if isinstance(node, A.TestDecl):
                walk(self._test_blocks(node))
                return
            for f in dataclasses.fields(node):
                if f.name != "span":
                    walk(getattr(node, f.name))

        walk(self.module)
        return out

    def _attach_comments(self) -> None:
        if not self.comments:
            return
        containers = self._containers()
        for c in self.comments:
            around = [n for n in containers if n.span.start < c.start < n.span.end]
            box = min(around, key=lambda n: n.span.end - n.span.start) if around else self.module
            items = self.items_of(box)
            if c.eol:
                before = [it for it in items if it.span.end <= c.start and it.span.end_line == c.line]
                if before:
                    self.trailing[id(before[-1])] = c
                    continue
            inside = [it for it in items if it.span.start < c.start < it.span.end]
            if inside:
                self.leading.setdefault(id(inside[0]), []).append(c)
                continue
            if c.eol and box is not self.module and id(box) not in self.header and self._on_opening_line(box, items, c):
                self.header[id(box)] = c
                continue
            after = [it for it in items if it.span.start >= c.end]
            if after:
                self.leading.setdefault(id(after[0]), []).append(c)
            else:
                self.dangling.setdefault(id(box), []).append(c)

    def _on_opening_line(self, box, items, c) -> bool:
        """An end-of-line comment on the line that opens box's block (`… {  # 说明`), before its
        first item: the header may have run over several lines (a long alert condition)."""
        if c.line == box.span.line:
            return True
        if items and items[0].span.start < c.start:
            return False
        line_start = self.src.text.rfind("\n", 0, c.start) + 1
        return any(b in self.src.text[line_start:c.start] for b in "{｛")

    # ---- layout of blocks
    def print_module(self) -> str:
        items = self.module.decls
        texts = {id(d): self.item(d, 0) for d in items}
        lines = self.body_lines(self.module, [[d] for d in items], 0, texts)
        text = "\n".join(lines).rstrip("\n")
        return text + "\n" if text else ""

    def body_lines(self, box, groups, ind: int, texts: dict) -> list[str]:
        """The lines of a block body: groups of items (one line each, or one multi-line item),
        their comments, a blank line wherever the source had one, and the end-of-line comments
        of consecutive lines aligned."""
        pad = INDENT * ind
        rows: list[list] = []  # [code, end-of-line comment or None]; ["", None] is a blank line
        prev_end = None

        def gap(start_line: int) -> None:
            if prev_end is not None and rows and rows[-1][0] and self.blank_between(prev_end, start_line):
                rows.append(["", None])

        sep = self.separator(box)
        for group in groups:
            for it in group:
                for c in self.leading.get(id(it), ()):
                    gap(c.line)
                    rows.append([pad + c.text, None])
                    prev_end = c.line
            gap(group[0].span.line)
            item_lines = sep.join(texts[id(it)] for it in group).split("\n")
            item_lines[0] = pad + item_lines[0]
            rows.extend([line, None] for line in item_lines)
            trail = self.trailing.get(id(group[-1]))
            if trail is not None:
                last = group[-1]
                if (len(group) == 1 and len(item_lines) > 1 and last.span.line == last.span.end_line
                        and item_lines[0].endswith("{")):
                    # a one-line block opened by the printer: its comment stays on the line
                    # that names it (as a comment after an opening { does), not after its }
                    rows[-len(item_lines)][1] = trail.text
                else:
                    rows[-1][1] = trail.text
            prev_end = group[-1].span.end_line
        for c in self.dangling.get(id(box), ()):
            gap(c.line)
            rows.append([pad + c.text, None])
            prev_end = c.line
        return _align_comments(rows)

    @staticmethod
    def separator(box) -> str:
        return "; " if isinstance(box, (A.Bands, A.GradeDecl)) else ", "

    def block(self, box, header: str, ind: int, mode) -> str:
        """`header { items }`: on one line, or opened (see the module docstring for the rule)."""
        items = self.items_of(box)
        statements = isinstance(box, (A.IndicatorDecl, A.TestDecl, A.AlertDecl)) or (
            isinstance(box, A.SettingsDecl) and len(items) != 1)
        if not items and not self.dangling.get(id(box)) and id(box) not in self.header:
            return header + " {}"
        sep = self.separator(box)
        if not statements and (mode == FORCE or (mode is True and self.one_line(box.span) and not self.has_comment(box.span))):
            return header + " { " + sep.join(self.render(it, ind + 1, FORCE) for it in items) + " }"
        texts = {id(it): self.item(it, ind + 1) for it in items}
        groups: list[list] = []
        for it in items:
            joinable = (not statements and not self.one_line(box.span) and groups
                        and it.span.line == groups[-1][-1].span.end_line and not self.leading.get(id(it))
                        and id(groups[-1][-1]) not in self.trailing
                        and "\n" not in texts[id(it)] and "\n" not in texts[id(groups[-1][-1])])
            if joinable:
                groups[-1].append(it)
            else:
                groups.append([it])
        split = []
        for g in groups:  # a group the author wrote on one line opens when it no longer fits
            wide = len(g) > 1 and display_width(INDENT * (ind + 1) + sep.join(texts[id(it)] for it in g)) > WIDTH
            split.extend([[it] for it in g] if wide else [g])
        groups = split
        if isinstance(box, (A.Bands, A.Linear, A.Checklist, A.Match)):
            self._align_arrows([g[0] for g in groups if len(g) == 1], texts, ind + 1)
        head = header + " {"
        if id(box) in self.header:
            head += "  " + self.header[id(box)].text
        body = self.body_lines(box, groups, ind + 1, texts)
        return "\n".join([head, *body, INDENT * ind + "}"])

    def _align_arrows(self, items, texts: dict, ind: int) -> None:
        """Line up the `->` of the one-line items of an opened block, like a table, when every
        left side is short (at most ALIGN_MAX columns)."""
        sides = {}
        for it in items:
            text = texts[id(it)]
            left = self.arrow_left(it, ind)
            if left is None or "\n" in text or not text.startswith(left + " -> "):
                continue
            sides[id(it)] = left
        if len(sides) < 2:
            return
        widths = {k: display_width(v) for k, v in sides.items()}
        widest = max(widths.values())
        if widest > ALIGN_MAX:
            return
        for k, left in sides.items():
            texts[k] = left + " " * (widest - widths[k]) + texts[k][len(left):]

    def arrow_left(self, it, ind: int) -> str | None:
        if isinstance(it, A.Band):
            return self.r_Band(it, ind, FORCE).split(" -> ")[0] if it.cond.kind != "expr" else \
                self.expr(it.cond.expr, ind, FORCE)
        if isinstance(it, A.LinearPoint):
            return self.expr(it.x, ind, FORCE, P_SUM)
        if isinstance(it, A.CheckItem):
            return self.expr(it.cond, ind, FORCE)
        if isinstance(it, A.Case):
            return " | ".join(self.pattern(p) for p in it.patterns)
        return None

    def item(self, node, ind: int) -> str:
        """One item at indentation `ind`: its inner blocks stay on one line only if it fits."""
        if isinstance(node, (A.IndicatorDecl, A.TestDecl)) or (
                isinstance(node, A.SettingsDecl) and len(node.items) != 1) or (
                isinstance(node, A.AlertDecl) and (node.message is not None or id(node) in self.dangling)):
            return self.render(node, ind, True)  # always opened: one statement per line
        flat = self.render(node, ind, FORCE)
        return self.render(node, ind, display_width(INDENT * ind + flat) <= WIDTH)

    # ---- items and declarations
    def render(self, node, ind: int, mode) -> str:
        method = getattr(self, "r_" + type(node).__name__, None)
        if method is None:
            raise FormatterBug(f"no printer for {type(node).__name__}")
        return method(node, ind, mode)

    def r_RulesetDecl(self, d, ind, mode):
        s = self.strings_in(d.span)
        return f"ruleset {s[0]}" + (f" version {s[1]}" if d.version is not None and len(s) > 1 else "")

    def r_MetaDecl(self, d, ind, mode):
        return f"{d.key} {self.strings_in(d.span)[0]}"

    def r_AppliesDecl(self, d, ind, mode):
        return "applies to " + ", ".join(self.strings_in(d.span))

    def r_IncludeDecl(self, d, ind, mode):
        return f"{d.kind} {self.strings_in(d.span)[0]}"

    def r_SettingsDecl(self, d, ind, mode):
        return self.block(d, "settings", ind, mode)

    def r_Setting(self, s, ind, mode):
        return " ".join([self.name(s.key)] + [self.literal(a) for a in s.args])

    def r_InputDecl(self, d, ind, mode):
        text = f"input {self.name(d.name)}: {self.name(d.type)}"
        if d.choices:
            text += "(" + ", ".join(self.literal(c) for c in d.choices) + ")"
        for opt in d.options:
            if opt.kind == "default":
                text += " = " + self.literal(opt.value)
            elif opt.kind == "label":
                text += " " + self.strings_in(opt.span)[0]
            elif opt.kind == "range":
                lo, hi, closed = opt.value
                text += f" in [{self.num(lo)}, {self.num(hi)}{']' if closed else ')'}"
            elif opt.kind == "aliases":
                text += " from " + ", ".join(self.strings_in(opt.span))
        return text

    def r_LetDecl(self, d, ind, mode):
        return self.wrapped(f"let {self.name(d.name)} = ", d.expr, ind, mode)

    def r_DefDecl(self, d, ind, mode):
        params = ", ".join(self.name(p) for p in d.params)
        return self.wrapped(f"def {self.name(d.name)}({params}) = ", d.body, ind, mode)

    def r_IndicatorDecl(self, d, ind, mode):
        head = ("" if d.kind == "normal" else d.kind + " ") + "indicator " + self.name(d.name)
        if d.weight is not None:
            head += f" {d.weight_kind or 'weight'} {self.num(d.weight)}"
        return self.block(d, head, ind, mode)

    def r_Statement(self, st, ind, mode):
        if st.kind in ("code", "unit", "note"):
            return f"{st.kind} {self.string(st.value)}"
        if st.kind == "value":
            return self.wrapped("value ", st.value, ind, mode)
        if st.kind == "score":
            return "score " + self.form(st.value, ind, mode)
        return f"{st.kind} {self.name(st.value)}"

    def r_GradeDecl(self, d, ind, mode):
        target = "total" if d.target is None else self.path(d.target)
        return self.block(d, f"grade by {target}", ind, mode)

    def r_GradeBand(self, b, ind, mode):
        if b.op == "otherwise":
            return f"{self.name(b.name)} otherwise"
        op = self.written_op(b.name.span.end, b.bound.span.start, b.op)
        return f"{self.name(b.name)} {op} {self.expr(b.bound, ind, mode, P_SUM)}"

    def r_AlertDecl(self, d, ind, mode):
        head = self.wrapped(f"alert {self.name(d.name)} {self.name(d.level)} when ", d.cond, ind, mode, tail=" {")
        if d.message is None and not self.dangling.get(id(d)) and id(d) not in self.header:
            return head
        return self.block(d, head, ind, mode)

    def r_Str(self, s, ind, mode):  # an alert's message, as an item of the alert's block
        return "message " + self.string(s)

    def r_OutputDecl(self, d, ind, mode):
        return self.wrapped(f"output {self.name(d.name)} = ", d.expr, ind, mode)

    def r_OverrideDecl(self, d, ind, mode):
        head = f"override {self.path(d.path)}"
        if d.kind == "weight":
            return f"{head} weight {self.num(d.value)}"
        if d.kind == "score":
            return f"{head} score {self.form(d.value, ind, mode)}"
        return f"{head} value {self.expr(d.value, ind, mode)}"

    def r_RemoveDecl(self, d, ind, mode):
        return f"remove {self.path(d.path)}"

    def r_TestDecl(self, d, ind, mode):
        return self.block(d, "test " + self.strings_in(d.span)[0], ind, mode)

    def r__TestBlock(self, b, ind, mode):
        return self.block(b, b.kind, ind, mode)

    def r_GivenItem(self, it, ind, mode):
        return f"{self.name(it.name)} = {self.literal(it.value)}"

    def r_ExpectItem(self, it, ind, mode):
        if it.kind == "alert":
            return f"alert {self.name(it.target)}"
        if it.kind == "no_alert":
            return f"no alert {self.name(it.target)}"
        if it.kind == "error":
            return f"error {self.name(it.target)}"
        target = it.target if isinstance(it.target, str) else self.path(it.target)
        return f"{target} = {self.literal(it.value)}"

    # ---- scoring forms
    def form(self, f, ind, mode, alt: bool = False) -> str:
        if isinstance(f, A.ScoreExpr):
            return self.expr(f.expr, ind, mode, P_SUM if alt else P_IF)
        if isinstance(f, A.Bands):
            return self.block(f, "bands", ind, mode)
        if isinstance(f, A.Linear):
            return self.block(f, "linear", ind, mode)
        if isinstance(f, A.Checklist):
            return self.block(f, "checklist", ind, mode)
        if isinstance(f, A.Deduct):
            text = (f"deduct {self.expr(f.points, ind, mode, P_SUM)} per {self.expr(f.unit, ind, mode, P_SUM)} "
                    f"{f.direction} {self.expr(f.threshold, ind, mode, P_SUM)}")
            return text + (f" counting {self.name(f.counting)}" if f.counting is not None else "")
        if isinstance(f, A.Either):
            text = f"either {self.form(f.first, ind, mode, True)} or {self.form(f.second, ind, mode, True)}"
            return text + (f" by {self.name(f.mode)}" if f.mode is not None else "")
        raise FormatterBug(f"no printer for {type(f).__name__}")

    def r_Band(self, b, ind, mode):
        c = b.cond
        if c.kind == "otherwise":
            cond = "otherwise"
        elif c.kind == "cmp":
            cond = f"{self.written_op(c.span.start, c.bound.span.start, c.op)} {self.expr(c.bound, ind, mode, P_SUM)}"
        elif c.kind == "range":
            cond = f"{'[' if c.lo_closed else '('}{self.num(c.bound)}, {self.num(c.hi)}{']' if c.hi_closed else ')'}"
        else:
            cond = self.expr(c.expr, ind, mode)
        return f"{cond} -> {self.expr(b.points, ind, mode)}"

    def r_LinearPoint(self, p, ind, mode):
        return f"{self.expr(p.x, ind, mode, P_SUM)} -> {self.expr(p.points, ind, mode)}"

    def r_CheckItem(self, it, ind, mode):
        return f"{self.expr(it.cond, ind, mode)} -> {self.expr(it.points, ind, mode)}"

    def r_Case(self, c, ind, mode):
        pats = " | ".join(self.pattern(p) for p in c.patterns)
        return f"{pats} -> {self.expr(c.result, ind, mode)}"

    def pattern(self, p: A.Pattern) -> str:
        if p.is_otherwise:
            return "otherwise"
        if p.name is not None:
            return self.name(p.name)
        return self.literal(p.literal)

    # ---- expressions
    def wrapped(self, prefix: str, e, ind: int, mode, tail: str = "") -> str:
        """prefix + e on one line; or, when that is wider than WIDTH, e's top-level chain of
        `or`, `and` or `+`/`-` broken after an operator, as many operands to a line as fit, the
        continuation lines indented two levels (`tail`: what follows on the last line)."""
        flat = prefix + self.expr(e, ind, mode)
        chain = self._chain(e) if mode is not FORCE else None
        if chain is None or display_width(INDENT * ind + flat + tail) <= WIDTH:
            return flat
        prec, operands, ops = chain
        texts = [self.expr(x, ind, FORCE, prec if i == 0 else prec + 1) for i, x in enumerate(operands)]
        cont = INDENT * (ind + 2)
        lines, line = [], prefix + texts[0]
        for op, text in zip(ops, texts[1:]):
            first = not lines
            if display_width((INDENT * ind if first else "") + f"{line} {op} {text}") <= WIDTH:
                line = f"{line} {op} {text}"
            else:
                lines.append(f"{line} {op}")
                line = cont + text
        return "\n".join(lines + [line])

    def _chain(self, e):
        """(precedence, operands, operators) of e's top-level chain of one operator level
        (a or b or c; a + b - c), or None when e is not such a chain (or is in parentheses)."""
        if (e.span.start, e.span.end) in self.parens:
            return None
        if isinstance(e, A.BoolOp):
            prec, same = (P_AND if e.op == "and" else P_OR), (lambda x: isinstance(x, A.BoolOp) and x.op == e.op)
        elif isinstance(e, A.Binary) and e.op in "+-":
            prec, same = P_SUM, (lambda x: isinstance(x, A.Binary) and x.op in "+-")
        else:
            return None
        operands, ops = [], []
        while same(e) and (e.span.start, e.span.end) not in self.parens:
            operands.append(e.right)
            ops.append(e.op)
            e = e.left
        operands.append(e)
        return prec, operands[::-1], ops[::-1]

    def expr(self, e, ind: int, mode, min_prec: int = P_IF) -> str:
        text, prec = self._expr(e, ind, mode)
        if prec < min_prec or (e.span.start, e.span.end) in self.parens:
            return "(" + text + ")"
        return text

    def _expr(self, e, ind, mode) -> tuple[str, int]:
        if isinstance(e, A.Num):
            return self.num(e), P_NEG if e.value < 0 else P_ATOM
        if isinstance(e, A.Str):
            return self.string(e), P_ATOM
        if isinstance(e, (A.DateLit, A.BoolLit)):
            return self.literal(e), P_ATOM
        if isinstance(e, A.Full):
            return "full", P_ATOM
        if isinstance(e, A.ValueRef):
            return "value", P_ATOM
        if isinstance(e, A.TotalRef):
            return "total", P_ATOM
        if isinstance(e, A.GradeRef):
            return "grade", P_ATOM
        if isinstance(e, A.Ref):
            return self.path(e), P_ATOM
        if isinstance(e, A.Call):
            args = ", ".join((f"{self.name(a.name)}: " if a.name is not None else "") + self.expr(a.expr, ind, mode)
                             for a in e.args)
            return f"{self.path(e.func)}({args})", P_ATOM
        if isinstance(e, A.Neg):
            return "-" + self.expr(e.operand, ind, mode, P_NEG), P_NEG
        if isinstance(e, A.Binary):
            prec = P_SUM if e.op in "+-" else P_PROD
            return f"{self.expr(e.left, ind, mode, prec)} {e.op} {self.expr(e.right, ind, mode, prec + 1)}", prec
        if isinstance(e, A.Compare):
            op = self.written_op(e.left.span.end, e.right.span.start, e.op)
            return f"{self.expr(e.left, ind, mode, P_SUM)} {op} {self.expr(e.right, ind, mode, P_SUM)}", P_CMP
        if isinstance(e, A.BoolOp):
            prec = P_AND if e.op == "and" else P_OR
            return f"{self.expr(e.left, ind, mode, prec)} {e.op} {self.expr(e.right, ind, mode, prec + 1)}", prec
        if isinstance(e, A.Not):
            return "not " + self.expr(e.operand, ind, mode, P_NOT), P_NOT
        if isinstance(e, A.If):
            return (f"if {self.expr(e.cond, ind, mode)} then {self.expr(e.then, ind, mode)} "
                    f"else {self.expr(e.orelse, ind, mode)}"), P_IF
        if isinstance(e, A.Match):
            return self.block(e, "match " + self.expr(e.subject, ind, mode), ind, mode), P_ATOM
        raise FormatterBug(f"no printer for {type(e).__name__}")

    def written_op(self, start: int, end: int, op: str) -> str:
        """A comparison as written: `=` and `==` both mean equal; the author's choice is kept."""
        between = _NOT_OP.sub("", self.src.text[start:end])
        return "=" if between in ("=", "＝") else op

    # ---- leaves
    def name(self, n: A.Name) -> str:
        if self.src.text[n.span.start:n.span.start + 1] == "`":
            return f"`{n.text}`"
        return n.text

    def path(self, ref: A.Ref) -> str:
        return ".".join(self.name(p) for p in ref.parts)

    @staticmethod
    def num(n: A.Num) -> str:
        return n.text.replace("％", "%").translate(_FULLWIDTH_DIGITS)

    def string(self, s: A.Str) -> str:
        return _string(self.raw(s.span))

    def literal(self, lit) -> str:
        if isinstance(lit, A.Num):
            return self.num(lit)
        if isinstance(lit, A.Str):
            return self.string(lit)
        if isinstance(lit, A.DateLit):
            return self.raw(lit.span)
        if isinstance(lit, A.BoolLit):
            return "true" if lit.value else "false"
        if isinstance(lit, A.Name):
            return self.name(lit)
        raise FormatterBug(f"no printer for literal {type(lit).__name__}")


def _align_comments(rows: list[list]) -> list[str]:
    """Code lines with their end-of-line comments; the comments of consecutive lines line up
    two columns after the longest code of the run."""
    out, i = [], 0
    while i < len(rows):
        if rows[i][1] is None:
            out.append(rows[i][0])
            i += 1
            continue
        j = i
        while j < len(rows) and rows[j][1] is not None:
            j += 1
        column = max(display_width(code) for code, _ in rows[i:j]) + 2
        out.extend(code + " " * (column - display_width(code)) + comment for code, comment in rows[i:j])
        i = j
    return out


def _string(token: str) -> str:
    """A string token in ASCII quotes (a “typographic” string has no escapes: quote its content)."""
    if token.startswith("“"):
        body = token[1:-1]
        return '"' + body.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return token


__all__ = ["FormatterBug", "SyntaxProblems", "WIDTH", "ast_shape", "format_text"]
