"""The public pages' rate limit when its cache can't be reached: the pages still answer (the
limit goes unchecked, logged), never a 500."""

from __future__ import annotations

import logging

import pytest

from tests.factories import make_invitation, make_survey
from tests.harness import free_port
from workflows.sending import unsubscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(settings):
    """The cache is a Redis server on a loopback port where nothing listens (Django's test
    signals drop the cache connections when CACHES changes)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_the_survey_and_unsubscribe_pages_answer_without_their_cache(
    client, account, cache_down, caplog
):
    # Given an open invitation and an unsubscribe link, and the cache unreachable
    _invitation, token = make_invitation(make_survey(account))
    link = unsubscribe.make_token(account.pk, "ann@example.com")
    # When both pages are opened
    with caplog.at_level(logging.WARNING, logger="initiator_site.ratelimit"):
        survey_page = client.get(f"/s/{token}/")
        unsubscribe_page = client.get(f"/u/{link}/")
    # Then both are shown, and the unchecked limits are logged
    assert (survey_page.status_code, unsubscribe_page.status_code) == (200, 200)
    assert "Rate limit 'survey' not checked: the cache failed (ConnectionError)" in caplog.text
    assert "Rate limit 'unsubscribe' not checked" in caplog.text
