"""A delivery whose task never reaches the queue (broker down, message lost) is not lost.

The receiver stores the delivery before it enqueues, and answers 200 even when enqueueing
fails; the sweeper hands out every delivery not claimed within its lease.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import WebhookDelivery
from tests.reliability.conftest import secret_header, shipment
from workflows import tasks
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


def broken_broker(delivery_id: int) -> None:
    raise ConnectionError("broker unreachable")


def test_failed_enqueue_is_picked_up_by_the_sweeper(
    client,
    standin,
    make_active_workflow,
    settings,
    mailoutbox,
    caplog,
    django_capture_on_commit_callbacks,
):
    # Given the broker is unreachable when a delivery arrives
    _wf, sub = make_active_workflow()
    settings.DELIVERY_ENQUEUE = "tests.reliability.test_lost_messages.broken_broker"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/webhooks/bigcommerce/{sub.uuid}/",
            json.dumps(shipment(1101)),
            content_type="application/json",
            **secret_header(sub),
        )
    # Then BigCommerce still gets its 200: the delivery is stored, waiting, and the failure logged
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("received", 0)
    logged = [r for r in caplog.records if "sweeper will pick it up" in r.getMessage()]
    assert [r.levelno for r in logged] == [logging.ERROR]
    # ... not handed out again before its lease is over
    assert tasks.sweep() == {"deliveries": 0, "runs": 0}

    # When the broker is back and the lease is over, the sweeper hands it out
    settings.DELIVERY_ENQUEUE = "workflows.tasks.enqueue_delivery"
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep() == {"deliveries": 1, "runs": 0}
    # Then it is processed once, its run succeeds and its email is sent
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", 1)
    assert WorkflowRun.objects.get().status == "succeeded"
    assert len(mailoutbox) == 1
