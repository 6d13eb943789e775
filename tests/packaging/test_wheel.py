"""Packaging (issue item 1): the project builds as a wheel that ships the grammar, and the
installed wheel runs `perfrules check` and `perfrules eval` outside the repository.

The wheel is built from a copy of pyproject.toml, README.md and src/ (nothing of the working
tree is touched), installed with --no-deps into a fresh virtual environment, and the
dependencies come from the environment running the tests (its site-packages directories are
appended to the new environment's path by a .pth file, after the environment's own
site-packages, so the installed wheel, not the source tree, provides `perfrules`).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

SMALL = ROOT / "tests" / "data" / "small.rules"
TIMEOUT = 300


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PERFRULES_LANG"] = "en"
    return env


def can_build_offline() -> bool:
    """Whether the running environment can build without fetching the build backend."""
    try:
        import setuptools
    except ImportError:
        return False
    try:
        import wheel  # noqa: F401
        return True
    except ImportError:
        pass
    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1)  # bdist_wheel moved into setuptools


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=TIMEOUT, env=clean_env(), **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("build")
    proj = tmp / "project"
    proj.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, proj / name)
    shutil.copytree(ROOT / "src", proj / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    dist = tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, proj]
    if can_build_offline():
        cmd.insert(5, "--no-build-isolation")
    p = run(cmd, cwd=tmp)
    if p.returncode != 0 and "satisfies the requirement" in p.stdout + p.stderr:
        pytest.skip("the build backend (setuptools, wheel) cannot be fetched here:\n" + p.stderr[-2000:])
    assert p.returncode == 0, p.stdout + p.stderr
    (whl,) = dist.glob("perfrules-*.whl")
    return whl


def test_wheel_ships_the_grammar_and_entry_point(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert "perfrules/syntax/perfrules.lark" in names
        assert "perfrules/py.typed" in names
        grammar = z.read("perfrules/syntax/perfrules.lark").decode("utf-8")
        assert grammar == (ROOT / "src/perfrules/syntax/perfrules.lark").read_text(encoding="utf-8")
        (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "perfrules = perfrules.cli:main" in z.read(entry).decode("utf-8")
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = z.read(meta).decode("utf-8")
        for dep in ("lark", "pydantic", "orjson"):
            assert f"Requires-Dist: {dep}" in metadata
        assert not any(n.startswith(("tests/", "rulesets/", "benchmarks/")) for n in names)


def test_installed_wheel_runs_outside_the_repository(wheel, tmp_path):
    venv = tmp_path / "venv"
    p = run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert p.returncode == 0, p.stderr
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # dependencies from the running environment, after the new environment's own packages
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    p = run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index", "--quiet", wheel])
    assert p.returncode == 0, p.stdout + p.stderr

    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy2(SMALL, work / "small.rules")
    (work / "data.csv").write_text("单位名称,实际支出,调整后预算数,考评等次\n甲局,95,100,良好\n", encoding="utf-8")
    (work / "broken.rules").write_text("input a: number\nlet x = 未知 +\n", encoding="utf-8")

    where = run([py, "-c", "import perfrules, perfrules.syntax.parser as p; print(perfrules.__file__); print(p.GRAMMAR_PATH)"], cwd=work)
    assert where.returncode == 0, where.stderr
    module_file, grammar_path = where.stdout.split()
    assert Path(module_file).is_relative_to(venv), f"perfrules imported from {module_file}, not the wheel"
    assert Path(grammar_path).is_relative_to(venv) and Path(grammar_path).is_file()

    exe = venv / ("Scripts/perfrules.exe" if os.name == "nt" else "bin/perfrules")
    ok = run([exe, "check", "small.rules"], cwd=work)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "small.rules: OK" in ok.stdout
    bad = run([exe, "check", "--format", "json", "broken.rules"], cwd=work)
    assert bad.returncode == 1 and '"PR103"' in bad.stdout and "Traceback" not in bad.stderr
    ev = run([exe, "eval", "small.rules", "--data", "data.csv", "--id", "单位名称", "-o", "out.jsonl"], cwd=work)
    assert ev.returncode == 0, ev.stderr
    assert '"total":"91.00"' in (work / "out.jsonl").read_text(encoding="utf-8").replace(" ", "")
