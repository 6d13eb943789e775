"""Dependency order of the steps, and cycle detection."""
from __future__ import annotations

from .. import ir


def reads_of(expr_list) -> set[str]:
    keys = set()
    for e in expr_list:
        if e is None:
            continue
        for sub in ir.walk(e):
            if isinstance(sub, ir.Slot):
                keys.add(sub.key)
    return keys


def order_steps(checker, top: list[int], grades: list[ir.Grade]) -> list[ir.Step]:
    """Steps sorted so that every slot is written before it is read (stable: file order first)."""
    nodes: list[tuple[ir.Step, set[str], set[str], str, object]] = []  # step, writes, reads, label, span
    for name, e in checker.let_ir.items():
        nodes.append((ir.LetStep(f"let:{name}", e), {f"let:{name}"}, reads_of([e]), name, checker.lets[name].name.span))
    for ind in checker.indicators:
        if ind.is_leaf:
            writes = {f"val:{ind.id}", f"score:{ind.id}"}
            exprs = [ind.value] + (list(ir.form_exprs(ind.score)) if ind.score else [])
            nodes.append((ir.LeafStep(ind.id), writes, reads_of(exprs) - writes, ind.dotted, ind.span))
        else:
            reads = {f"score:{c}" for c in ind.children}
            nodes.append((ir.GroupStep(ind.id), {f"score:{ind.id}"}, reads, ind.dotted, ind.span))
    nodes.append((ir.TotalStep(), {"total"}, {f"score:{i}" for i in top}, "total", None))
    for i, g in enumerate(grades):
        key = "grade" if g.target == "total" else f"grade:{g.target}"
        nodes.append((ir.GradeStep(i), {key}, {g.target}, f"grade {g.label}", None))

    writer = {}
    for idx, (_, writes, _, _, _) in enumerate(nodes):
        for w in writes:
            writer[w] = idx
    deps = [{writer[r] for r in reads if r in writer and writer[r] != idx} for idx, (_, _, reads, _, _) in enumerate(nodes)]
    done, order, remaining = set(), [], list(range(len(nodes)))
    while remaining:
        progress = [i for i in remaining if deps[i] <= done]
        if not progress:
            _report_cycle(checker, nodes, deps, remaining)
            break
        for i in progress:
            done.add(i)
            order.append(nodes[i][0])
        remaining = [i for i in remaining if i not in done]
    return order


def _report_cycle(checker, nodes, deps, remaining) -> None:
    rem = set(remaining)
    start = remaining[0]
    path, seen = [start], {start: 0}
    cur = start
    while True:
        nxt = next(iter(sorted(d for d in deps[cur] if d in rem)))
        if nxt in seen:
            cycle = path[seen[nxt]:] + [nxt]
            break
        seen[nxt] = len(path)
        path.append(nxt)
        cur = nxt
    chain = " → ".join(nodes[i][3] for i in cycle)
    span = next((nodes[i][4] for i in cycle if nodes[i][4] is not None), None)
    if span is None:
        span = checker.module.span
    checker.sink.error("PR207", span, chain=chain)
