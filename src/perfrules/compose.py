"""Composition of rule files: `extends "file"` and `use "file"`.

A department file builds on a shared file of 共性指标 and changes it. The composer parses every
file reached, in dependency order, and merges their declarations into one AST module which the
checker then validates as a whole. Every AST node keeps the span of the file it was written in,
so a problem in an inherited declaration is reported in the shared file; the composer also
records the chain of including files and every change a file made to an inherited tree
(overrides, removals, additions), so the checker can point at the change that broke a weight sum.

Semantics (see docs/language.md, "Composition"):

* `extends "f"` inherits inputs, lets, defs, settings, indicators, grades, alerts and outputs of
  `f` (not its tests, and not its `ruleset`/`title`/`description`/`owner`/`applies`). At most one
  `extends` per file. The file's own declarations are applied after:
  - settings: per key, the file's own value wins;
  - an input/let/def with an inherited name is an error (PR202) unless it is written
    identically (then it is the same declaration and is kept once);
  - a grade for the same target, an alert or an output with the same name replaces the
    inherited one (in the inherited position);
  - `indicator NAME weight W { … }` adds an indicator (a top-level one is appended after the
    inherited ones); an indicator written *without* a weight whose name is an inherited
    indicator at that level re-opens it: `indicator 财政管理 { indicator 新指标 weight 2 { … } }`
    appends the new child to the inherited group. A re-opening block holds only indicators
    (new ones, or re-openings of deeper groups); anything else is changed with `override`;
  - then `override PATH weight N | score … | value EXPR` and `remove PATH`, in file order.
    PATH names an indicator by its last part(s) as elsewhere (`财政管理.预算管理` or `预算管理`).
* `use "f"` imports only the inputs, lets and defs of `f` (a library of shared definitions).
  Anything else in `f` is ignored, with a warning (PR705) when `f` holds indicators.
* Paths are relative to the including file. A missing file is PR701 at the `extends`/`use`;
  files that include each other are PR702 with the chain. A file reached twice (a diamond) is
  read and composed once.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from .diagnostics import DiagnosticSink, Hint, Label
from .semantics.names import suggest, suggestions
from .source import SourceFile, Span
from .syntax import ast as A
from .syntax import BROKEN_INCLUDE, BROKEN_USE, parse_module

_VALUE_DECLS = (A.InputDecl, A.LetDecl, A.DefDecl)
_NOT_INHERITED = (A.TestDecl, A.RulesetDecl, A.MetaDecl, A.AppliesDecl, A.IncludeDecl)


@dataclass(frozen=True)
class Change:
    """One change a file made to the indicator tree it inherited.

    kind: weight | score | value (an `override`), remove, add (a new child of an inherited
    group, or a new top-level indicator). `path` is the indicator's path (for remove: the path
    it had). `span` is the override/remove declaration, or the added indicator's name."""

    kind: str
    path: tuple[str, ...]
    span: Span


@dataclass
class Composition:
    """The composed module and what the checker needs to report problems in the right file."""

    module: A.Module
    broken: set[str] = field(default_factory=set)
    root: str = ""
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file → including files, outermost first
    changes: list[Change] = field(default_factory=list)  # in the order applied (inner files first)

    def chain_of(self, file: str) -> tuple[str, ...]:
        return self.chains.get(file, ())

    def weight_changes(self, parent: tuple[str, ...]) -> list[Change]:
        """Changes that alter the weight sum of the children of `parent` (() for the top level):
        the parent's or a child's weight overridden, a child removed or added."""
        out = []
        for c in self.changes:
            if c.kind == "weight" and (c.path == parent or c.path[:-1] == parent):
                out.append(c)
            elif c.kind in ("remove", "add") and c.path[:-1] == parent:
                out.append(c)
        return out

    def last_weight_override(self, path: tuple[str, ...]) -> Change | None:
        found = [c for c in self.changes if c.kind == "weight" and c.path == path]
        return found[-1] if found else None

    def removed_matching(self, parts: list[str]) -> list[Change]:
        n = len(parts)
        return [c for c in self.changes if c.kind == "remove" and list(c.path[-n:]) == parts]


