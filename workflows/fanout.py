"""One delivery → runs of every active workflow listening to it, from a single fetch."""

from __future__ import annotations

from django.db import transaction

from integrations import deliveries
from integrations.models import WebhookDelivery
from workflows import runs
from workflows.models import Workflow, WorkflowStatus


def listening_workflows(delivery: WebhookDelivery) -> list[Workflow]:
    sub = delivery.subscription
    return list(
        Workflow.objects.filter(
            authentication_id=sub.authentication_id, event=sub.event, status=WorkflowStatus.ACTIVE
        ).order_by("pk")
    )


def process(delivery: WebhookDelivery) -> str:
    workflows = listening_workflows(delivery)
    if not workflows:
        deliveries.mark_processed(delivery, "No active workflow listens to this event.")
        return "processed: no active workflow"
    try:
        # The BigCommerce calls happen once here, however many workflows listen.
        _resources, merge_data, subject_keys = deliveries.fetch(delivery)
    except Exception as exc:  # the policy module decides retry vs fail by error class
        return deliveries.handle_error(delivery, exc)
    with transaction.atomic():
        created = [
            runs.create_for_delivery(wf, delivery, merge_data, subject_keys) for wf in workflows
        ]
        deliveries.mark_processed(delivery)
    return f"processed: {sum(1 for _, new in created if new)} run(s) created"
