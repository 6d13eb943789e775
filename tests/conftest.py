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
