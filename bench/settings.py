"""Bench-only settings: the project's own settings plus the two baseline views and their table."""

from initiator_site.settings import *  # noqa: F403
from initiator_site.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# The survey page (ingest's view (d)) is loaded from one address: its rate limit stays on (its
# cost is the page's), but never refuses.
SURVEY_PAGE_RATE_LIMIT = 1_000_000_000
