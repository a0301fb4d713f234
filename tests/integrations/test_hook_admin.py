"""Reading BigCommerce's `GET /v3/hooks/admin` through the stand-in: our deactivated hooks and
our blocked domain are found, and the alert pass emails the domain block."""

from __future__ import annotations

import pytest
import requests
from django.core import mail

from integrations import hook_admin, subscriptions
from integrations.bigcommerce import errors
from integrations.subscriptions import subscription_for
from tests.factories import wanted_subscription
from workflows.alerts import evaluate
from workflows.alerts.models import Alert, AlertKind


def control(standin, method, path, body=None):
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, f"{standin.base_url}/_standin/{path}", json=body, timeout=5)


@pytest.fixture
def registered(standin, standin_auth):
    """The stand-in store's shipment hook, registered to our PUBLIC_BASE_URL."""
    return subscriptions.ensure_registered(wanted_subscription(standin_auth, "shipment_created"))


def test_a_deactivated_hook_of_ours_is_found(standin, standin_auth, registered):
    # Given BigCommerce deactivated our hook
    control(standin, "POST", f"hooks/{registered.hook_id}/deactivate")

    # When its admin information is read
    report = hook_admin.inspect(standin_auth, [registered])

    # Then that subscription is reported deactivated, the domain not blocked
    assert report.deactivated == [registered] and report.blocked is None


def test_our_blocked_domain_is_found_and_alerted(standin, standin_auth, registered, manager):
    # Given BigCommerce blocked our domain (and another one we don't use)
    for destination in ("https://elsewhere.example.org", "https://workflows.example.com"):
        control(
            standin,
            "POST",
            "blocked-domains",
            {"store_hash": "standin", "destination": destination, "reason": "Timed out"},
        )

    # When the hooks admin is read, and the alert pass runs
    report = hook_admin.inspect(standin_auth, [registered])
    evaluate.run_pass()

    # Then our domain is reported blocked, with BigCommerce's reason, and emailed
    assert "workflows.example.com" in report.blocked and "Timed out" in report.blocked
    assert report.deactivated == []
    alert = Alert.objects.get(kind=AlertKind.DOMAIN_BLOCKED)
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert "workflows.example.com" in mail.outbox[0].body

    # When the block is lifted, then the next pass resolves it
    control(standin, "DELETE", "blocked-domains")
    evaluate.run_pass()
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_a_refused_token_marks_the_authentication_failing(standin, standin_auth):
    # Given BigCommerce refuses the token
    standin_auth.access_token = "wrong-token"
    standin_auth.save()
    sub = subscription_for(standin_auth, "shipment_created")

    # When the hooks admin is read, then the error is raised and the authentication is failing
    with pytest.raises(errors.AuthenticationFailed):
        hook_admin.inspect(standin_auth, [sub])
    standin_auth.refresh_from_db()
    assert standin_auth.status == "failed"


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("https://Workflows.Example.com/webhooks/", "workflows.example.com"),
        ("workflows.example.com", "workflows.example.com"),
        ("workflows.example.com:443", "workflows.example.com"),
        ("", ""),
    ],
)
def test_host_of_a_url_or_domain(value, host):
    assert hook_admin.host_of(value) == host
