"""JSON Schemas (draft 2020-12): the input record a ruleset needs, and the generated files in
schemas/ (results, diagnostics, the bundled health ruleset's input record).

Input record conventions (what `input_schema` emits, one property per input):

- number, amount: a JSON number, or a decimal string (`"1,234.50"`, `"1.2e3"`); number also
  takes a percent string (`"95%"`), as the runtime does. count: a whole number ≥ 0 (or such a
  string). percent: a fraction (`0.95`) or a percent string (`"95%"`); a bare JSON number must
  lie in [-10, 10], since `95` almost surely means 95% (the runtime refuses it too).
  bool: true/false, 1/0 or 是/否, 有/无, yes/no…; date: an ISO date string (`format: date`);
  choice: one of the choices (`enum`); text: a string or number.
- `in [lo, hi]` gives `minimum` / `maximum` (`exclusiveMaximum` for `hi)`) on the numeric form
  (a string's value cannot be bounded in JSON Schema; the runtime still checks it).
- Every input also accepts null or a blank string: missing, scored by the ruleset's missing
  policy (or the input's default).
- `required` lists the inputs without a default: the key must be present (a data file must
  have the column). An input with aliases (`from "本年支出"`) may be given under any of its
  names: each alias is an extra property with the same schema and `x-alias-of`, the input's
  own property lists them in `x-aliases`, and its requirement is an `anyOf` of `required`s
  under `allOf` (so `required` holds only inputs without aliases).
- `title` is the input name, `description` its label, `default` its default (numbers that are
  not whole as decimal strings, so they stay exact), `x-perfrules-type` its declared type.
- Other properties are allowed (a record usually carries an id column such as 单位名称).

The schema describes clean records. The readers clean more than it admits (full-width digits,
accountant negatives `(1,234)`, blank markers such as `—` or `（空）`, dates such as 2024/6/30);
use `validate_records` on JSON input, not on cells read from spreadsheets.

Regenerate schemas/ from the repository root with `python -m perfrules.schema --write`;
`python -m perfrules.schema --check` (and the test suite) fails when a committed file is stale.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REGENERATE = "python -m perfrules.schema --write"

_DIGITS = r"(?:\d+|\d{1,3}(?:,\d{3})+)"
DECIMAL_PATTERN = rf"^\s*[+-]?(?=\.?\d){_DIGITS}?(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$"
PERCENT_PATTERN = rf"^\s*[+-]?(?=\.?\d){_DIGITS}?(?:\.\d+)?(?:[eE][+-]?\d+)?\s*%?\s*$"
COUNT_PATTERN = rf"^\s*\+?{_DIGITS}(?:\.0+)?\s*$"
BARE_PERCENT_LIMIT = 10  # runtime.convert.BARE_PERCENT_LIMIT (not imported: keeps this module light)
BOOL_WORDS = ["是", "否", "有", "无", "true", "false", "yes", "no", "y", "n", "1", "0", "√", "×", "✓", "✗"]

_COMMON_DEFS = {
    "blank": {"description": "missing: scored by the missing policy, or the input's default",
              "anyOf": [{"type": "null"}, {"type": "string", "pattern": r"^\s*$"}]},
    "decimal_text": {"type": "string", "pattern": DECIMAL_PATTERN,
                     "description": "a decimal number as text, e.g. 1234.50, 1,234.50, 1.2e3"},
    "percent_text": {"type": "string", "pattern": PERCENT_PATTERN,
                     "description": "a fraction or a percentage as text, e.g. 0.95 or 95%"},
    "count_text": {"type": "string", "pattern": COUNT_PATTERN, "description": "a whole number ≥ 0 as text"},
}


# ---- the input record of a ruleset
def input_schema(rules) -> dict:
    """The JSON Schema of one input record of a compiled ruleset (a Ruleset or an ir.Program)."""
    program = getattr(rules, "program", rules)
    props, required, alternatives = {}, [], []
    for spec in program.inputs:
        prop = _input_property(spec)
        props[spec.name] = prop
        for alias in spec.aliases:
            if alias not in props:
                props[alias] = {**{k: v for k, v in prop.items() if k != "x-aliases"}, "x-alias-of": spec.name}
        if spec.has_default:
            continue
        if spec.aliases:
            alternatives.append({"anyOf": [{"required": [n]} for n in (spec.name, *spec.aliases)]})
        else:
            required.append(spec.name)
    title = program.title or program.id or "ruleset"
    schema = {
        "$schema": DRAFT,
        "title": f"{title} — input record",
        "description": f"One record to be scored by ruleset {program.id} {program.version} (perfrules). "
                       "Keys are input names (or their aliases); other keys are allowed.",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": True,
        "x-perfrules-ruleset": {"id": program.id, "version": program.version},
        "$defs": _COMMON_DEFS,
    }
    if alternatives:
        schema["allOf"] = alternatives
    return schema


def _input_property(spec) -> dict:
    kind = spec.type.kind
    prop: dict = {"title": spec.name}
    if spec.label:
        prop["description"] = spec.label
    prop["x-perfrules-type"] = str(spec.type)
    forms: list[dict]
    if kind in ("number", "amount"):
        forms = [{"type": "number"}, {"$ref": "#/$defs/percent_text" if kind == "number" else "#/$defs/decimal_text"}]
    elif kind == "count":
        forms = [{"type": "integer", "minimum": 0}, {"$ref": "#/$defs/count_text"}]
    elif kind == "percent":
        forms = [{"type": "number", "minimum": -BARE_PERCENT_LIMIT, "maximum": BARE_PERCENT_LIMIT},
                 {"$ref": "#/$defs/percent_text"}]
    elif kind == "bool":
        forms = [{"type": "boolean"}, {"enum": [0, 1]}, {"type": "string", "enum": BOOL_WORDS}]
    elif kind == "date":
        forms = [{"type": "string", "format": "date"}]
    elif kind == "choice":
        forms = [{"type": "string", "enum": list(spec.type.choices)}]
    else:  # text (and any type added later: accept what the runtime reads as text)
        forms = [{"type": "string"}, {"type": "number"}]
    if spec.range is not None and forms[0].get("type") in ("number", "integer"):
        lo, hi, closed = spec.range
        number = forms[0]
        number["minimum"] = max(_json_number(lo), number.get("minimum", float("-inf")))
        if closed:
            number["maximum"] = min(_json_number(hi), number.get("maximum", float("inf")))
        else:
            number["exclusiveMaximum"] = _json_number(hi)
        prop["x-range"] = f"[{_plain(lo)}, {_plain(hi)}{']' if closed else ')'}"
    prop["anyOf"] = [*forms, {"$ref": "#/$defs/blank"}]
    if spec.has_default:
        prop["default"] = _json_value(spec.default)
    if spec.aliases:
        prop["x-aliases"] = list(spec.aliases)
    return prop


def _plain(x: Fraction) -> str:
    from .runtime.numbers import format_plain
    return format_plain(x)


def _json_number(x: Fraction):
    """A bound as a JSON number (bounds are short decimals in rule files)."""
    return int(x) if x.denominator == 1 else float(_plain(x))


def _json_value(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else _plain(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


# ---- validating records against a schema
@dataclass(frozen=True)
class RecordProblem:
    """A record that does not match the schema: which record, which field (None: the record as
    a whole, e.g. a required field missing), and why."""

    index: int
    field: str | None
    message: str
    message_en: str


def validate_records(schema: dict, records) -> list[RecordProblem]:
    """Every problem of every record (index = position in `records`, from 0). An empty list
    means all records match. Intended for `perfrules eval` on JSON/JSONL input before scoring:

        problems = validate_records(input_schema(rules), records)
    """
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    props = schema.get("properties", {})
    out = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            out.append(RecordProblem(i, None, "记录应为 JSON 对象", "a record must be a JSON object"))
            continue
        for err in sorted(validator.iter_errors(record), key=lambda e: [str(p) for p in e.absolute_path]):
            out.append(_problem(i, err, props))
    return out


def _problem(index: int, err, props: dict) -> RecordProblem:
    path = list(err.absolute_path)
    if path:
        field = str(path[0])
        prop = props.get(field, {})
        kind = " ".join(filter(None, (prop.get("x-perfrules-type", ""), prop.get("x-range"))))
        shown = json.dumps(err.instance, ensure_ascii=False)
        return RecordProblem(index, field, f"字段 {field} 的值 {shown} 不符合类型 {kind}",
                             f"field {field}: {shown} is not a valid {kind}")
    if err.validator in ("required", "anyOf"):
        names = _required_names(err)
        return RecordProblem(index, None, f"缺少字段 {' 或 '.join(names)}", f"missing field {' or '.join(names)}")
    return RecordProblem(index, None, err.message, err.message)


def _required_names(err) -> list[str]:
    if err.validator == "required":
        import re
        m = re.match(r"^'(.*)' is a required property$", err.message)
        return [m.group(1)] if m else [err.message]
    return [n for alt in err.validator_value for n in alt.get("required", [])]


# ---- schemas/ (generated files)
def model_schema(model) -> dict:
    """The JSON Schema of a pydantic model, as it appears in JSON output (serialization mode)."""
    schema = model.model_json_schema(mode="serialization")
    return {"$schema": DRAFT, **schema}


HEALTH_RULES = Path("rulesets") / "health" / "health.rules"


class SourceMissing(Exception):
    """A rule file the generated schemas are made from cannot be read or compiled."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason

    def text(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"无法由 {self.path} 生成输入记录的 schema（{self.reason}）；请在仓库根目录运行"
        return f"cannot make the input schema from {self.path} ({self.reason}); run from the repository root"


def generated(root: Path) -> dict[str, dict]:
    """{file name in schemas/: schema} for every generated file."""
    from .api import CompileError, load
    from .models import DiagnosticModel, EvaluationResult

    health = root / HEALTH_RULES
    try:
        health_input = input_schema(load(health))
    except OSError as err:
        raise SourceMissing(health, err.strerror or str(err)) from None
    except CompileError as err:
        raise SourceMissing(health, f"{len(err.diagnostics)} error(s); see perfrules check") from None
    return {
        "result.schema.json": model_schema(EvaluationResult),
        "diagnostic.schema.json": model_schema(DiagnosticModel),
        "health-input.schema.json": health_input,
    }


def dumps(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_all(out_dir: Path, root: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generated(root).items():
        path = out_dir / name
        path.write_text(dumps(schema), encoding="utf-8")
        written.append(path)
    return written


def stale(out_dir: Path, root: Path) -> list[str]:
    """Names of the files in out_dir that are missing or differ from what would be generated."""
    out = []
    for name, schema in generated(root).items():
        path = out_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != dumps(schema):
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m perfrules.schema --write|--check [DIR]` from the repository root."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m perfrules.schema", description="Generate or check schemas/.")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write the generated schemas")
    mode.add_argument("--check", action="store_true", help="exit 1 if a committed schema is stale")
    p.add_argument("dir", nargs="?", default="schemas", help="the schemas folder (default: schemas)")
    p.add_argument("--root", default=".", help="the repository root (default: .)")
    args = p.parse_args(argv)
    out_dir, root = Path(args.dir), Path(args.root)
    try:
        if args.write:
            for path in write_all(out_dir, root):
                print(f"wrote {path}")
            return 0
        names = stale(out_dir, root)
    except SourceMissing as err:
        print(err.text("en"), file=sys.stderr)
        return 2
    for name in names:
        print(f"stale: {out_dir / name}  (regenerate: {REGENERATE})", file=sys.stderr)
    return 1 if names else 0


if __name__ == "__main__":
    sys.exit(main())
