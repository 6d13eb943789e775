"""An EvaluationResult whose per-indicator models are built on first access.

Scoring a record decides everything (scores, total, grade, flags, alerts) in the evaluator;
turning that into ~60 pydantic IndicatorResult models and Decimal texts costs as much again as
the scoring itself and most callers never look at them (a loop that reads `.total` and
`.grade`). `LazyEvaluationResult` holds the eager fields (record_id, row, ok, error, total,
grade, ruleset) from construction and builds `indicators`, `alerts`, `outputs` and
`group_grades` the first time any of them (or a method that reads the whole model: dump,
==, repr, copy, pickle, iteration) is used. Materializing fills the model's fields in their
declared order and turns the object into a plain `EvaluationResult` (its class changes), so
from then on it is indistinguishable from an eagerly built one.
"""
from __future__ import annotations

from .models import EvaluationResult

_FIELDS = tuple(EvaluationResult.model_fields)
_LAZY = frozenset({"indicators", "alerts", "outputs", "group_grades"})
_set = object.__setattr__


def lazy_result(eager: dict, fill, payload) -> EvaluationResult:
    """A result with the fields of `eager` now and the others from `fill(payload)` (a dict of
    indicators, alerts, outputs and group_grades) when first needed."""
    m = LazyEvaluationResult.__new__(LazyEvaluationResult)
    _set(m, "__dict__", eager)
    _set(m, "__pydantic_fields_set__", set(_FIELDS))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", {"lazy": (fill, payload)})
    return m


def materialize(m) -> None:
    """Build the lazy fields of m now (nothing to do for an eager result)."""
    if type(m) is LazyEvaluationResult:
        priv = object.__getattribute__(m, "__pydantic_private__")
        fill, payload = priv["lazy"]
        d = m.__dict__
        built = fill(payload)
        ordered = {k: (d[k] if k in d else built[k]) for k in _FIELDS}
        _set(m, "__dict__", ordered)
        _set(m, "__pydantic_private__", None)
        _set(m, "__class__", EvaluationResult)


class LazyEvaluationResult(EvaluationResult):
    """See the module docstring. Never constructed directly: use lazy_result()."""

    def __getattr__(self, item):
        if item in _LAZY:
            materialize(self)
            return self.__dict__[item]
        return super().__getattr__(item)

    def __eq__(self, other):
        materialize(self)
        materialize(other)
        return EvaluationResult.__eq__(self, other)

    __hash__ = None


def _materializing(name: str):
    base = getattr(EvaluationResult, name)

    def method(self, *args, **kwargs):
        materialize(self)
        return base(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = base.__doc__
    return method


for _name in ("model_dump", "model_dump_json", "model_copy", "__repr__", "__str__", "__repr_args__", "__iter__",
              "__copy__", "__deepcopy__", "__getstate__", "__reduce_ex__", "__reduce__", "__rich_repr__",
              "__pretty__", "__repr_str__", "__format__"):
    if hasattr(EvaluationResult, _name):
        setattr(LazyEvaluationResult, _name, _materializing(_name))
del _name
