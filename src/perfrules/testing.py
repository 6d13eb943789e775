"""Running the `test` blocks of rule files (`perfrules test` and the pytest plugin).

Each block's `given` is scored on BOTH the compiled row evaluator and the reference
interpreter; the two must agree exactly, and then every expectation is checked:

- `total`, `grade`, `PATH` / `PATH.score`: the score as reported (rounded as the ruleset says),
  compared as a number, so `1.5` and `1.50` are the same expectation;
- `PATH.value` and numeric outputs: the exact value rounded half up to the decimals written,
  in the literal's own scale (`96.62%` compares value × 100 rounded to 2 decimals with 96.62);
  text, choices, dates and booleans compare equal; `missing` (空) expects a missing value;
- `alert NAME` / `no alert NAME`: whether the alert fired;
- `error CODE`: the record is an error row with that code (PR801 bad data, PR803 `missing error`).

Nothing here prints: the results are data, rendered by `render_text` / `render_junit`.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from .runtime.missing import Missing
from .runtime.numbers import format_plain, round_fraction

# A file with mypy-style expected diagnostics (`# E: PR201`) is a checker case, not a ruleset:
# its test blocks are not run when the file is found by searching a folder.
EXPECTED_ERRORS = re.compile(r"#\s*[EW]:\s*PR\d{3}")
TEST_BLOCK = re.compile(r'^[ \t\u3000]*test\s+["“]', re.M)
TEST_NAME = re.compile(r'^[ \t\u3000]*test\s+(?:"((?:[^"\\\n]|\\.)*)"|“([^”\n]*)”)', re.M)
# The number literal at the end of an expectation (`预算调整率 = 1.50`, `执行率.value = 96.62%`).
_LITERAL = re.compile(r"^[^=＝]*[=＝](.*)$", re.S)
_NUMBER_AT_END = re.compile(r"(-?)\s*(\d[\d_]*)(?:\.(\d+))?\s*([%％]?)\s*$")
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages"}

BACKENDS = ("row", "reference")


# ---- finding rule files
def discover(paths) -> list[Path]:
    """Rule files under `paths`: files as given; folders searched for *.rules (hidden folders,
    virtual environments and expected-error checker cases skipped)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.is_dir():
            out.append(path)
            continue
        for f in sorted(path.rglob("*.rules")):
            rel = f.relative_to(path).parts[:-1]
            if any(part.startswith(".") or part in _SKIP_DIRS for part in rel):
                continue
            if is_checker_case(f):
                continue
            out.append(f)
    return list(dict.fromkeys(out))


def is_checker_case(path: Path) -> bool:
    """True for a file that carries expected diagnostics (`# E: PR…`): it is meant not to compile."""
    try:
        return EXPECTED_ERRORS.search(path.read_text(encoding="utf-8", errors="replace")) is not None
    except OSError:
        return False


def block_names(text: str) -> list[str]:
    """The names of the test blocks in rule text, found without parsing (for collection)."""
    from .syntax.build import _unquote

    return [m.group(2) if m.group(2) is not None else _unquote(f'"{m.group(1)}"') for m in TEST_NAME.finditer(text)]


# ---- results
@dataclass
class Problem:
    """Why a test failed: an expectation not met, or the test could not be run."""

    zh: str
    en: str
    expectation: str = ""  # the expectation as written
    location: str = ""  # file:line:column of the expectation

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class CaseResult:
    """One test block: passed when it has no problems."""

    name: str
    file: str
    line: int
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class FileResult:
    """One rule file: its test results, or why it could not be compiled or read."""

    path: str
    cases: list[CaseResult] = field(default_factory=list)
    diagnostics: list = field(default_factory=list)  # errors, when it does not compile
    sources: dict = field(default_factory=dict)
    read_error: str | None = None
    seconds: float = 0.0
    deselected: int = 0  # test blocks left out by -k (select)

    @property
    def broken(self) -> bool:
        """It could not be read or compiled: one failure, whatever tests it has."""
        return self.read_error is not None or bool(self.diagnostics)

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def failed(self) -> int:
        return sum(not c.passed for c in self.cases) + (1 if self.broken else 0)

    def compile_report(self, lang: str = "zh", color: bool = False) -> str:
        if self.read_error is not None:
            return (f"无法读取 {self.path}：{self.read_error}" if lang == "zh" else f"cannot read {self.path}: {self.read_error}")
        from .diagnostics import render_all

        return render_all(self.diagnostics, self.sources, lang, color)


