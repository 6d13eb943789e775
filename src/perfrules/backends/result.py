"""What every backend returns for one record, before the API turns it into pydantic models."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..runtime.missing import Missing


@dataclass
class RawResult:
    values: dict = field(default_factory=dict)  # leaf id → value (may be Missing)
    scores: dict = field(default_factory=dict)  # indicator id → Fraction
    flags: dict = field(default_factory=dict)  # indicator id → list of (code, Missing reason)
    excluded: set = field(default_factory=set)
    total: Fraction | None = None
    grades: dict = field(default_factory=dict)  # "total" or group label → grade name
    alerts: list = field(default_factory=list)  # (name, level, message)
    outputs: dict = field(default_factory=dict)
    error: tuple | None = None  # (code, zh, en) when the record cannot be scored

    def comparable(self) -> tuple:
        """A plain tuple for differential tests between backends."""
        return (
            tuple(sorted((k, _plain(v)) for k, v in self.values.items())),
            tuple(sorted(self.scores.items())),
            tuple(sorted((k, tuple(tuple(f) for f in v)) for k, v in self.flags.items())),  # (code, zh, en)
            tuple(sorted(self.excluded)),
            self.total,
            tuple(sorted(self.grades.items())),
            tuple(self.alerts),
            tuple(sorted((k, _plain(v)) for k, v in self.outputs.items())),
            self.error,
        )


def _plain(v):
    return repr(v) if isinstance(v, Missing) else v
