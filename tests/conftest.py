import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
SHARED = ROOT.parent / "shared"

os.environ.setdefault("PERFRULES_LANG", "en")


@pytest.fixture(scope="session")
def health():
    import perfrules

    return perfrules.load(RULESETS / "health" / "health.rules")


GOLDEN = ROOT / "tests" / "golden"
UPDATE_GOLDEN = os.environ.get("PERFRULES_UPDATE_GOLDEN", "") not in ("", "0")


@pytest.fixture
def golden():
    """compare(name, text): text must equal tests/golden/NAME. Regenerate every golden file with
    `PERFRULES_UPDATE_GOLDEN=1 python -m pytest tests`, then review the diff before committing."""

    def compare(name: str, text: str) -> None:
        path = GOLDEN / name
        if UPDATE_GOLDEN:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path}; run with PERFRULES_UPDATE_GOLDEN=1 to create it"
        want = path.read_text(encoding="utf-8")
        assert text == want, (
            f"output differs from {path.relative_to(ROOT)} "
            "(if the change is intended: PERFRULES_UPDATE_GOLDEN=1 python -m pytest tests, and review the diff)\n"
            f"--- got ---\n{text}\n--- want ---\n{want}"
        )

    return compare
