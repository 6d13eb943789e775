"""perfrules: a rule language, checker and evaluators for 部门整体绩效 indicator systems.

    import perfrules
    rules = perfrules.load("rulesets/health/health.rules")
    result = rules.evaluate_one({"实际支出": "95231.47", ...})
    result.total, result.grade
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["compile", "load", "check", "Ruleset", "CompileError", "__version__"]


def __getattr__(name: str):
    # Lazy: `import perfrules` stays cheap for the CLI's start-up.
    if name in ("compile", "load", "check", "Ruleset", "CompileError"):
        from . import api
        return getattr(api, name)
    raise AttributeError(name)
