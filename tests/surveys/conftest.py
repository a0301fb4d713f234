"""Fixtures of the survey tests: a survey, and a workflow whose first step invites to it."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from tests.factories import make_survey
from workflows.models import Step
from workflows.steps import validate_step

PUBLIC_BASE_URL = "https://feedback.example.com"
INVITE = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "How was order [BigCommerce | Order | id]?",
    "body": "Hi [BigCommerce | Customer | first_name], one click answers:\n"
    "[Survey | score_links]\nOr open the survey: [Survey | link]\n",
}
TEAM_EMAIL = {
    "to": "team@example.com",
    "subject": "Order [BigCommerce | Order | id] scored [Survey | score]",
    "body": "Outcome: [Survey | outcome]. Status: [Survey | status]. Comment: [Survey | comment]",
}


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The response page's rate limit counts per address in the cache: each test starts anew."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def nps_survey(account):
    return make_survey(account, thank_you_text="Thanks, [BigCommerce | Customer | first_name]!")


@pytest.fixture
def invite_workflow(make_workflow, nps_survey):
    """invite_workflow(then=[steps...], **invite config): an active shipment workflow whose
    first step invites the customer to `nps_survey`, and `then` steps after it."""

    def make(then=(), **config):
        workflow = make_workflow()
        steps = [
            ("survey_invite", {**INVITE, "survey": nps_survey.pk, **config}),
            *then,
        ]
        for position, (kind, step_config) in enumerate(steps):
            Step.objects.create(
                workflow=workflow,
                position=position,
                type=kind,
                config=validate_step(kind, step_config, workflow.event),
            )
        return workflow

    return make


def survey_path(email) -> str:
    """The response page's path in an invitation email (its [Survey | link])."""
    found = re.search(re.escape(PUBLIC_BASE_URL) + r"(/s/[A-Za-z0-9_-]{43}/)(?!\?)", email.body)
    assert found, email.body
    return found.group(1)


def score_path(email, score) -> str:
    """The path of the score link for `score` in a plain-text invitation."""
    found = re.search(
        rf"^{score}: {re.escape(PUBLIC_BASE_URL)}(/s/\S+)$", email.body, flags=re.MULTILINE
    )
    assert found, email.body
    return found.group(1)
