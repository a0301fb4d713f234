"""One delivery → runs of every active workflow listening to it, from a single fetch."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from integrations import deliveries
from integrations.models import WebhookDelivery
from workflows import engine, runs
from workflows.models import RunStatus, Workflow, WorkflowRun, WorkflowStatus


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
    planned = runs.plan_for_delivery(workflows, delivery, merge_data, subject_keys)
    with transaction.atomic():
        new_runs = runs.store_planned(planned, delivery)
        deliveries.mark_processed(delivery)
    start_runs([run for run in new_runs if run.status == RunStatus.PENDING])
    return f"processed: {len(new_runs)} run(s) created"


def start_runs(pending: list[WorkflowRun]) -> None:
    """Execute new runs right here while the budget lasts, and hand the rest to other workers.

    Most runs are quick (a condition, an email), and a task per run would cost the cluster
    more than the run itself. Runs are committed rows first, so if this worker dies the
    sweeper picks up whatever it had not finished.
    """
    deadline = time.monotonic() + settings.FANOUT_INLINE_SECONDS
    for run in pending:
        if time.monotonic() < deadline:
            engine.execute(run.pk)
        else:
            runs.enqueue(run.pk)
