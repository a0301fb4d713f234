"""BigCommerce hooks follow the workflows: registered on first activation, removed with the last."""

import json

import pytest

from integrations import subscriptions
from integrations.models import WebhookSubscription
from integrations.subscriptions import SECRET_HEADER, subscription_for
from workflows import services

pytestmark = pytest.mark.django_db


def test_first_activation_creates_the_hook(make_workflow, auth, store):
    wf = make_workflow("shipment_created", status="draft")
    services.activate(wf)
    sub = subscription_for(auth, "shipment_created")
    assert sub.status == "registered" and sub.wanted and sub.last_healthy_at
    (hook,) = store.hooks.values()
    assert hook["scope"] == "store/shipment/created"
    assert hook["destination"] == f"https://workflows.example.com/webhooks/bigcommerce/{sub.uuid}/"
    assert hook["is_active"] is True
    assert hook["headers"] == {SECRET_HEADER: sub.secret}
    assert sub.hook_id == hook["id"]
    # The body has webhooks.v3.yml's webhook_Base fields: scope, destination, is_active, headers
    body = json.loads(store.calls("POST", "/v3/hooks")[0].request.body)
    assert set(body) == {"scope", "destination", "is_active", "headers"}


def test_second_workflow_reuses_the_hook_without_calls(make_workflow, auth, store):
    services.activate(make_workflow("shipment_created", name="a", status="draft"))
    before = len(store.rsps.calls)
    services.activate(make_workflow("shipment_created", name="b", status="draft"))
    assert len(store.rsps.calls) == before
    assert len(store.hooks) == 1


def test_pausing_the_last_workflow_deletes_the_hook(make_workflow, auth, store):
    a = services.activate(make_workflow("shipment_created", name="a", status="draft"))
    b = services.activate(make_workflow("shipment_created", name="b", status="draft"))
    services.pause(a)
    assert len(store.hooks) == 1
    services.delete_workflow(b)
    assert store.hooks == {}
    sub = subscription_for(auth, "shipment_created")
    assert sub.status == "not_registered" and sub.hook_id is None and not sub.wanted


def test_existing_inactive_hook_is_reactivated_not_duplicated(make_workflow, auth, store):
    wf = services.activate(make_workflow("cart_abandoned", status="draft"))
    (hook,) = store.hooks.values()
    hook["is_active"] = False  # BigCommerce deactivates hooks that keep failing
    WebhookSubscription.objects.update(status="error")
    services.activate(wf)
    assert len(store.hooks) == 1 and hook["is_active"] is True
    assert ("PUT", f"/v3/hooks/{hook['id']}") in store.hook_writes()


def test_health_check_recreates_a_missing_hook(make_workflow, auth, store):
    services.activate(make_workflow("shipment_created", status="draft"))
    store.hooks.clear()  # deleted on BigCommerce's side
    counts = subscriptions.check_all().counts
    assert counts["registered"] == 1
    assert len(store.hooks) == 1
    assert subscription_for(auth, "shipment_created").hook_id == next(iter(store.hooks))


def test_health_check_removes_unwanted_hooks(make_workflow, auth, store):
    wf = services.activate(make_workflow("shipment_created", status="draft"))
    from workflows.models import Workflow

    Workflow.objects.filter(pk=wf.pk).update(status="paused")
    WebhookSubscription.objects.update(wanted=False)
    subscriptions.check_all()
    assert store.hooks == {}


def test_without_public_base_url_it_is_not_registered_and_says_why(
    make_workflow, auth, store, settings
):
    settings.PUBLIC_BASE_URL = ""
    services.activate(make_workflow("shipment_created", status="draft"))
    sub = subscription_for(auth, "shipment_created")
    assert sub.status == "not_registered"
    assert "PUBLIC_BASE_URL" in sub.status_detail
    assert len(store.rsps.calls) == 0


def test_http_public_url_is_refused_unless_allowed(make_workflow, auth, store, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    wf = services.activate(make_workflow("shipment_created", status="draft"))
    sub = subscription_for(auth, "shipment_created")
    assert sub.status == "not_registered" and "HTTPS on port 443" in sub.status_detail
    settings.WEBHOOK_ALLOW_HTTP = True
    WebhookSubscription.objects.update(wanted=False)
    services.activate(wf)
    assert subscription_for(auth, "shipment_created").status == "registered"


def test_registration_error_is_recorded_and_activation_still_succeeds(make_workflow, auth, store):
    store.fail_next("/v3/hooks", 500)
    wf = services.activate(make_workflow("shipment_created", status="draft"))
    assert wf.status == "active"
    sub = subscription_for(auth, "shipment_created")
    assert sub.status == "error" and sub.status_detail