def compose(src: SourceFile, sink: DiagnosticSink, sources: dict, loader=None) -> tuple[A.Module, set[str]]:
    """Parse `src` and everything it extends or uses; the composed module and broken names."""
    comp = compose_files(src, sink, sources, loader)
    return comp.module, comp.broken


def compose_files(src: SourceFile, sink: DiagnosticSink, sources: dict, loader=None) -> Composition:
    """Like compose(), with the chains and changes. Every file read is added to `sources`."""
    return _Composer(sink, sources, loader or SourceFile.read).run(src)


def resolve_include(including: str, target: str) -> str:
    """The path of an included file: relative to the including file's folder."""
    if os.path.isabs(target):
        return os.path.normpath(target)
    base = os.path.dirname(including) if not including.startswith("<") else ""
    return os.path.normpath(os.path.join(base, target))


def _ident(path: str) -> str:
    return path if path.startswith("<") else os.path.normcase(os.path.abspath(path))


# ---- the indicator tree while it is being changed
@dataclass
class _Node:
    decl: A.IndicatorDecl
    children: list["_Node"]
    file: str

    @property
    def name(self) -> str:
        return self.decl.name.text


def _nodes(decls, file: str | None = None) -> list[_Node]:
    return [_Node(d, _nodes(d.children, file), file or d.name.span.file) for d in decls]


def _decls(nodes: list[_Node]) -> tuple[A.IndicatorDecl, ...]:
    return tuple(dataclasses.replace(n.decl, children=_decls(n.children)) for n in nodes)


@dataclass
class _Unit:
    """A composed file: its declarations in order, with the indicator tree kept as nodes."""

    decls: list  # non-indicator declarations (and a marker where the tree goes)
    tree: list[_Node]
    broken: set[str]
    has_tree: bool = False


_TREE = object()  # where the indicator tree sits among the declarations


