"""BigCommerce failing in every way it does, through the real pipeline and the stand-in.

Receiver → task → fetch over HTTP (loopback) → retry policy → sweeper → runs → email. Tasks run
inline; instead of sleeping through a backoff, a test moves the delivery's `next_attempt_at`
into the past and calls the sweeper, as its one-minute schedule would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import WebhookDelivery
from tests.factories import shipment
from tests.harness import free_port, run_due_deliveries
from workflows import tasks
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db

ORDER_CALLS = "GET /v2/orders/{id}"
BASE_BACKOFF = 60  # seconds, then doubling (integrations.deliveries)


@pytest.fixture
def pipeline(post_delivery, standin, make_active_workflow, django_capture_on_commit_callbacks):
    """deliver(order_id) and sweep(), with tasks (and their on-commit enqueues) run inline."""
    _wf, sub = make_active_workflow()

    class Pipeline:
        subscription = sub

        def deliver(self, order_id: int) -> WebhookDelivery:
            assert post_delivery(sub, shipment(order_id)).status_code == 200
            return WebhookDelivery.objects.get(hash=f"hash-{order_id}")

        def sweep(self) -> dict:
            """What the cluster does by itself: its relay hands out due deliveries, its
            sweeper whatever a dead worker held."""
            with django_capture_on_commit_callbacks(execute=True):
                relayed = run_due_deliveries()
                swept = tasks.sweep()
            return {**swept, "deliveries": swept["deliveries"] + relayed}

        def retry_now(self, delivery: WebhookDelivery) -> dict:
            """Time travel: the delivery's retry is due; the relay hands it out."""
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=timezone.now() - timedelta(seconds=1)
            )
            swept = self.sweep()
            delivery.refresh_from_db()
            return swept

    return Pipeline()


def assert_retry_scheduled(delivery, before, after, seconds: float) -> None:
    """Back to `received`, due `seconds` after the attempt (a schedule, not a measured time)."""
    delivery.refresh_from_db()
    assert delivery.status == "received"
    low, high = before + timedelta(seconds=seconds), after + timedelta(seconds=seconds)
    assert low <= delivery.next_attempt_at <= high, (delivery.next_attempt_at, low, high)


def assert_completed_once(delivery, attempts: int, mailoutbox) -> None:
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", attempts)
    run = WorkflowRun.objects.get(delivery=delivery)
    assert run.status == "succeeded"
    assert len(mailoutbox) == 1


# --- Transient failures: retried with backoff, then completed ------------------------------


def test_rate_limit_429_waits_for_the_reset_window(pipeline, standin, mailoutbox):
    # Given BigCommerce answers 429 asking us to wait 90 s (longer than a task may sleep)
    standin.add_fault("/v2/orders/", status=429, headers={"X-Rate-Limit-Time-Reset-Ms": "90000"})
    # When a delivery arrives
    before = timezone.now()
    delivery = pipeline.deliver(1001)
    after = timezone.now()
    # Then it is rescheduled for when the window resets (90 s > the 60 s base backoff)
    assert_retry_scheduled(delivery, before, after, 90)
    assert "rate limit" in delivery.last_error and delivery.attempts == 1
    assert not WorkflowRun.objects.exists() and mailoutbox == []
    # ... and not handed out before then
    assert pipeline.sweep() == {"deliveries": 0, "runs": 0, "jobs": 0}
    # When its time comes, it completes
    assert pipeline.retry_now(delivery)["deliveries"] == 1
    assert_completed_once(delivery, 2, mailoutbox)
    assert standin.stats()["calls"][ORDER_CALLS] == 2


def test_short_rate_limit_is_waited_out_inside_the_task(pipeline, standin, settings, mailoutbox):
    # Given the client may retry once, and BigCommerce asks for a 50 ms pause
    settings.BIGCOMMERCE_MAX_RETRIES = 1
    standin.add_fault("/v2/orders/", status=429, headers={"X-Rate-Limit-Time-Reset-Ms": "50"})
    # When a delivery arrives, the client waits and asks again within the same attempt
    delivery = pipeline.deliver(1002)
    assert_completed_once(delivery, 1, mailoutbox)
    assert standin.stats()["calls"][ORDER_CALLS] == 2


def test_5xx_backs_off_exponentially_then_completes(pipeline, standin, mailoutbox):
    # Given BigCommerce fails twice with 503
    standin.add_fault("/v2/orders/", status=503, times=2)
    # When a delivery arrives: the first retry is due after the base backoff
    before = timezone.now()
    delivery = pipeline.deliver(1003)
    assert_retry_scheduled(delivery, before, timezone.now(), BASE_BACKOFF)
    assert "HTTP 503" in delivery.last_error
    # ... the second after twice as long
    before = timezone.now()
    pipeline.retry_now(delivery)
    assert_retry_scheduled(delivery, before, timezone.now(), 2 * BASE_BACKOFF)
    # Then the third attempt completes
    pipeline.retry_now(delivery)
    assert_completed_once(delivery, 3, mailoutbox)


