"""After checking a composed module: make diagnostics point into the file that is wrong, and drop
what an including file inherited but does not use.

* A weight sum (PR401, PR402, PR408) broken by a change an including file made — an override of
  a weight, a removed or an added indicator — is reported at that change, with labels at the
  inherited parent and the changed children; an inherited sum that was already wrong stays where
  it is.
* A reference to an indicator that an including file removed gets a label at the `remove`.
* A diagnostic in an included file carries the chain of files that included it.
* Unused inputs, lets and defs of included files are not reported (a shared file declares more
  than any one department uses), and inputs/lets of included files that nothing reads are left out
  of the program: a department that removes an inherited indicator is not asked for its data.
"""
from __future__ import annotations

import dataclasses

from .. import ir
from ..diagnostics import DiagnosticSink, Label
from ..runtime.numbers import format_plain
from ..syntax import ast as A
from .order import reads_of
from .population import step_io

_WEIGHT_CODES = ("PR401", "PR402", "PR408")
_UNUSED = ("PR601", "PR602")


def finish(program: ir.Program, module: A.Module, composition, sink: DiagnosticSink) -> None:
    root = composition.root
    by_span = {ind.span: ind for ind in program.indicators if ind.span is not None}
    before = {s.name for s in program.inputs}
    _prune(program, module, root)
    dropped = before - {s.name for s in program.inputs}
    items = []
    for d in sink.items:
        if d.code in _UNUSED and d.span.file != root:
            continue
        if d.code == "PR202" and dropped and _about_dropped_input(d, module, dropped):
            continue  # two inputs answering to one column, one of them inherited and never read: no clash
        if d.code in _WEIGHT_CODES:
            d = _blame_weights(d, program, by_span, composition)
        elif d.code == "PR201":
            d = _removed_label(d, composition)
        if d.span.file != root and not d.chain:
            d = dataclasses.replace(d, chain=composition.chain_of(d.span.file))
        items.append(d)
    sink.items[:] = items


def _about_dropped_input(d, module: A.Module, dropped: set) -> bool:
    """Whether PR202 `d` is about an input left out (its declaration holds the diagnostic's
    span or one of its labels' spans)."""
    spans = [d.span] + [label.span for label in d.labels]
    for decl in module.decls:
        if isinstance(decl, A.InputDecl) and decl.name.text in dropped:
            if any(sp is not None and sp.file == decl.span.file and decl.span.start <= sp.start < decl.span.end
                   for sp in spans):
                return True
    return False


def _blame_weights(d, program: ir.Program, by_span: dict, comp):
    if d.code == "PR402":
        parent, path = None, ()
    else:
        parent = by_span.get(d.span)
        if parent is None:
            return d
        path = parent.path
    changes = comp.weight_changes(path)
    if not changes or changes[-1].span.file == d.span.file:
        return d
    culprit = changes[-1].span
    labels = []
    if parent is not None:
        w = format_plain(parent.weight)
        labels.append(Label(parent.span, f"{parent.name} 的分值 {w}", f"{parent.name} has weight {w}"))
    kids = {i.span: i for i in program.indicators if i.parent == (parent.id if parent else None)}
    kid_labels = []
    for lb in d.labels:
        kid = kids.get(lb.span)
        over = comp.last_weight_override(kid.path) if kid is not None else None
        kid_labels.append(dataclasses.replace(lb, span=over.span) if over is not None else lb)
    for c in changes:
        if c.kind == "remove":
            labels.append(Label(c.span, f"删除了 {c.path[-1]}", f"{c.path[-1]} removed"))
        elif c.kind == "weight" and c.path == path:
            labels.append(Label(c.span, "分值在此修改", "weight overridden here"))
        elif c.kind == "add":
            labels.append(Label(c.span, f"新增了 {c.path[-1]}", f"{c.path[-1]} added"))
    seen, kept = {culprit} | {lb.span for lb in kid_labels}, []
    for lb in labels:
        if lb.span not in seen:
            seen.add(lb.span)
            kept.append(lb)
    return dataclasses.replace(d, span=culprit, labels=tuple(kept[:1] + kid_labels + kept[1:]))


def _removed_label(d, comp):
    name = str(d.args.get("name", ""))
    parts = name.split(".")
    if len(parts) > 1 and parts[-1] in ("score", "value", "得分", "值"):
        parts = parts[:-1]
    removed = comp.removed_matching(parts)
    if not removed:
        return d
    c = removed[-1]
    return dataclasses.replace(d, labels=d.labels + (Label(c.span, f"{'.'.join(c.path)} 已在此删除", f"{'.'.join(c.path)} is removed here"),))


def _prune(program: ir.Program, module: A.Module, root: str) -> None:
    """Leave out inputs and lets of included files that nothing reads."""
    origin = {d.name.text: d.span.file for d in module.decls if isinstance(d, (A.InputDecl, A.LetDecl))}
    inherited = {n for n, f in origin.items() if f != root}
    if not inherited:
        return
    needed: set[str] = set()
    for step in program.steps:
        if isinstance(step, ir.LetStep):
            if step.key[4:] not in inherited:
                needed |= reads_of([step.expr])
            continue
        needed |= step_io(step, program.indicators, program.grades)[1]
    exprs = [a.cond for a in program.alerts] + [p.expr for a in program.alerts for p in a.message if p.expr is not None]
    exprs += [o.expr for o in program.outputs] + [p.expr for p in program.populations]
    needed |= reads_of(exprs)
    for step in reversed(program.steps):  # lets read only earlier lets
        if isinstance(step, ir.LetStep) and step.key in needed:
            needed |= reads_of([step.expr])

    def keep(step) -> bool:
        return not isinstance(step, ir.LetStep) or step.key[4:] not in inherited or step.key in needed

    program.steps = [s for s in program.steps if keep(s)]
    program.phase1 = [s for s in program.phase1 if keep(s)]
    program.inputs = [s for s in program.inputs if s.name not in inherited or f"in:{s.name}" in needed]
