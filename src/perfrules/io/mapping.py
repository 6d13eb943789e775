"""Matching data-file columns to the inputs a rule file declares.

Data files come from many offices, each with its own headers ("实际支出",
"实际支出（万元）", "实际支出 ", "2024年实际支出"…). Matching is done in
tiers, strongest first, and each column can serve only one input:

1. the user's mapping file maps that header to the input (what the user
   said wins: below the name tier, a mapping {"调整后预算": "预算数"} was
   silently ignored when the file also had a column named 预算数);
2. the column header equals the input name;
3. it equals one of the input's declared aliases;
4. a normalised comparison against the name, the aliases and the mapping
   keys: all whitespace removed, full-width forms folded to half-width
   (NFKC), ASCII case ignored, and one trailing bracketed unit dropped
   (``实际支出（万元）`` → ``实际支出``; brackets ``() [] 【】 〔〕``).

Within a tier, an input with several candidate columns is *ambiguous* and
is not matched (lower tiers are not tried for it); a column that is the
only candidate of several inputs in the same tier is a *conflict* and is
given to none of them. Every problem is reported at once so the user can
fix the file in one go.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MappingError

__all__ = ["InputSpec", "ColumnPlan", "load_mapping", "resolve_columns", "normalise_header"]


@dataclass(frozen=True, slots=True)
class InputSpec:
    """An input declared by a rule file.

    Attributes:
        name: the input's name as used in rules.
        aliases: other headers that mean the same column.
        required: whether evaluation needs this column.
    """

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True


@dataclass(slots=True)
class ColumnPlan:
    """Result of :func:`resolve_columns`.

    Attributes:
        by_input: input name → column header, in input declaration order.
        missing_required: required inputs with no candidate column at all.
        unused_columns: columns not assigned to any input, in file order.
        ambiguous: ``(input, [columns])`` for inputs with several equally
            good candidates.
        conflicts: ``(column, [inputs])`` for a column claimed by several
            inputs at the same tier.
        unknown_mapping_inputs: mapping-file targets that are not declared
            inputs (usually a typo in the mapping file).
        absent_mapping_columns: mapping-file headers that no column of the
            data has (not even normalised), for required inputs left missing:
            the likely reason they are missing.
        how: input name → tier that matched it: ``name``, ``alias``,
            ``mapping`` or ``normalised``.
    """

    by_input: dict[str, str] = field(default_factory=dict)
    missing_required: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)
    conflicts: list[tuple[str, list[str]]] = field(default_factory=list)
    unknown_mapping_inputs: list[str] = field(default_factory=list)
    absent_mapping_columns: list[str] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)
    mapped_twice: list[str] = field(default_factory=list)  # inputs the mapping gives several columns
    # (input, column used, unused column that matches it too — by a weaker tier): 实际支出 used,
    # 实际支出（万元） left over, perhaps in other units or holding the values some rows lack
    shadowed: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is missing, ambiguous or in conflict."""
        return not (self.missing_required or self.ambiguous or self.conflicts)


def read_json_text(path: str | Path) -> str:
    """The text of a small JSON file a user wrote (a --map or --routes file): UTF-8 with or
    without a BOM, else GB18030 — Notepad on Chinese Windows saved "ANSI" (GBK) for years, as
    rule files and CSVs, which are read either way. UnicodeDecodeError when it is neither."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def load_mapping(path: str | Path) -> dict[str, str]:
    """Load a column mapping file: a JSON object ``{"data header": "input name"}``.

    Raises:
        MappingError: the file is missing, not JSON, not an object of
            non-empty strings, or repeats a header.
    """
    p = Path(path)
    try:
        text = read_json_text(p)
    except FileNotFoundError:
        raise MappingError("mapping_not_found", f"找不到列映射文件：{p}", f"mapping file not found: {p}") from None
    except UnicodeDecodeError as exc:
        raise MappingError("mapping_unreadable", f"无法读取列映射文件 {p}：不是 UTF-8 或 GB18030 编码的文本",
                           f"cannot read mapping file {p}: the text is neither UTF-8 nor GB18030") from exc
    except OSError as exc:
        from ..oserrors import os_reason

        raise MappingError("mapping_unreadable", f"无法读取列映射文件 {p}：{os_reason(exc)}",
                           f"cannot read mapping file {p}: {exc.strerror}") from exc

    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        # The stdlib parser (not orjson) is used because it can report a
        # header listed twice, which would otherwise be silently dropped.
        seen: dict[str, object] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as exc:
        raise MappingError(
            "mapping_bad_json",
            f"列映射文件不是合法的 JSON（第{exc.lineno}行第{exc.colno}列）：{p}",
            f"mapping file is not valid JSON (line {exc.lineno}, column {exc.colno}): {p}",
        ) from exc
    if not isinstance(data, dict):
        raise MappingError(
            "mapping_bad_shape",
            f'列映射文件应为 {{"数据列名": "输入名"}} 形式的 JSON 对象：{p}',
            f'mapping file must be a JSON object {{"data column": "input name"}}: {p}',
        )
    if duplicates:
        listed = "、".join(sorted(set(duplicates)))
        raise MappingError(
            "mapping_duplicate", f"列映射文件中重复的列名：{listed}（{p}）", f"mapping file repeats headers: {listed} ({p})"
        )
    bad = [k for k, v in data.items() if not k.strip() or not isinstance(v, str) or not v.strip()]
    if bad:
        listed = "、".join(repr(k) for k in bad)
        raise MappingError(
            "mapping_bad_entry",
            f"列映射文件中这些条目的列名或输入名为空或不是字符串：{listed}（{p}）",
            f"mapping entries with an empty or non-string header/input name: {listed} ({p})",
        )
    return {k.strip(): v.strip() for k, v in data.items()}  # type: ignore[union-attr]


_WHITESPACE = re.compile(r"\s+")
# One trailing bracketed part, e.g. a unit: （万元） (%) [元] 【个】 〔人〕.
_TRAILING_UNIT = re.compile(r"(?<=.)(?:\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕)$")


def fold_name(text: str) -> str:
    """A name for a loose comparison: full-width forms folded (NFKC), no whitespace, case
    folded (headers here; units when routing records to rule files)."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def normalise_header(text: str) -> str:
    """Normalise a header for the loose (tier 4) comparison: folded, one trailing unit dropped."""
    return _TRAILING_UNIT.sub("", fold_name(text))


