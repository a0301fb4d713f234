"""The replay rules of the delivery state machine: which deliveries can go back to the queue,
and how they come back (received, due, unheld, a fresh set of attempts)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import deliveries
from integrations.events import get_event
from integrations.models import DeliveryStatus, WebhookDelivery
from integrations.subscriptions import subscription_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_stored(auth):
    def make(status, n=1, **fields):
        sub = subscription_for(auth, "shipment_created")
        start = WebhookDelivery.objects.count()
        return [
            WebhookDelivery.objects.create(
                subscription=sub,
                scope=get_event("shipment_created").scope,
                store_hash=sub.authentication.store_hash,
                hash=f"h{start + i}",
                body=json.dumps({"data": {"orderId": 251}}),
                status=status,
                attempts=6,
                last_error="Gave up after 6 attempts: 503",
                processed_at=timezone.now(),
                leased_until=timezone.now() + timedelta(minutes=5),
                **fields,
            )
            for i in range(n)
        ]

    return make


@pytest.mark.parametrize("status", [DeliveryStatus.FAILED, DeliveryStatus.DEAD])
def test_a_failed_or_dead_delivery_goes_back_to_the_queue_due_now(make_stored, status):
    (delivery,) = make_stored(status)
    before = timezone.now()

    deliveries.replay(delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED
    assert delivery.next_attempt_at >= before  # due now: the relay's next poll takes it
    assert delivery.leased_until is None
    assert delivery.attempts == 0  # a whole new set of retries
    assert (delivery.last_error, delivery.processed_at) == ("", None)


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (DeliveryStatus.UNUSABLE, "An unusable delivery can't be replayed: its body can't be used"),
        (DeliveryStatus.PROCESSED, "Only failed or dead deliveries can be replayed; this one is"),
        (DeliveryStatus.RECEIVED, "this one is received"),
        (DeliveryStatus.PROCESSING, "this one is processing"),
    ],
)
def test_other_deliveries_are_refused_and_left_as_they_are(make_stored, status, says):
    (delivery,) = make_stored(status)

    with pytest.raises(deliveries.NotReplayable, match=says):
        deliveries.replay(delivery)

    assert WebhookDelivery.objects.get(pk=delivery.pk).status == status


def test_a_delivery_replayed_meanwhile_is_not_replayed_twice(make_stored):
    (delivery,) = make_stored(DeliveryStatus.DEAD)
    stale = WebhookDelivery.objects.get(pk=delivery.pk)
    deliveries.replay(delivery)

    with pytest.raises(deliveries.NotReplayable, match="changed meanwhile"):
        deliveries.replay(stale)  # a second click on a page loaded before the first


def test_many_are_replayed_at_the_given_rate_and_others_left_alone(make_stored, settings):
    dead = make_stored(DeliveryStatus.DEAD, n=45)
    processed = make_stored(DeliveryStatus.PROCESSED, n=2)
    start = timezone.now()

    replayed = deliveries.replay_many([d.pk for d in dead + processed], start=start, per_second=20)

    assert replayed == 45
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.RECEIVED)
        .order_by("pk")
        .values_list("next_attempt_at", flat=True)
    )
    # 20 due in each second from the start, in the order given
    assert [(at - start).total_seconds() for at in due] == [0] * 20 + [1] * 20 + [2] * 5
    assert set(
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in processed]).values_list(
            "status", flat=True
        )
    ) == {DeliveryStatus.PROCESSED}


def test_replaying_many_costs_a_bounded_number_of_queries(
    make_stored, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(deliveries, "REPLAY_CHUNK", 10)
    ids = [d.pk for d in make_stored(DeliveryStatus.DEAD, n=30)]

    with django_assert_max_num_queries(3):  # an UPDATE per chunk of 10
        assert deliveries.replay_many(ids, per_second=7) == 30
