"""Constant folding for checks (band bounds, weights, points): exact, through the runtime."""
from __future__ import annotations

from fractions import Fraction

from .. import ir
from ..runtime import ops
from ..runtime.missing import Missing


def const_value(expr: ir.Expr):
    """The value of an expression that reads no slot, or None when it is not constant."""
    if isinstance(expr, ir.Const):
        # the placeholder left by an error is no constant: no follow-on errors about its 0
        return None if expr.type.kind == "unknown" else expr.value
    if isinstance(expr, ir.Neg):
        v = const_value(expr.operand)
        return None if v is None or not isinstance(v, Fraction) else -v
    if isinstance(expr, ir.Arith):
        a, b = const_value(expr.left), const_value(expr.right)
        if not isinstance(a, Fraction) or not isinstance(b, Fraction):
            return None
        fn = {"+": ops.add, "-": ops.sub, "*": ops.mul}.get(expr.op)
        v = fn(a, b) if fn else ops.div(a, b)
        return None if isinstance(v, Missing) else v
    if isinstance(expr, ir.Call) and expr.fn in ("min", "max", "abs"):
        args = [const_value(a) for a in expr.args]
        if any(not isinstance(a, Fraction) for a in args):
            return None
        return ops.FUNCTIONS[expr.fn](*args)
    return None
