"""pytest plugin: the `test` blocks of *.rules files become pytest items.

    pytest rulesets/                    # one item per test block, named by the test's name
    pytest rulesets/health -k 样例

Registered through the `pytest11` entry point, so it loads in every pytest session where
perfrules is installed. It therefore stays out of the way: at import it loads nothing of
perfrules, and it only looks at files ending in `.rules` that contain a `test "…"` block and no
`# E: PR…` expected-error markers (checker cases are meant not to compile). Failures show the
same message as `perfrules test`. A file that does not compile gives one failing item per test
block, each showing the diagnostics.

Turn it off with `-p no:perfrules`, or `perfrules_collect = false` in the pytest configuration.
Messages follow PERFRULES_LANG / the locale, like the CLI.
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser) -> None:
    parser.addini("perfrules_collect", type="bool", default=True,
                  help="collect the test blocks of *.rules files (perfrules)")


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".rules" or not parent.config.getini("perfrules_collect"):
        return None
    from .testing import EXPECTED_ERRORS, TEST_BLOCK

    try:
        text = file_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not TEST_BLOCK.search(text) or EXPECTED_ERRORS.search(text):
        return None
    return RulesFile.from_parent(parent, path=file_path)


def _lang() -> str:
    from .cli import default_lang

    return default_lang()


class RulesFile(pytest.File):
    """A rule file: compiled once, one item per test block."""

    def collect(self):
        from .testing import block_names, compile_file

        rules, result = compile_file(self._shown_path())
        if rules is None:
            text = self.path.read_text(encoding="utf-8", errors="replace")
            for name in block_names(text) or ["compile"]:
                yield RulesItem.from_parent(self, name=name, rules=None, case=None, file_result=result)
            return
        for case in rules.program.tests:
            yield RulesItem.from_parent(self, name=case.name, rules=rules, case=case, file_result=result)


    def _shown_path(self) -> str:
        """The path as messages show it: relative to where pytest was started, like the CLI."""
        import os
        from pathlib import Path

        start = self.config.invocation_params.dir
        try:
            rel = self.path.relative_to(start)
        except ValueError:
            return str(self.path)
        return str(rel) if Path(os.getcwd()) == Path(start) else str(self.path)


class RulesTestFailed(Exception):
    """A test block whose expectations were not met (carries the CaseResult)."""


class RulesFileBroken(Exception):
    """The rule file could not be compiled, so its tests could not run."""


class RulesItem(pytest.Item):
    """One `test "…" { … }` block."""

    def __init__(self, *, rules, case, file_result, **kwargs):
        super().__init__(**kwargs)
        self.rules, self.case, self.file_result = rules, case, file_result

    def runtest(self) -> None:
        from .testing import run_case

        if self.case is None:
            raise RulesFileBroken()
        result = run_case(self.rules, self.case)
        if not result.passed:
            raise RulesTestFailed(result)

    def repr_failure(self, excinfo, style=None):
        from .testing import describe_case

        lang = _lang()
        if isinstance(excinfo.value, RulesTestFailed):
            return describe_case(excinfo.value.args[0], lang)
        if isinstance(excinfo.value, RulesFileBroken):
            head = "规则文件无法编译，测试未运行：" if lang == "zh" else "the rule file does not compile; its tests did not run:"
            return head + "\n" + self.file_result.compile_report(lang)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        line = self.case.span.line - 1 if self.case is not None and self.case.span is not None else 0
        return self.path, line, f"test {self.name}"
