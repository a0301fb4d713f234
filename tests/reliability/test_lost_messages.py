"""A delivery whose task is lost (a cluster stopped after its relay handed it out) is not lost.

The receiver only stores the delivery. A cluster's relay hands due deliveries out for one
lease; if the task never runs, the delivery comes due again when the lease is over and is
handed out again. Only one relay can hold a delivery at a time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from integrations import deliveries
from integrations.models import WebhookDelivery
from tests.factories import post_delivery, shipment
from tests.harness import run_due_deliveries
from workflows import tasks
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


def receive(client, sub, order_id: int):
    assert post_delivery(client, sub, shipment(order_id)).status_code == 200


def test_a_lost_relayed_task_is_handed_out_again_after_its_lease(
    client, standin, make_active_workflow, relay_mode, mailoutbox
):
    # Given a stored delivery, due at once: the receiver did nothing else
    _wf, sub = make_active_workflow()
    receive(client, sub, 1101)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("received", 0)
    assert delivery.next_attempt_at <= timezone.now()
    # When a relay hands it out and its task is lost (the cluster stopped)
    assert deliveries.hand_out(50) == [delivery.pk]
    # Then no relay hands it out again while the lease lasts
    assert deliveries.hand_out(50) == []
    assert run_due_deliveries() == 0

    # When the lease is over, the next poll hands it out again
    WebhookDelivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    assert run_due_deliveries() == 1
    # Then it is processed once, its run succeeds and its email is sent
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", 1)
    assert WorkflowRun.objects.get().status == "succeeded"
    assert len(mailoutbox) == 1
    assert run_due_deliveries() == 0


def test_a_delivery_no_relay_took_for_a_whole_lease_is_swept(
    client, standin, make_active_workflow, relay_mode, settings
):
    # Given a delivery that waited a whole lease past its time (no cluster was running)
    _wf, sub = make_active_workflow()
    receive(client, sub, 1102)
    assert tasks.sweep()["deliveries"] == 0  # due, but the relay's to hand out
    late = timezone.now() - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1)
    WebhookDelivery.objects.update(next_attempt_at=late)
    # When the sweeper runs (its schedule, once a minute), it enqueues it on the broker
    assert tasks.sweep()["deliveries"] == 1
    if not settings.REDIS_URL:
        assert OrmQ.objects.count() == 1
    Schedule.objects.all().delete()
