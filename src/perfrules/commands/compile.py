"""Show what a rule file compiles to: the generated Python of the row evaluator (`python`: the
Fraction one; `python-fast`: the fast exact one over integer pairs that evaluate_one runs when it
supports the rules), or a summary of the checked IR (inputs, indicators, evaluation order)."""
from __future__ import annotations

import sys

HELP = "show the generated evaluator code or the IR"


def configure(p) -> None:
    p.add_argument("file", metavar="RULES", help="the rule file")
    p.add_argument("--emit", choices=("python", "python-fast", "ir"), default="python", help="what to print (default: python)")


def run(args) -> int:
    from ..api import CompileError, load

    try:
        rules = load(args.file)
    except CompileError as err:
        from ..diagnostics import render_all
        print(render_all([d for d in err.diagnostics if d.is_error], err.sources, args.lang), file=sys.stderr)
        return 1
    if args.emit == "python":
        sys.stdout.write(rules.python_source())
        return 0
    if args.emit == "python-fast":
        source = rules.python_source(fast=True)
        if source is None:
            why = rules.__dict__.get("_fast_unsupported", "")
            # The reason is the generator's own technical wording (Unsupported), in English.
            if args.lang == "zh":
                print(f"perfrules：快速精确行评估器不支持这套规则（{why}），由 Fraction 行评估器评分（见 --emit python）",
                      file=sys.stderr)
            else:
                print(f"perfrules: the fast row evaluator does not support these rules ({why}); "
                      "they are scored by the Fraction one (--emit python)", file=sys.stderr)
            return 1
        sys.stdout.write(source)
        return 0
    p = rules.program
    print(f"ruleset {p.id} {p.version}  hash {p.content_hash}")
    print(_settings(p.settings))
    for spec in p.inputs:
        print(f"input {spec.name}: {spec.type}" + (f" = {_show(spec.default)}" if spec.has_default else ""))
    for ind in p.indicators:
        print(f"{'  ' * (len(ind.path) - 1)}indicator {ind.name} [{ind.kind}] weight {_show(ind.weight)}"
              + (f" score {_FORMS.get(type(ind.score).__name__, type(ind.score).__name__)}" if ind.score else ""))
    print("steps: " + ", ".join(type(s).__name__ for s in p.steps))
    return 0


# The IR summary in the rule file's words (it printed Settings(…, total=Fraction(100, 1), …) and
# RatioScore): a reader compares it with the file.
_FORMS = {"ExprScore": "expression", "RatioScore": "ratio", "BandsScore": "bands", "LinearScore": "linear",
          "DeductScore": "deduct", "ChecklistScore": "checklist", "EitherScore": "either"}


def _show(v) -> str:
    from fractions import Fraction

    from ..runtime.numbers import format_plain

    return format_plain(v) if isinstance(v, Fraction) else str(v)


def _settings(s) -> str:
    parts = [f"rounding {s.rounding} {s.places}" + (" total_only" if s.total_only else ""), f"missing {s.missing}",
             f"time_progress {s.time_progress}", f"total {_show(s.total)}"]
    if s.year is not None:
        parts.append(f"year {s.year}")
    return "settings { " + "; ".join(parts) + " }"
