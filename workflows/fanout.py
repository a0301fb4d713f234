"""One delivery → runs of every active workflow listening to it, from a single fetch.

The fetch asks for what the listening workflows' steps use: the brief's codes always (their
calls are the minimum anyway), an extra code's resource only when some step names it
(``codes_used``, kept per workflow until it or its steps change). The runs are then planned in
memory (their leading steps without side effects evaluated), stored together with the
delivery's new state in one transaction, then started.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from initiator_site.db import fast_insert
from integrations import deliveries
from integrations.deliveries import lease
from integrations.merge_data import search_keys
from integrations.models import WebhookDelivery
from workflows import broker, engine, filtering, runs, used_codes
from workflows.models import (
    SEND_ONCE_DEFAULTS,
    RunStatus,
    SkipReason,
    Step,
    StepResult,
    Workflow,
    WorkflowRun,
    WorkflowStatus,
)


def listening_workflows(delivery: WebhookDelivery) -> list[Workflow]:
    sub = delivery.subscription
    return list(
        Workflow.objects.filter(
            authentication_id=sub.authentication_id, event=sub.event, status=WorkflowStatus.ACTIVE
        )
        .select_related("authentication")  # its store time zone, for delays and windows
        .defer(*(f"authentication__{name}" for name in runs.SECRET_FIELDS))
        .order_by("pk")
    )


def process(delivery: WebhookDelivery) -> str:
    workflows = listening_workflows(delivery)
    if not workflows:
        deliveries.mark_processed(delivery, "No active workflow listens to this event.")
        return "processed: no active workflow"
    steps = Step.objects.by_workflow(wf.pk for wf in workflows)
    try:
        # The BigCommerce calls happen once here, however many workflows listen.
        _resources, merge_data, subject_keys = deliveries.fetch(
            delivery, used_codes.codes_used(workflows, steps)
        )
    except Exception as exc:  # the policy module decides retry vs fail by error class
        return deliveries.handle_error(delivery, exc)
    # Trigger filters: after the one fetch, before any run exists.
    workflows, held = filtering.split(workflows, merge_data)
    planned = plan(workflows, delivery, merge_data, subject_keys, steps)
    with transaction.atomic():
        new_runs = store(planned, delivery)
        filtering.record(delivery, held)
        deliveries.mark_processed(delivery, filtering.note(held))
    start_runs([run for run in new_runs if run.status == RunStatus.PENDING])
    filtered = f", {len(held)} held back by trigger filters" if held else ""
    return f"processed: {len(new_runs)} run(s) created{filtered}"


@dataclass
class Planned:
    """A run prepared in memory: not stored, its side-effect-free first steps evaluated."""

    run: WorkflowRun
    ahead: list[StepResult]


def plan(
    workflows: list[Workflow],
    delivery: WebhookDelivery,
    merge_data: dict,
    subject_keys: dict,
    steps: dict[int, list[Step]] | None = None,
) -> list[Planned]:
    """The runs `delivery` would start, built and evaluated in memory (conditions, delays)
    before any transaction: on SQLite the write lock is then held only for the writes."""
    if steps is None:
        steps = Step.objects.by_workflow(wf.pk for wf in workflows)
    now = timezone.now()
    found_by = search_keys(merge_data)  # the runs list's search columns, in the same INSERT
    planned = []
    for workflow in workflows:
        # The key is kept even while send-once is off, so that turning it on counts the runs
        # from before (services.rekey_runs does the same for a scope other than the default).
        scope = workflow.send_once_scope or SEND_ONCE_DEFAULTS.get(workflow.event, "")
        subject = subject_keys.get(scope) or "" if scope else ""
        run = WorkflowRun(
            workflow=workflow,
            delivery=delivery,
            merge_data=merge_data,
            subject_key=subject[:200],
            leased_until=now + lease(),
            order_id=found_by.order_id,
            customer_email=found_by.customer_email,
        )
        ahead = engine.run_ahead(run, steps[workflow.pk], engine.context_for(run, now))
        planned.append(Planned(run, ahead))
    return planned


def store(planned: list[Planned], delivery: WebhookDelivery) -> list[WorkflowRun]:
    """Store the planned runs that don't exist yet (call in a transaction) and return them: a
    few queries whatever the fan-out, plus the send-once guard's for workflows that use it.
    The caller starts the pending ones (`start_runs`).

    A workflow that already has a run for this delivery (a replayed delivery) gets no new
    one: a failed run is retried from the step that failed, any other is left as it is
    (docs/architecture.md, "Replay")."""
    existing = dict(
        WorkflowRun.objects.filter(
            delivery=delivery, workflow__in=[p.run.workflow for p in planned]
        ).values_list("workflow_id", "status")
    )
    if RunStatus.FAILED in existing.values():
        runs.retry_failed(WorkflowRun.objects.filter(delivery=delivery))
    todo = [p for p in planned if p.run.workflow_id not in existing]
    for p in todo:
        if p.run.workflow.send_once_scope and p.run.subject_key and skip_repeat(p.run):
            p.ahead = []
    new_runs = [p.run for p in todo]
    fast_insert.insert_many(new_runs)  # each run holds a copy of the merge data: see fast_insert
    for p in todo:
        for result in p.ahead:
            result.run = p.run
    fast_insert.insert_many([result for p in todo for result in p.ahead])
    return new_runs


def already_ran_for(workflow: Workflow, subject_key: str) -> WorkflowRun | None:
    """The send-once guard: an earlier real run of `workflow` for the same subject within the
    window (skipped runs don't count: they never did anything)."""
    since = timezone.now() - timedelta(days=workflow.send_once_days)
    return (
        WorkflowRun.objects.filter(
            workflow=workflow, subject_key=subject_key, is_test=False, created_at__gte=since
        )
        .exclude(status=RunStatus.SKIPPED)
        .order_by("created_at")
        .first()
    )


def skip_repeat(run: WorkflowRun) -> bool:
    """The send-once guard, for an unsaved run with a subject: if its workflow already ran for
    that subject within the window, the run is skipped (it never executes) and says why."""
    workflow, now = run.workflow, timezone.now()
    # Serialise guard checks per workflow so two deliveries of one order can't both pass.
    Workflow.objects.select_for_update().filter(pk=workflow.pk).first()
    earlier = already_ran_for(workflow, run.subject_key)
    if earlier is None:
        return False
    run.status, run.skip_reason = RunStatus.SKIPPED, SkipReason.SEND_ONCE
    run.error = (
        f"Skipped by the send-once guard: run #{earlier.pk} already ran for "
        f"{run.subject_key} within {workflow.send_once_days} day(s)."
    )
    run.next_position = 0
    run.started_at = None
    run.finished_at = now
    run.resume_at = run.leased_until = None
    return True


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
            broker.enqueue_run(run.pk)
