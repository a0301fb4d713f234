"""Plain factories and helpers shared by the whole suite (the fixtures in tests/conftest.py wrap
them): BigCommerce's example payloads, delivery bodies, accounts, authentications, workflows.

Nothing here is a pytest fixture, so any test module, fixture or benchmark may call it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integrations.standin.data import EXAMPLES as APP_EXAMPLES

# --- BigCommerce's example payloads ---------------------------------------------------------

# The app's copy (integrations/standin/examples/, which the stand-in serves) is the one home of
# every example the app uses; tests/fixtures/bigcommerce/ holds only the variants no app code
# reads (spec examples, endpoints the app never calls). A name is in one place or the other.
TEST_ONLY_EXAMPLES = Path(__file__).parent / "fixtures" / "bigcommerce"


def load_bigcommerce_example(name: str) -> Any:
    """A fresh copy of one of BigCommerce's own example payloads (copied verbatim from its
    published examples), by file name."""
    app, test_only = APP_EXAMPLES / name, TEST_ONLY_EXAMPLES / name
    if app.exists() and test_only.exists():
        raise AssertionError(f"{name} is in both {APP_EXAMPLES} and {TEST_ONLY_EXAMPLES}: keep one")
    return json.loads((app if app.exists() else test_only).read_text())
