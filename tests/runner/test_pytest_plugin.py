"""The pytest plugin: `pytest rulesets/` collects each test block of *.rules files as an item.

Runs pytest in a subprocess on a scratch folder, so the real entry point is exercised."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .test_runner import BROKEN, PASSING, RULES

ROOT = Path(__file__).resolve().parents[2]


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PERFRULES_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(folder), "-c", str(folder / "pytest.ini"), "--rootdir", str(folder),
         "-p", "no:cacheprovider", "-v", *args],
        capture_output=True, text=True, env=env, cwd=folder, timeout=300,
    )


def scratch(tmp_path: Path, ini: str = "") -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini, encoding="utf-8")
    files = {
        "rules/ok.rules": PASSING,
        "rules/broken.rules": BROKEN,
        "rules/no_tests.rules": RULES,
        "rules/bad.rules": RULES.replace("value 支出 / 预算", "value 支处 / 预算") + 'test "编不过" {\n}\n',
        "cases/checker_case.rules": 'let x = y   # E: PR201\ntest "不收集" {\n}\n',
        "test_plain.py": "def test_plain():\n    assert True\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_collects_one_item_per_test_block(tmp_path):
    folder = scratch(tmp_path)
    res = run_pytest(folder)
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "rules/ok.rules::都对 PASSED" in out
    assert "rules/ok.rules::预警 PASSED" in out
    assert "rules/ok.rules::坏数据是错误行 PASSED" in out
    assert "rules/broken.rules::对的 PASSED" in out
    assert "rules/broken.rules::故意写错 FAILED" in out
    assert "rules/bad.rules::编不过 FAILED" in out
    assert "test_plain.py::test_plain PASSED" in out
    assert "checker_case" not in out and "no_tests" not in out
    assert "2 failed, 5 passed" in out
    # the failure reads like the CLI's
    assert "broken.rules:25:5: total = 96.60\n    expected 96.60, got 96.63" in out
    assert 'expected "维持", got "保障"' in out
    assert "the rule file does not compile; its tests did not run:\nerror[PR201]: unknown name 支处" in out


def test_select_with_k(tmp_path):
    res = run_pytest(scratch(tmp_path), "-k", "预警")
    assert res.returncode == 0, res.stdout
    assert "rules/ok.rules::预警 PASSED" in res.stdout and "1 passed" in res.stdout


def test_can_be_turned_off(tmp_path):
    folder = scratch(tmp_path)
    res = run_pytest(folder, "-p", "no:perfrules")
    assert res.returncode == 0, res.stdout
    assert ".rules" not in res.stdout and "1 passed" in res.stdout
    res = run_pytest(scratch(tmp_path, "perfrules_collect = false\n"))
    assert res.returncode == 0, res.stdout
    assert ".rules" not in res.stdout and "1 passed" in res.stdout


def test_importing_the_plugin_loads_nothing_heavy():
    code = ("import sys, perfrules.pytest_plugin as p; "
            "print(sorted(m for m in ('perfrules.api', 'perfrules.testing', 'lark', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_bundled_rulesets_collect_and_pass(tmp_path):
    res = subprocess.run([sys.executable, "-m", "pytest", "rulesets", "-p", "no:cacheprovider", "-q"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "PERFRULES_LANG": "en"})
    assert res.returncode == 0, res.stdout + res.stderr
