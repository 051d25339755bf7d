from __future__ import annotations

import sys
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Helpers the tests share with the benches (the planted-duplicate generator, `planted`) live in
# benches/, outside the installed package; appended, so they never shadow an installed module.
BENCHES = Path(__file__).resolve().parents[1] / "benches"
if str(BENCHES) not in sys.path:
    sys.path.append(str(BENCHES))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public test data not found at {SHARED_DATA} (it lives beside the checkout)")
    return SHARED_DATA
