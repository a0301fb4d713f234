import pytest

from tests.pipeline.conftest import auth, make_workflow, store  # noqa: F401


@pytest.fixture(autouse=True)
def _fast_password_hashing(fast_password_hashing):
    """Each generated test makes its users; a slow hasher would be most of its run time."""
