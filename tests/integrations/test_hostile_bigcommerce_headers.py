"""A 429 with hostile rate-limit headers, through the delivery task's retry path: the delivery
is rescheduled at a finite, bounded time, never left `processing` by a crashed task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import deliveries
from integrations.bigcommerce.errors import RateLimited
from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db

HORIZON = 900
HOSTILE = ["1e20", "inf", "-inf", "nan", "-5", "9" * 40, "9" * 5000, "soon", ""]
HEADERS = ["X-Rate-Limit-Time-Reset-Ms", "X-Retry-After", "Retry-After"]


@pytest.fixture(autouse=True)
def _horizon(settings):
    settings.BIGCOMMERCE_RETRY_HORIZON_SECONDS = HORIZON


@pytest.mark.parametrize("name", HEADERS)
@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:12]))
def test_a_hostile_429_reschedules_the_delivery_within_the_horizon(
    make_workflow, auth, post_delivery, store, name, value
):
    # Given BigCommerce answers the order fetch with a 429 whose headers are hostile
    make_workflow("shipment_created")
    store.fail_next(
        "/v2/orders/",
        429,
        headers={
            name: value,
            "X-Rate-Limit-Requests-Left": value,
            "X-Rate-Limit-Time-Window-Ms": value,
        },
    )
    # When a delivery arrives (its task runs inline)
    before = timezone.now()
    response = post_delivery(
        subscription_for(auth, "shipment_created"), delivery_body("shipment_created")
    )
    after = timezone.now()
    # Then it was answered, and the task rescheduled the delivery instead of crashing
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("received", 1)
    assert "rate limit" in delivery.last_error
    # ... no sooner than the first backoff, no later than the horizon allows
    first_backoff = deliveries.backoff(1)
    assert before + first_backoff <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= after + max(first_backoff, timedelta(seconds=HORIZON))
    assert not WorkflowRun.objects.exists()


@pytest.mark.parametrize("retry_after", [1e20, float("inf"), float("-inf"), float("nan"), -5.0])
@pytest.mark.parametrize("attempt", [0, 1, 6, 10**6])
def test_backoff_of_a_rate_limited_error_is_finite(retry_after, attempt):
    # Given a rate-limited error raised with a hostile wait (clamped where it is raised)
    error = RateLimited("BigCommerce's rate limit was reached.", retry_after=retry_after)
    # When the retry policy turns it into a delay
    delay = deliveries.backoff(attempt, error.retry_after)
    # Then the delay is a bounded timedelta, and adding it to now works
    assert timedelta(0) < delay <= timedelta(seconds=max(HORIZON, deliveries.BACKOFF_MAX_SECONDS))
    assert timezone.now() + delay > timezone.now()


@pytest.mark.parametrize("retry_after", [1e20, float("inf"), float("nan"), -5.0])
def test_backoff_bounds_a_raw_wait_itself(retry_after):
    # Given a hostile wait passed straight to the retry policy (not through an error)
    # When it becomes a delay
    delay = deliveries.backoff(2, retry_after)
    # Then the delay is still bounded by the horizon (or the backoff's own cap)
    assert timedelta(0) < delay <= timedelta(seconds=max(HORIZON, deliveries.BACKOFF_MAX_SECONDS))
