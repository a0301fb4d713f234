"""Out of the store's API budget, a delivery waits for the window to reset: it is not a failed
attempt, it never dies of it, and it is processed once the budget allows."""

import pytest
from django.utils import timezone

from integrations.models import WebhookDelivery
from tests import harness
from tests.factories import shipment
from workflows import tasks
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_quota(standin, settings):
    """The store allows 4 requests per 4 s and we use half: two calls, one delivery."""
    settings.BIGCOMMERCE_API_SHARE = 50
    settings.DELIVERY_MAX_ATTEMPTS = 1  # a single failed attempt would make it dead
    standin.rate_limit.configure(quota=4, window_ms=4000)
    return standin


def test_a_delivery_out_of_budget_waits_then_succeeds(
    small_quota, make_active_workflow, post_delivery, relay_mode
):
    # Given an active workflow and two shipments (each costs an order and a customer call)
    _workflow, sub = make_active_workflow()
    for order_id in (1001, 1002):
        assert post_delivery(sub, shipment(order_id)).status_code == 200
    first, second = WebhookDelivery.objects.order_by("pk")
    # When the worker takes both within one window
    tasks.process_delivery(first.pk)
    tasks.process_delivery(second.pk)
    # Then the first is processed and the second waits for the reset, with no attempt spent
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "processed"
    assert second.status == "received"
    assert second.attempts == 0 and second.last_error == ""
    assert "Waiting for the store's API budget" in second.note
    assert timezone.now() < second.next_attempt_at
    # And nothing was sent beyond our share: the store refused nothing
    assert small_quota.rate_limit.describe()["refused"] == 0
    # When it is taken again and again before its time, it keeps waiting and never dies
    for _ in range(3):
        tasks.process_delivery(second.pk)
    second.refresh_from_db()
    assert (second.status, second.attempts) == ("received", 0)
    # And when the window has reset it is processed, its run made once
    harness.wait_until(
        lambda: tasks.process_delivery(second.pk).startswith("processed"),
        timeout=20,
        what="the budget to allow the second delivery",
        interval=0.3,
    )
    second.refresh_from_db()
    assert (second.status, second.attempts, second.note) == ("processed", 1, "")
    assert WorkflowRun.objects.filter(delivery=second).count() == 1
    assert small_quota.rate_limit.describe()["refused"] == 0