# ---- running
def compile_file(path: str | Path):
    """(Ruleset or None, FileResult carrying the compile errors)."""
    from .api import Ruleset, check

    result = FileResult(str(path))
    try:
        comp = check(path)
    except OSError as err:
        result.read_error = err.strerror or str(err)
        return None, result
    if not comp.ok:
        result.diagnostics = [d for d in comp.diagnostics if d.is_error]
        result.sources = comp.sources
        if not result.diagnostics:  # no program and no error: cannot happen, but never pass silently
            from .diagnostics import DiagnosticSink
            sink = DiagnosticSink()
            src = next(iter(comp.sources.values()))
            sink.error("PR901", src.span(0, 0), reason="no program")
            result.diagnostics = sink.sorted()
        return None, result
    return Ruleset(comp), result


def run_file(path: str | Path, select: str | None = None) -> FileResult:
    """Compile one rule file and run its test blocks (those whose name contains `select`)."""
    started = time.perf_counter()
    rules, result = compile_file(path)
    if rules is not None:
        for case in rules.program.tests:
            if select and select not in case.name:
                result.deselected += 1
                continue
            result.cases.append(run_case(rules, case))
    result.seconds = time.perf_counter() - started
    return result


def run_paths(paths, select: str | None = None) -> list[FileResult]:
    return [run_file(p, select) for p in discover(paths)]


def run_case(rules, case) -> CaseResult:
    """Score the block's `given` on both backends and check every expectation."""
    started = time.perf_counter()
    line = case.span.line if case.span is not None else 0
    file = case.span.file if case.span is not None else ""
    out = CaseResult(case.name, file, line)
    evaluated = {}
    for backend in BACKENDS:
        try:
            # evaluate_one is exactly to_result(evaluate_raw(…)); the raw result keeps the exact
            # values that `.value` expectations are rounded from.
            raw, errors = rules.evaluate_raw(case.given, as_of=case.as_of, backend=backend)
            evaluated[backend] = (raw, errors, rules.to_result(raw, errors))
        except Exception as exc:  # noqa: BLE001 - a crash is a failed test, not a crashed runner
            out.problems.append(Problem(
                f"{backend} 求值器内部错误：{type(exc).__name__}: {exc}",
                f"internal error in the {backend} evaluator: {type(exc).__name__}: {exc}"))
    if len(evaluated) == len(BACKENDS):
        disagreement = _disagreement(evaluated["row"], evaluated["reference"])
        if disagreement:
            out.problems.append(disagreement)
        raw, _errors, res = evaluated["row"]
        out.problems.extend(_check_expectations(rules, case, raw, res))
    out.seconds = time.perf_counter() - started
    return out


def _disagreement(row, ref) -> Problem | None:
    raw_a, err_a, res_a = row
    raw_b, err_b, res_b = ref
    same_raw = (raw_a is None) == (raw_b is None) and (raw_a is None or raw_a.comparable() == raw_b.comparable())
    same_errors = [(e.field, e.message_en) for e in err_a] == [(e.field, e.message_en) for e in err_b]
    if same_raw and same_errors:
        return None
    diffs = _model_diff(res_a.model_dump(mode="json"), res_b.model_dump(mode="json"))
    detail = "; ".join(f"{k}: row {a}, reference {b}" for k, a, b in diffs[:5]) or "exact values differ"
    return Problem(f"行求值器与参考求值器结果不一致：{detail}", f"the row and reference evaluators disagree: {detail}")


