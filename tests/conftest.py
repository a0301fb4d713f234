"""Project-wide pytest fixtures."""

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load_bigcommerce_example(name: str) -> dict:
    """BigCommerce's own example payloads (copied from shared/bigcommerce/examples)."""
    return json.loads((FIXTURES / "bigcommerce" / name).read_text())


@pytest.fixture
def bc_example():
    return load_bigcommerce_example
