"""Bench-only settings: the project's own settings plus the two baseline views and their table."""

import os

from initiator_site.settings import *  # noqa: F403
from initiator_site.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"

# The latency part times each email's hand-over (bench/mail.py).
if os.environ.get("BENCH_MAIL_LOG"):
    EMAIL_BACKEND = "bench.mail.TimingBackend"
