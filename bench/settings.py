"""Bench-only settings: the project's own settings plus the two baseline views and their table."""

from initiator_site.settings import *  # noqa: F403
from initiator_site.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