class _Composer:
    def __init__(self, sink: DiagnosticSink, sources: dict, loader):
        self.sink = sink
        self.sources = sources
        self.loader = loader
        self.cache: dict[str, _Unit] = {}
        self.stack: list[tuple[str, str]] = []  # (identity, display path)
        self.chains: dict[str, tuple[str, ...]] = {}
        self.changes: list[Change] = []
        self.paths: dict[str, str] = {}  # identity → the path string first used (the sources key)

    def run(self, src: SourceFile) -> Composition:
        self.sources.setdefault(src.path, src)
        self.paths[_ident(src.path)] = src.path
        self.chains[src.path] = ()
        unit = self.file(src)
        decls = []
        for d in unit.decls:
            if d is _TREE:
                decls.extend(_decls(unit.tree))
            else:
                decls.append(d)
        module = A.Module(src.span(0, len(src.text)), tuple(decls))
        return Composition(module, unit.broken, src.path, self.chains, self.changes)

    # ---- one file
    def file(self, src: SourceFile) -> _Unit:
        ident = _ident(src.path)
        self.stack.append((ident, src.path))
        try:
            module, broken = parse_module(src, self.sink)
            return self._compose(src, module, set(broken))
        finally:
            self.stack.pop()

    def _include(self, src: SourceFile, inc: A.IncludeDecl) -> _Unit | None:
        path = resolve_include(src.path, inc.path)
        ident = _ident(path)
        idents = [i for i, _ in self.stack]
        if ident in idents:
            start = idents.index(ident)
            chain = [p for _, p in self.stack[start:]] + [self.paths.get(ident, path)]
            self.sink.error("PR702", inc.span, chain=" → ".join(chain))
            return None
        if ident in self.cache:
            return self.cache[ident]
        try:
            other = self.loader(path)
        except (OSError, LookupError, ValueError):  # ValueError: a path the OS refuses
            other = None
        if not isinstance(other, SourceFile):
            self.sink.error("PR701", inc.span, Hint(f"路径相对于 {src.path} 所在的文件夹", f"the path is relative to the folder of {src.path}"),
                            path=inc.path)
            return None
        self.paths[ident] = other.path
        self.sources.setdefault(other.path, other)
        self.chains.setdefault(other.path, self.chains.get(src.path, ()) + (src.path,))
        unit = self.file(other)
        self.cache[ident] = unit
        return unit

    def _compose(self, src: SourceFile, module: A.Module, broken: set[str]) -> _Unit:
        includes = [d for d in module.decls if isinstance(d, A.IncludeDecl)]
        extends = [d for d in includes if d.kind == "extends"]
        for extra in extends[1:]:
            self.sink.error("PR706", extra.span, Hint("把共同部分合并到一个文件，其余用 use 引入定义",
                                                      "merge the shared parts into one file; import definitions with use"),
                            what="一个文件只能 extends 一个文件", what_en="a file can extend only one file")
        decls: list = []
        tree: list[_Node] = []
        has_tree = False
        values: dict[str, object] = {}  # name → the declaration kept
        unread = False  # the extends file could not be read (PR701, PR702)
        for inc in includes:
            if inc.kind == "extends" and inc is not extends[0]:
                continue
            unit = self._include(src, inc)
            if unit is None:
                unread = unread or inc.kind == "extends"
                broken.add(BROKEN_INCLUDE if inc.kind == "extends" else BROKEN_USE)
                continue
            broken |= unit.broken
            if inc.kind == "extends":
                for d in unit.decls:
                    if d is _TREE:
                        tree = _copy(unit.tree)
                        decls.append(_TREE)
                        has_tree = True
                    elif isinstance(d, _VALUE_DECLS):
                        if self._add_value(d, values, inherited=True):
                            decls.append(d)
                    elif not isinstance(d, _NOT_INHERITED):
                        decls.append(d)
            else:
                for d in unit.decls:
                    if isinstance(d, _VALUE_DECLS) and self._add_value(d, values, inherited=True):
                        decls.append(d)
                if unit.tree:
                    self.sink.warning("PR705", inc.span, Hint("要继承指标体系请用 extends", "to inherit the indicator tree, use extends"),
                                      path=inc.path, count=_count(unit.tree))
        inherited_names = set(values)
        own_tree: list[A.IndicatorDecl] = []
        edits: list = []
        for d in module.decls:
            if isinstance(d, A.IncludeDecl):
                continue
            if isinstance(d, _VALUE_DECLS):
                if self._add_value(d, values, inherited=False, inherited_names=inherited_names):
                    decls.append(d)
            elif isinstance(d, A.IndicatorDecl):
                own_tree.append(d)
                if not has_tree:
                    decls.append(_TREE)
                    has_tree = True
            elif isinstance(d, (A.OverrideDecl, A.RemoveDecl)):
                edits.append(d)
            elif isinstance(d, (A.GradeDecl, A.AlertDecl, A.OutputDecl)):
                self._replace_or_add(decls, d, src.path)
            else:
                decls.append(d)
        extending = bool(extends)
        sink = self.sink
        if unread:
            # the inherited tree is unknown: re-openings, overrides and removes of it would each
            # be "not found" after the one PR701 that says why
            self.sink = DiagnosticSink()
        self._root = tree
        for d in own_tree:
            self._merge(tree, d, (), extending, src.path)
        if edits and not extending:
            for e in edits:
                self.sink.error("PR703", e.span, Hint("override / remove 用于修改 extends 继承来的指标",
                                                      "override and remove change indicators inherited with extends"),
                                what="override / remove 只能用在 extends 了其他文件的文件中",
                                what_en="override and remove need an extends")
        else:
            for e in edits:
                self._edit(tree, e)
        self.sink = sink
        return _Unit(decls, tree, broken, has_tree)

    # ---- inputs, lets, defs
    def _add_value(self, d, values: dict, inherited: bool, inherited_names=frozenset()) -> bool:
        """Keep d unless an inherited declaration of its name exists; report a conflicting one."""
        name = d.name.text
        first = values.get(name)
        if first is None:
            values[name] = d
            return True
        if first is d or _same(first, d):
            return False
        if not inherited and name not in inherited_names:
            return True  # two declarations in this file: the checker reports the duplicate
        what_zh = {"InputDecl": "输入项", "LetDecl": "let", "DefDecl": "def"}[type(d).__name__]
        self.sink.error("PR202", d.name.span, Hint(f"继承来的{what_zh}不能重新定义：换一个名称，或修改共用文件",
                                                   f"an inherited {type(d).__name__[:-4].lower()} cannot be redefined: use another name, or change the shared file"),
                        labels=[Label(first.name.span, "继承的定义在此", "the inherited declaration")], name=name)
        return False

    # ---- grades, alerts, outputs: the file's own replaces the inherited one
    def _replace_or_add(self, decls: list, d, file: str) -> None:
        key = _key(d)
        for i, old in enumerate(decls):
            if old is not _TREE and type(old) is type(d) and _key(old) == key and old.span.file != file:
                decls[i] = d
                return
        decls.append(d)

    # ---- the indicator tree
    def _merge(self, siblings: list[_Node], d: A.IndicatorDecl, parent: tuple, extending: bool, file: str) -> None:
        name = d.name.text
        match = next((n for n in siblings if n.name == name and n.file != file), None)
        path = parent + (name,)
        if d.weight_kind == "" and match is not None:
            # re-opening an inherited indicator: add or re-open children
            for st in d.statements:
                self.sink.error("PR703", st.span, Hint(f"用 override {'.'.join(path)} {st.kind} … 修改",
                                                       f"write override {'.'.join(path)} {st.kind} …"),
                                what=f"续写继承的指标 {name} 时只能添加下级指标", what_en=f"re-opening the inherited indicator {name} can only add child indicators")
            if d.kind != match.decl.kind:
                self.sink.error("PR703", d.name.span, what=f"{name} 继承时是 {match.decl.kind} 指标", what_en=f"{name} is inherited as a {match.decl.kind} indicator")
            if d.children and not match.children:
                self.sink.error("PR703", d.name.span, Hint("先 remove 该指标，再写一个新的分组", "remove it and declare a new group instead"),
                                labels=[Label(match.decl.name.span, "继承的末级指标", "the inherited leaf")],
                                what=f"{name} 是末级指标，不能添加下级指标", what_en=f"{name} is a leaf: it cannot take child indicators")
                return
            for child in d.children:
                self._merge(match.children, child, path, extending, file)
            return
        if match is not None:
            self.sink.error("PR202", d.name.span, Hint(f"要在继承的 {name} 下添加指标，去掉 weight 续写：indicator {name} {{ … }}；要改分值用 override {name} weight N",
                                                       f"to add children to the inherited {name}, write it without a weight: indicator {name} {{ … }}; to change its weight, override {name} weight N"),
                            labels=[Label(match.decl.name.span, "继承的定义在此", "the inherited declaration")], name=name)
            return
        inherited_here = [n.name for n in siblings if n.file != file]
        if d.weight_kind == "" and extending and inherited_here:
            hint = (self._elsewhere(name, parent, file, exact=True) or suggest(name, inherited_here)
                    or self._elsewhere(name, parent, file))
            self.sink.error("PR703", d.name.span, hint,
                            what=f"{name} 不是继承来的指标；新指标要写分值（weight N）",
                            what_en=f"{name} is not an inherited indicator; a new indicator needs a weight")
            return
        siblings.append(_Node(d, _nodes(d.children, file), file))
        if extending and (parent or inherited_here):
            self.changes.append(Change("add", path, d.name.span))

    def _elsewhere(self, name: str, parent: tuple, file: str, exact: bool = False) -> Hint | None:
        """An inherited indicator named `name` (exact) or like it at another level (采购管理
        under 财政管理, re-opened at the top): where it is and how to re-open it there."""
        found = [(path, n) for path, n, _ in _walk(self._root, ()) if n.file != file and path[:-1] != parent]
        names = [n.name for _, n in found]
        close = ([name] if name in names else []) if exact else suggestions(name, names)
        if not close:
            return None
        path = next(path for path, n in found if n.name == close[0])
        nested = "…"
        for part in reversed(path):
            nested = f"indicator {part} {{ {nested} }}"
        dotted, above = ".".join(path), ".".join(path[:-1]) or "顶层"
        return Hint(f"是否想续写继承的 {dotted}？它在 {above} 之下，要写在上级里面：{nested}",
                    f"did you mean the inherited {dotted}? It sits under {'.'.join(path[:-1]) or 'the top'}: "
                    f"re-open it inside its parent, {nested}")

    def _edit(self, tree: list[_Node], e) -> None:
        parts = [p.text for p in e.path.parts]
        found = _find(tree, parts)
        what = "remove" if isinstance(e, A.RemoveDecl) else "override"
        if not found:
            removed = [c for c in self.changes if c.kind == "remove" and list(c.path[-len(parts):]) == parts]
            if removed:
                self.sink.error("PR703", e.path.span, labels=[Label(removed[-1].span, "在此删除", "removed here")],
                                what=f"{what}：指标 {e.path.dotted} 已被删除", what_en=f"{what}: the indicator {e.path.dotted} has been removed")
                return
            names = sorted({".".join(p[-k:]) for p, _, _ in _walk(tree, ()) for k in (1, 2)})
            self.sink.error("PR703", e.path.span, suggest(e.path.dotted, names),
                            what=f"{what}：找不到指标 {e.path.dotted}", what_en=f"{what}: no indicator {e.path.dotted}")
            return
        if len(found) > 1:
            self.sink.error("PR703", e.path.span, Hint("写出上级路径，如 " + ".".join(found[0][0]), "write the path, e.g. " + ".".join(found[0][0])),
                            what=f"{e.path.dotted} 有歧义，可能指 " + "、".join(".".join(p) for p, _, _ in found),
                            what_en=f"{e.path.dotted} is ambiguous: " + ", ".join(".".join(p) for p, _, _ in found))
            return
        path, node, siblings = found[0]
        if isinstance(e, A.RemoveDecl):
            if len(siblings) == 1 and len(path) > 1:
                self.sink.error("PR703", e.span, Hint(f"改为 remove {'.'.join(path[:-1])}", f"remove {'.'.join(path[:-1])} instead"),
                                what=f"删除 {node.name} 后 {path[-2]} 将没有下级指标", what_en=f"removing {node.name} would leave {path[-2]} empty")
                return
            siblings.remove(node)
            self.changes.append(Change("remove", path, e.span))
            return
        d = node.decl
        if e.kind == "weight":
            node.decl = dataclasses.replace(d, weight=e.value, weight_kind=d.weight_kind or ("weight" if d.kind == "normal" else "max"))
        else:
            if node.children:
                self.sink.error("PR703", e.span, what=f"{node.name} 有下级指标，不能改它的 {e.kind}",
                                what_en=f"{node.name} has child indicators: it has no {e.kind} to override")
                return
            st = A.Statement(e.span, e.kind, e.value)
            kept = tuple(s for s in d.statements if s.kind != e.kind)
            node.decl = dataclasses.replace(d, statements=kept + (st,))
        self.changes.append(Change(e.kind, path, e.span))


def _copy(nodes: list[_Node]) -> list[_Node]:
    """A fresh tree, so changing an inherited tree never changes the cached composed base."""
    return [_Node(n.decl, _copy(n.children), n.file) for n in nodes]


def _walk(nodes: list[_Node], parent: tuple):
    for n in nodes:
        path = parent + (n.name,)
        yield path, n, nodes
        yield from _walk(n.children, path)


def _find(tree: list[_Node], parts: list[str]):
    k = len(parts)
    return [(p, n, sib) for p, n, sib in _walk(tree, ()) if list(p[-k:]) == parts]


def _count(nodes: list[_Node]) -> int:
    return sum(1 + _count(n.children) for n in nodes)


def _key(d) -> str:
    if isinstance(d, A.GradeDecl):
        return "grade:" + (d.target.dotted if d.target is not None else "total")
    return type(d).__name__ + ":" + d.name.text


def _same(a, b) -> bool:
    """Structural equality ignoring spans: the same declaration written in two places."""
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a) if f.name != "span")
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b