def _model_diff(a, b, prefix="") -> list[tuple[str, object, object]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in dict.fromkeys([*a, *b]):
            out.extend(_model_diff(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            key = x.get("path") if isinstance(x, dict) and "path" in x else str(i)
            out.extend(_model_diff(x, y, f"{prefix}[{key}]"))
        return out
    return [] if a == b else [(prefix, a, b)]


def _check_expectations(rules, case, raw, res) -> list[Problem]:
    problems: list[Problem] = []
    by_id = {ind.id: model for ind, model in zip(rules.program.indicators, res.indicators)}
    fired = [a.name for a in res.alerts]
    error_reported = False
    for kind, target, expected, span in case.expects:
        written = _written(rules, span)
        where = f"{span.file}:{span.line}:{span.column}" if span is not None else ""

        def fail(zh: str, en: str) -> None:
            problems.append(Problem(zh, en, written, where))

        if kind == "error":
            got = res.error.code if res.error is not None else None
            if got != target:
                if got is None:
                    fail(f"期望错误 {target}，但记录正常评分（总分 {_show(res.total)}）",
                         f"expected error {target}, but the record was scored (total {_show(res.total)})")
                else:
                    fail(f"期望错误 {target}，实际为 {got}：{res.error.message}",
                         f"expected error {target}, got {got}: {res.error.message_en}")
            continue
        if kind in ("alert", "no_alert"):
            if kind == "alert" and target not in fired:
                fail(f"预警 {target} 没有触发（已触发：{'、'.join(fired) or '无'}）",
                     f"alert {target} did not fire (fired: {', '.join(fired) or 'none'})")
            elif kind == "no_alert" and target in fired:
                message = next(a.message for a in res.alerts if a.name == target)
                fail(f"预警 {target} 不应触发，但触发了：{message}", f"alert {target} should not fire, but it did: {message}")
            continue
        if res.error is not None:
            if not error_reported:  # one message for the record, not one per expectation
                fail(f"记录不能评分 [{res.error.code}]：{res.error.message}",
                     f"the record cannot be scored [{res.error.code}]: {res.error.message_en}")
                error_reported = True
            continue
        literal = _literal_text(written)
        if kind == "total":
            problem = _compare_exact(expected, res.total, literal)
        elif kind == "grade":
            problem = _compare_equal(expected, res.grade, literal)
        elif kind == "group_grade":
            problem = _compare_equal(expected, res.group_grades.get(target), literal)
        elif kind == "score":
            problem = _compare_exact(expected, by_id[target].score, literal)
        elif kind in ("value", "output"):
            actual = raw.values.get(target) if kind == "value" else raw.outputs.get(target)
            problem = _compare_written(expected, actual, literal)
        else:
            problem = (f"未知的期望类型 {kind}", f"unknown expectation kind {kind}")
        if problem is not None:
            fail(*problem)
    return problems


def _written(rules, span) -> str:
    if span is None:
        return ""
    src = rules.sources.get(span.file)
    return " ".join(line.strip() for line in src.snippet(span).splitlines()) if src is not None else ""


def _literal_text(written: str) -> str:
    """The expected literal as written: what follows the `=` of `target = literal`."""
    m = _LITERAL.match(written)
    return m.group(1).strip() if m else ""


def _compare_exact(expected, actual, literal: str):
    """A reported score or total against the expected number: equal as numbers (1.5 = 1.50)."""
    if isinstance(expected, Fraction) and actual is not None and Fraction(actual) == expected:
        return None
    if expected is None and actual is None:
        return None
    return _expected_got(_shown_expected(expected, literal), _show(actual, literal))


def _compare_equal(expected, actual, literal: str):
    if expected == actual:
        return None
    return _expected_got(_shown_expected(expected, literal), _show(actual, literal))


def _compare_written(expected, actual, literal: str):
    """An exact value against the expected literal, at the precision written."""
    shown = _shown_expected(expected, literal)
    if isinstance(actual, Missing) or actual is None:
        if expected is None:
            return None
        zh, en = _expected_got(shown, _MISSING)
        if isinstance(actual, Missing):
            return zh + f"（{actual.text('zh')}）", en + f" ({actual.text('en')})"
        return zh, en
    if expected is None:
        return _expected_got(shown, _show(actual, literal))
    if isinstance(expected, Fraction) and isinstance(actual, (Fraction, int, Decimal)) and not isinstance(actual, bool):
        places, percent = literal_precision(literal, expected)
        scale = 100 if percent else 1
        rounded = round_fraction(Fraction(actual) * scale, places, "half_up")
        if rounded == expected * scale:
            return None
        got = _fixed(rounded, places) + ("%" if percent else "")
        # the exact value beside the rounded one, in the same form (96.6291%, not 0.966291), and
        # only when it says more (-9, not -9 (= -9))
        exact = format_plain(Fraction(actual) * scale, 10) + ("%" if percent else "")
        return _expected_got(shown, got if exact == got else f"{got} (= {exact})")
    if expected == actual and type(expected) is type(actual):
        return None
    return _expected_got(shown, _show(actual, literal))


def literal_precision(literal: str, expected: Fraction) -> tuple[int, bool]:
    """(decimals written, is a percent literal) of an expected number literal."""
    m = _NUMBER_AT_END.search(literal)
    if m is None:
        from .runtime.numbers import decimal_places
        return decimal_places(expected) or 0, False
    return len(m.group(3) or ""), bool(m.group(4))


_MISSING = "missing"


def _expected_got(expected: str, actual: str) -> tuple[str, str]:
    zh_e = "空（缺失）" if expected == _MISSING else expected
    zh_a = "空（缺失）" if actual == _MISSING else actual
    return f"期望 {zh_e}，实际 {zh_a}", f"expected {expected}, got {actual}"


def _fixed(x: Fraction, places: int) -> str:
    from .runtime.numbers import format_fixed
    return format_fixed(x, places)


def _shown_expected(expected, literal: str) -> str:
    if expected is None:
        return _MISSING
    return literal or _show(expected)


def _show(x, literal: str = "") -> str:
    """An actual value for a message; text is quoted when the expectation quoted its literal."""
    if x is None or isinstance(x, Missing):
        return _MISSING
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, Fraction):
        return format_plain(x, 10)
    if isinstance(x, Decimal):
        return f"{x:f}"
    if isinstance(x, date):
        return x.isoformat()
    if literal[:1] in ('"', "“"):
        return '"' + str(x).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(x)


# ---- reports
_MARKS = {"pass": "✓", "fail": "✗"}


def describe_problem(p: Problem, lang: str = "zh") -> str:
    """A failed expectation: where, as written, then expected vs actual (the CLI and pytest share it)."""
    lines = []
    if p.location or p.expectation:
        lines.append(f"{p.location}: {p.expectation}" if p.location else p.expectation)
        lines.append("  " + p.text(lang))
    else:
        lines.append(p.text(lang))
    return "\n".join(lines)


def describe_case(case: CaseResult, lang: str = "zh") -> str:
    """Every problem of a failed test, one after the other."""
    head = (f"测试 “{case.name}” 失败（{case.file}:{case.line}）" if lang == "zh"
            else f"test \"{case.name}\" failed ({case.file}:{case.line})")
    return head + "\n" + "\n".join(_indent(describe_problem(p, lang), 2) for p in case.problems)


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line if line else line for line in text.splitlines())


def summary_counts(files: list[FileResult]) -> tuple[int, int]:
    return sum(f.passed for f in files), sum(f.failed for f in files)


def render_text(files: list[FileResult], lang: str = "zh", color: bool = False, seconds: float | None = None) -> str:
    """The test-runner report: per file a line per test (✓/✗), failure details, a summary."""

    def tint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color else text

    out = []
    for f in files:
        out.append(tint(f.path, "1"))
        if f.broken:
            title = "无法编译，测试未运行" if lang == "zh" else "does not compile; tests not run"
            out.append(f"  {tint(_MARKS['fail'], '31')} {title}")
            out.append(_indent(f.compile_report(lang, color), 4))
            continue
        if not f.cases:
            if f.deselected:  # it has tests, none selected: "(no tests)" read as if it had none
                out.append("  " + (f"（{f.deselected} 个测试未选中，-k）" if lang == "zh" else f"({f.deselected} test(s) not selected by -k)"))
            else:
                out.append("  " + ("（没有测试）" if lang == "zh" else "(no tests)"))
            continue
        for c in f.cases:
            mark = tint(_MARKS["pass"], "32") if c.passed else tint(_MARKS["fail"], "31")
            out.append(f"  {mark} {c.name}")
            for p in c.problems:
                out.append(_indent(describe_problem(p, lang), 4))
    passed, failed = summary_counts(files)
    total = sum(len(f.cases) for f in files)
    took = "" if seconds is None else (f"，用时 {seconds:.2f} 秒" if lang == "zh" else f", {seconds:.2f}s")
    out.append("")
    # a file that does not compile counts as one failure in the last line (for tools), but it
    # ran no tests: said apart, so that passed + failed are the tests counted
    broken = sum(1 for f in files if f.broken)
    failed_cases = sum(1 for f in files if not f.broken for c in f.cases if not c.passed)
    if lang == "zh":
        line = f"{len(files)} 个文件，{total} 个测试：{passed} 个通过，{failed_cases} 个失败"
        line += (f"；{broken} 个文件无法编译" if broken else "") + took
    else:
        line = f"{len(files)} file(s), {total} test(s): {passed} passed, {failed_cases} failed"
        line += (f"; {broken} file(s) do not compile" if broken else "") + took
    out.append(tint(line, "1;31" if failed else "1;32"))
    out.append(f"{passed} passed, {failed} failed")
    return "\n".join(out) + "\n"


def render_junit(files: list[FileResult], lang: str = "zh", seconds: float = 0.0) -> str:
    """JUnit XML: one testsuite per rule file, one testcase per test block; a file that does not
    compile is one testcase named `compile` with an <error>."""
    import xml.etree.ElementTree as ET

    passed, failed = summary_counts(files)
    root = ET.Element("testsuites", name="perfrules", tests=str(passed + failed), failures=str(failed),
                      time=f"{seconds:.3f}")
    for f in files:
        suite = ET.SubElement(root, "testsuite", name=f.path, time=f"{f.seconds:.3f}")
        if f.broken:
            case = ET.SubElement(suite, "testcase", classname=f.path, name="compile", file=f.path, time="0")
            msg = "无法编译" if lang == "zh" else "does not compile"
            ET.SubElement(case, "error", message=msg, type="CompileError").text = f.compile_report(lang)
            suite.set("tests", "1")
            suite.set("failures", "0")
            suite.set("errors", "1")
            continue
        suite.set("tests", str(len(f.cases)))
        suite.set("failures", str(sum(not c.passed for c in f.cases)))
        suite.set("errors", "0")
        for c in f.cases:
            case = ET.SubElement(suite, "testcase", classname=f.path, name=c.name, file=c.file,
                                 line=str(c.line), time=f"{c.seconds:.3f}")
            if not c.passed:
                first = c.problems[0]
                message = (f"{first.expectation}: " if first.expectation else "") + first.text(lang)
                ET.SubElement(case, "failure", message=message, type="ExpectationFailed").text = \
                    "\n".join(describe_problem(p, lang) for p in c.problems)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = [
    "BACKENDS", "CaseResult", "FileResult", "Problem", "compile_file", "describe_case", "describe_problem",
    "discover", "is_checker_case", "render_junit", "render_text", "run_case", "run_file", "run_paths",
    "summary_counts", "block_names",
]
