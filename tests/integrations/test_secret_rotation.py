"""Rotating a subscription's webhook secret: BigCommerce's hook gets the new header, and the old
secret keeps working for its grace period only."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from integrations import receiver, subscriptions
from integrations.models import WebhookSubscription
from integrations.subscriptions import SECRET_HEADER, subscription_for
from tests.factories import delivery_body
from workflows import services

pytestmark = pytest.mark.django_db
DAY = timedelta(hours=24)


@pytest.fixture
def active_sub(make_workflow, auth, store):
    services.activate(make_workflow("shipment_created", status="draft"))
    return subscription_for(auth, "shipment_created")


def deliver(post_delivery, sub, secret, hash_):
    body = delivery_body("shipment_created")
    body["hash"] = hash_
    return post_delivery(sub, body, secret=secret).status_code


def test_rotation_sends_bigcommerce_the_new_secret(active_sub, store):
    # Given a registered hook carrying the current secret
    old = active_sub.secret
    # When the secret is rotated
    sub = subscriptions.rotate_secret(active_sub, DAY)
    # Then the hook was updated in place with the new header, and the old one is kept aside
    (hook,) = store.hooks.values()
    assert sub.secret != old and hook["headers"] == {SECRET_HEADER: sub.secret}
    assert store.calls("PUT", "/v3/hooks/") and sub.status == "registered"
    stored = WebhookSubscription.objects.get(pk=sub.pk)
    assert (stored.secret, stored.previous_secret) == (sub.secret, old)


def test_both_secrets_work_during_the_grace_then_only_the_new_one(active_sub, post_delivery, store):
    # Given a web process that has the subscription cached, and a rotation
    old = active_sub.secret
    assert deliver(post_delivery, active_sub, old, "before") == 200
    sub = subscriptions.rotate_secret(active_sub, DAY)
    # When deliveries come with either secret during the grace period, both are taken
    receiver._targets.clear()  # as in a process that never saw the subscription, too
    assert deliver(post_delivery, sub, sub.secret, "new") == 200
    assert deliver(post_delivery, sub, old, "old-in-grace") == 200
    # ... and once it is over, the old secret is refused
    WebhookSubscription.objects.filter(pk=sub.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    receiver._targets.clear()
    assert deliver(post_delivery, sub, old, "old-after-grace") == 401
    assert deliver(post_delivery, sub, "neither", "forged") == 401


def test_a_process_with_the_old_secret_cached_takes_the_new_one(active_sub, post_delivery):
    # Given a web process whose cache was filled before the rotation
    assert deliver(post_delivery, active_sub, active_sub.secret, "cached") == 200
    sub = subscriptions.rotate_secret(active_sub, timedelta(0))
    # When BigCommerce already sends the new secret, the refusal is re-checked and it passes
    receiver._targets[str(sub.uuid)] = (receiver._targets[str(sub.uuid)][0], 0.0)
    assert deliver(post_delivery, sub, sub.secret, "fresh") == 200


def test_a_failed_hook_update_is_recorded_and_the_old_secret_still_works(
    active_sub, post_delivery, store
):
    # Given BigCommerce failing the hook update
    old = active_sub.secret
    store.fail_next("/v3/hooks", 500)
    # When the secret is rotated
    sub = subscriptions.rotate_secret(active_sub, DAY)
    # Then the failure is on the subscription for the health check to retry, and deliveries
    # still signed with the old secret (what the hook still sends) are taken meanwhile
    assert sub.status == "error" and sub.status_detail
    assert deliver(post_delivery, sub, old, "still-old") == 200
    subscriptions.check_all()
    (hook,) = store.hooks.values()
    assert hook["headers"] == {SECRET_HEADER: sub.secret}


def test_the_command_rotates_named_subscriptions_and_says_how_each_went(active_sub, store):
    out = StringIO()
    call_command("rotate_webhook_secrets", str(active_sub.uuid), "--grace-hours", "2", stdout=out)
    text = out.getvalue()
    assert f"{active_sub.uuid} (Shipment Created for " in text
    assert "Hook: Registered." in text and "1 subscription(s) rotated" in text
    assert active_sub.secret not in text
    stored = WebhookSubscription.objects.get(pk=active_sub.pk)
    assert stored.previous_secret == active_sub.secret
    left = stored.previous_secret_until - timezone.now()
    assert timedelta(hours=1.9) < left <= timedelta(hours=2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Name the subscriptions' UUIDs, or pass --all"),
        (["--all", "00000000-0000-0000-0000-000000000000"], "or pass --all (not both)"),
        (["not-a-uuid"], "Not a UUID: not-a-uuid. Nothing rotated."),
        (["00000000-0000-0000-0000-000000000000"], "No subscription with UUID 00000000-"),
        (["--all", "--grace-hours", "-1"], "--grace-hours must be between 0 and 720"),
    ],
)
def test_the_command_refuses_bad_input_and_rotates_nothing(active_sub, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("rotate_webhook_secrets", *args, stdout=StringIO())
    assert WebhookSubscription.objects.get(pk=active_sub.pk).secret == active_sub.secret


def test_account_admins_rotate_their_own_subscriptions_in_the_admin(
    client, account_admin, active_sub, make_authentication, other_account, store
):
    # Given a subscription of another account too
    theirs = subscription_for(make_authentication(other_account), "shipment_created")
    client.force_login(account_admin)
    # When the admin's rotate action is applied to both ids
    response = client.post(
        reverse("admin:integrations_webhooksubscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [active_sub.pk, theirs.pk]},
        follow=True,
    )
    # Then only the admin's own subscription got a new secret, and the page says how it went
    assert response.status_code == 200
    assert "new secret; hook Registered." in response.content.decode()
    assert WebhookSubscription.objects.get(pk=active_sub.pk).secret != active_sub.secret
    assert WebhookSubscription.objects.get(pk=theirs.pk).secret == theirs.secret
