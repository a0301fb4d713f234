"""The reliability and security suite: every network call goes to loopback (the BigCommerce
stand-in, the web server and the task cluster are local processes or threads). Its fixtures are the
suite's, in tests/conftest.py; multi-process tests share the test database (and Redis, when
REDIS_URL is set) with their children through `tests.harness`.
"""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(fast_password_hashing):
    """Users are made in most tests here; a slow hasher would be most of their run time."""