def resolve_columns(
    columns: Sequence[str],
    inputs: Iterable[InputSpec],
    mapping: Mapping[str, str] | None = None,
) -> ColumnPlan:
    """Decide which column feeds each input.

    Args:
        columns: the data file's header names.
        inputs: the inputs declared by the rules.
        mapping: optional ``{"data header": "input name"}`` (see
            :func:`load_mapping`).

    Returns:
        A :class:`ColumnPlan`; check ``plan.ok`` and report its lists.
    """
    specs = list(inputs)
    mapping = dict(mapping or {})
    known = {s.name for s in specs}
    plan = ColumnPlan()
    plan.unknown_mapping_inputs = sorted({v for v in mapping.values() if v not in known})

    mapped_keys: dict[str, list[str]] = {}
    for header, target in mapping.items():
        mapped_keys.setdefault(target, []).append(header)

    def exact(values: Iterable[str]) -> set[str]:
        return set(values)

    def loose(values: Iterable[str]) -> set[str]:
        return {normalise_header(v) for v in values}

    # Each tier: (label, function giving the keys an input accepts,
    # function turning a column header into a comparable key).
    tiers = [
        ("mapping", lambda s: exact(mapped_keys.get(s.name, ())), str),
        ("name", lambda s: exact([s.name]), str),
        ("alias", lambda s: exact(s.aliases), str),
        (
            "normalised",
            lambda s: loose([s.name, *s.aliases, *mapped_keys.get(s.name, ())]),
            normalise_header,
        ),
    ]

    claimed: set[str] = set()
    settled: set[str] = set()  # matched or found ambiguous
    for label, keys_of, key_of_column in tiers:
        column_keys = [(c, key_of_column(c)) for c in columns if c not in claimed]
        wanted: dict[str, list[str]] = {}
        for spec in specs:
            if spec.name in settled:
                continue
            keys = keys_of(spec)
            if not keys:
                continue
            found = [c for c, k in column_keys if k in keys]
            if len(found) > 1:
                plan.ambiguous.append((spec.name, found))
                if label == "mapping":
                    plan.mapped_twice.append(spec.name)
                settled.add(spec.name)
            elif found:
                wanted.setdefault(found[0], []).append(spec.name)
        for column, names in wanted.items():
            if len(names) > 1:
                plan.conflicts.append((column, names))
                settled.update(names)
                claimed.add(column)  # keep lower tiers from quietly taking it
                continue
            plan.by_input[names[0]] = column
            plan.how[names[0]] = label
            settled.add(names[0])
            claimed.add(column)

    plan.by_input = {s.name: plan.by_input[s.name] for s in specs if s.name in plan.by_input}
    plan.missing_required = [s.name for s in specs if s.required and s.name not in settled]
    headers = {normalise_header(c) for c in columns}
    plan.absent_mapping_columns = [h for h, target in mapping.items()
                                   if target in plan.missing_required and normalise_header(h) not in headers]
    plan.unused_columns = [c for c in columns if c not in plan.by_input.values()]
    loose_keys = {s.name: loose([s.name, *s.aliases, *mapped_keys.get(s.name, ())]) for s in specs}
    for c in plan.unused_columns:
        key = normalise_header(c)
        plan.shadowed.extend((name, used, c) for name, used in plan.by_input.items() if key in loose_keys[name])
    return plan
