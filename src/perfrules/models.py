"""Pydantic models of what perfrules returns: results and diagnostics. schemas/ is generated
from these."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


class Flag(_Model):
    """Why an indicator's score is not simply its rule's result: missing data, exclusion, clamping."""

    code: str = Field(description="missing | excluded | clamped")
    message: str = Field(description="Chinese explanation")
    message_en: str = Field(description="English explanation")


class IndicatorResult(_Model):
    path: str = Field(description="dotted path, e.g. 财政管理.预算管理.预算调整率")
    name: str
    code: Optional[str] = None
    level: int = Field(description="1 for top-level indicators, 2 for their children, …")
    kind: str = Field(description="normal | bonus | penalty")
    weight: Decimal = Field(description="points (分值); for bonus/penalty the cap")
    leaf: bool
    value: Optional[str] = Field(None, description="exact value as a decimal string (≤10 places), or text")
    display: Optional[str] = Field(None, description="the value as shown in reports, e.g. 96.62%")
    score: Optional[Decimal] = Field(None, description="points earned, rounded as the ruleset says")
    excluded: bool = False
    flags: list[Flag] = Field(default_factory=list)


class AlertResult(_Model):
    name: str
    level: Literal["info", "warning", "severe"] = Field(description="info | warning | severe")
    message: str


class FieldProblem(_Model):
    field: str
    message: str
    message_en: str
    raw: Optional[str] = None


class RecordError(_Model):
    code: str
    message: str
    message_en: str
    fields: list[FieldProblem] = Field(default_factory=list)


class RulesetInfo(_Model):
    id: str
    version: str
    content_hash: str
    title: str = ""


class EvaluationResult(_Model):
    """The result for one record: a scored department, or an error record saying why not."""

    record_id: Optional[str] = None
    row: Optional[int] = Field(None, description="where the record came from (line or row number)")
    ok: bool
    error: Optional[RecordError] = None
    total: Optional[Decimal] = None
    grade: Optional[str] = None
    group_grades: dict[str, Optional[str]] = Field(default_factory=dict)
    indicators: list[IndicatorResult] = Field(default_factory=list)
    alerts: list[AlertResult] = Field(default_factory=list)
    outputs: dict[str, Optional[str]] = Field(default_factory=dict)
    ruleset: RulesetInfo

    def indicator(self, key: str) -> IndicatorResult:
        """Look an indicator up by path, name (when unique) or code."""
        for ind in self.indicators:
            if key in (ind.path, ind.code):
                return ind
        hits = [i for i in self.indicators if i.name == key or i.path.endswith("." + key)]
        if len(hits) == 1:
            return hits[0]
        raise KeyError(key if not hits else f"{key} is ambiguous: {[h.path for h in hits]}")

    def score(self, key: str) -> Optional[Decimal]:
        return self.indicator(key).score


class DiagnosticLabel(_Model):
    message: str
    file: str
    line: int = Field(ge=1)
    column: int = Field(ge=1)
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1)


class DiagnosticModel(_Model):
    """One problem in a rule file (the JSON form of `perfrules check --format json`)."""

    # Constrained, not only described: the schema should reject what perfrules never writes.
    code: str = Field(pattern=r"^PR[0-9]{3}$", description="stable code, e.g. PR201")
    slug: str
    severity: Literal["error", "warning"] = Field(description="error | warning")
    message: str
    file: str
    line: int = Field(ge=1, description="1-based, as are the columns")
    column: int = Field(ge=1)
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1)
    hint: Optional[str] = None
    labels: list[DiagnosticLabel] = Field(default_factory=list)
    chain: list[str] = Field(default_factory=list)