def test_read_timeout_is_retried(pipeline, standin, settings, mailoutbox):
    # Given BigCommerce takes longer than our read timeout to answer the order
    settings.BIGCOMMERCE_READ_TIMEOUT = 0.3
    standin.add_fault("/v2/orders/", delay_ms=1_500)
    before = timezone.now()
    delivery = pipeline.deliver(1004)
    # Then the attempt is given up and rescheduled, saying why
    assert_retry_scheduled(delivery, before, timezone.now(), BASE_BACKOFF)
    assert "did not answer in time" in delivery.last_error
    pipeline.retry_now(delivery)
    assert_completed_once(delivery, 2, mailoutbox)


def test_connection_refused_is_retried(pipeline, standin, settings, mailoutbox):
    # Given BigCommerce is unreachable (nothing listens on that loopback port)
    settings.BIGCOMMERCE_API_BASE_URL = f"http://127.0.0.1:{free_port()}"
    before = timezone.now()
    delivery = pipeline.deliver(1005)
    assert_retry_scheduled(delivery, before, timezone.now(), BASE_BACKOFF)
    assert "Could not connect" in delivery.last_error
    # When it is reachable again, the retry completes
    settings.BIGCOMMERCE_API_BASE_URL = standin.base_url
    pipeline.retry_now(delivery)
    assert_completed_once(delivery, 2, mailoutbox)


def test_dropped_connection_is_retried(pipeline, standin, mailoutbox):
    # Given BigCommerce closes the connection without answering (the customer fetch this time)
    standin.add_fault("/v3/customers", status=0)
    delivery = pipeline.deliver(1006)
    delivery.refresh_from_db()
    assert delivery.status == "received" and "Could not connect" in delivery.last_error
    pipeline.retry_now(delivery)
    assert_completed_once(delivery, 2, mailoutbox)


def test_persistent_outage_ends_dead_after_the_last_attempt(
    pipeline, standin, settings, mailoutbox
):
    # Given BigCommerce is down for longer than the retry budget
    settings.DELIVERY_MAX_ATTEMPTS = 3
    standin.add_fault("/v2/orders/", status=502, times=10)
    delivery = pipeline.deliver(1007)
    pipeline.retry_now(delivery)
    pipeline.retry_now(delivery)
    # Then it is dead after 3 attempts, says why, and the sweeper leaves it alone
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert delivery.last_error.startswith("Gave up after 3 attempts")
    assert pipeline.retry_now(delivery) == {"deliveries": 0, "runs": 0, "jobs": 0}
    assert not WorkflowRun.objects.exists() and mailoutbox == []
    assert standin.stats()["calls"][ORDER_CALLS] == 3


# --- Permanent failures: not retried; bad credentials show on the authentication ------------


@pytest.mark.parametrize(
    ("status", "says"),
    [(401, "rejected the access token"), (403, "missing OAuth scopes")],
)
def test_refused_credentials_fail_once_and_mark_the_authentication(
    pipeline, standin, standin_auth, manager, api_client, mailoutbox, status, says
):
    # Given BigCommerce refuses the stored credentials
    standin.add_fault("/v2/orders/", status=status)
    # When a delivery arrives
    delivery = pipeline.deliver(1008)
    delivery.refresh_from_db()
    # Then it fails for good, saying why, and is not retried even when "due"
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert says in delivery.last_error and delivery.next_attempt_at is None
    assert pipeline.retry_now(delivery) == {"deliveries": 0, "runs": 0, "jobs": 0}
    assert standin.stats()["calls"][ORDER_CALLS] == 1
    assert not WorkflowRun.objects.exists() and mailoutbox == []
    # And the authentication shows as failing over the API, with what to fix
    api_client.force_authenticate(manager)
    shown = api_client.get(f"/api/v1/bigcommerce/authentications/{standin_auth.pk}/").json()
    assert shown["status"] == "failed"
    assert f"HTTP {status}" in shown["status_detail"] and says in shown["status_detail"]


def test_missing_resource_404_fails_without_retry(pipeline, standin, mailoutbox):
    standin.add_fault("/v2/orders/", status=404)
    delivery = pipeline.deliver(1009)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "no longer exists" in delivery.last_error
    assert pipeline.retry_now(delivery) == {"deliveries": 0, "runs": 0, "jobs": 0}
    assert mailoutbox == []
