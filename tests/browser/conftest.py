"""Real headless Chromium (Debian's ``chromium``) driven by Playwright against ``live_server``.

Run with ``pytest -m browser tests/browser``. Only loopback traffic: the browser talks to the
live server, the app talks to the BigCommerce stand-in (``live_standin``, tests/conftest.py).
The fixtures here are the browser's own; the suite's come from tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.factories import PASSWORD
from tests.harness import ARTIFACTS

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """One Chromium per module. Playwright's sync API runs an event loop in this thread, so
    Django's async-safety guard is lifted while (and only while) it runs: the tests' ORM calls
    are still synchronous. The test database exists before the loop starts."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


def new_page(browser, **context_options):
    """A page in a fresh browser context (closed afterwards), waiting at most 15 s per step."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser):
    yield from new_page(browser, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser):
    yield from new_page(
        browser,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def shot():
    """shot(page, name, full_page=True): a screenshot in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name, full_page=True):
        """``page`` may be a locator (then ``full_page`` must be None): the element only."""
        options = {} if full_page is None else {"full_page": full_page}
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), **options)

    return take


@pytest.fixture
def login(live_server):
    def log_in(page, user):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")  # the dashboard, the home page

    return log_in


UNLABELLED_FIELDS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button'].includes(el.type))
  .filter(el => !el.labels || el.labels.length === 0)
  .map(el => el.name || el.id)
"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
