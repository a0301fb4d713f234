"""Workflow rules: create and change workflows with their steps, activate, pause, delete, test.

BigCommerce hooks follow the workflows: activating the first workflow of an authentication ×
event registers its hook, pausing or deleting the last one removes it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations import subscriptions
from integrations.events import EVENTS
from integrations.merge_data import resources_in, search_keys, subject_keys
from integrations.models import WebhookSubscription
from workflows import engine, test_data
from workflows.models import (
    SEND_ONCE_DEFAULTS,
    RunStatus,
    Step,
    TestData,
    Workflow,
    WorkflowRun,
    WorkflowStatus,
)
from workflows.steps import validate_steps
from workflows.steps.registry import StepsValidationError, each_step

NO_UNSUBSCRIBE_ADDRESS = (
    "This workflow emails customers, and every customer email carries an unsubscribe link, "
    "which needs this app's public address: set PUBLIC_BASE_URL (its https:// address), then "
    "activate it. Test events work meanwhile."
)


class CannotActivate(Exception):
    """The workflow can't start listening yet; the message says what to fix."""


def subscription_of(workflow: Workflow) -> WebhookSubscription:
    return subscriptions.subscription_for(workflow.authentication, workflow.event)


def sync_hook(authentication, event: str) -> WebhookSubscription:
    """Bring the shared hook of (authentication, event) in line with its workflows. Only calls
    BigCommerce when something must change."""
    sub = subscriptions.subscription_for(authentication, event)
    wanted = Workflow.objects.filter(
        authentication=authentication, event=event, status=WorkflowStatus.ACTIVE
    ).exists()
    needs_call = (
        wanted != sub.wanted
        or (wanted and sub.status != "registered")
        or (not wanted and sub.hook_id is not None)
    )
    if needs_call:
        subscriptions.sync(sub, wanted)
    return sub


def replace_steps(workflow: Workflow, steps: list[dict]) -> None:
    """Steps arrive validated, in order; positions are always 0..n-1."""
    Step.objects.filter(workflow=workflow).delete()
    Step.objects.bulk_create(
        Step(workflow=workflow, position=i, type=s["type"], config=s["config"])
        for i, s in enumerate(steps)
    )


def steps_under_event(workflow: Workflow, event: str) -> list[dict]:
    """The workflow's steps, validated for `event`: a workflow moves to another event only if
    its steps still make sense there (every merge code they use is one the event offers).
    Raises ``StepsValidationError`` naming each step and the codes that no longer fit (not
    the new event's whole list)."""
    steps = Step.objects.by_workflow([workflow.pk])[workflow.pk]
    current = [{"type": step.type, "config": step.config} for step in steps]
    try:
        return validate_steps(current, event)
    except StepsValidationError as exc:
        raise StepsValidationError(_misfits(exc.by_index), exc.labels, exc.count) from None


_VALID_CODES_RE = re.compile(r" Valid codes: .*\Z", re.DOTALL)


def _misfits(problems):
    """The problems without the listing of every valid code after each unknown one."""
    if isinstance(problems, dict):
        return {key: _misfits(value) for key, value in problems.items()}
    if isinstance(problems, list):
        return [_misfits(value) for value in problems]
    return _VALID_CODES_RE.sub("", problems) if isinstance(problems, str) else problems


def event_defaults(event_key) -> dict:
    """A new workflow's settings its event decides: the trigger filter (e.g. new orders still
    awaiting payment are skipped) and the order statuses that stop a run after a wait (a
    refund's workflow is not stopped by its own refund)."""
    event = EVENTS.get(event_key)
    if event is None:
        return {}
    defaults: dict = {"trigger_filter": dict(event.default_filter)}
    if event.stop_on_order_statuses is not None:
        defaults["stop_on_order_statuses"] = event.stop_on_order_statuses
    return defaults


def create_workflow(*, account, created_by, steps: list[dict], **fields) -> Workflow:
    """A new draft. Send-once is on by default: once per order for shipments and converted
    carts, once per cart for abandoned ones (pass ``send_once_scope=""`` to turn it off)."""
    fields.setdefault("send_once_scope", SEND_ONCE_DEFAULTS.get(fields.get("event"), ""))
    fields.update(
        (name, value)
        for name, value in event_defaults(fields.get("event")).items()
        if name not in fields
    )
    with transaction.atomic():
        workflow = Workflow.objects.create(account=account, created_by=created_by, **fields)
        replace_steps(workflow, steps)
        subscription_of(workflow)  # the webhook URL exists from the start
    return workflow


def follow_hooks(before: tuple, workflow: Workflow) -> None:
    """After a save that may have moved `workflow` to another authentication or event: the old
    hook and the new one both follow. `before` is (authentication, event) before the save."""
    if (before[0].pk, before[1]) != (workflow.authentication_id, workflow.event):
        sync_hook(*before)
        sync_hook(workflow.authentication, workflow.event)


def update_workflow(workflow: Workflow, *, steps: list[dict] | None = None, **fields) -> Workflow:
    before = (workflow.authentication, workflow.event)
    scope_before = workflow.send_once_scope
    with transaction.atomic():
        for name, value in fields.items():
            setattr(workflow, name, value)
        workflow.save()
        if steps is not None:
            replace_steps(workflow, steps)
        subscription_of(workflow)
        if workflow.send_once_scope and workflow.send_once_scope != scope_before:
            rekey_runs(workflow)
    follow_hooks(before, workflow)
    return workflow


def rekey_runs(workflow: Workflow) -> int:
    """Give the workflow's real runs within its send-once window the key of its (new) scope,
    from their merge data, so that the runs from before the change count."""
    since = timezone.now() - timedelta(days=workflow.send_once_days)
    changed = []
    runs = WorkflowRun.objects.filter(workflow=workflow, is_test=False, created_at__gte=since)
    for run in runs.only("pk", "merge_data", "subject_key").iterator(chunk_size=500):
        keys = subject_keys(workflow.event, resources_in(run.merge_data))
        key = (keys.get(workflow.send_once_scope) or "")[:200]
        if key != run.subject_key:
            run.subject_key = key
            changed.append(run)
    WorkflowRun.objects.bulk_update(changed, ["subject_key"], batch_size=500)
    return len(changed)


def emails_customers(workflow: Workflow) -> bool:
    """Whether any of its steps (an If / else's branches included) sends an email to an
    address from a merge code."""
    for step in Step.objects.by_workflow([workflow.pk])[workflow.pk]:
        for kind, config in each_step(step.type, step.config):
            if kind.sends_customer_email and kind.customer_recipients_possible(config):
                return True
    return False


def activation_problem(workflow: Workflow) -> str | None:
    """Why the workflow can't be activated, or None."""
    if not settings.PUBLIC_BASE_URL and emails_customers(workflow):
        return NO_UNSUBSCRIBE_ADDRESS
    return None


def set_status(workflow: Workflow, status: str) -> Workflow:
    Workflow.objects.filter(pk=workflow.pk).update(status=status, updated_at=timezone.now())
    workflow.status = status
    sync_hook(workflow.authentication, workflow.event)
    return workflow


def activate(workflow: Workflow) -> Workflow:
    """Start listening; ``CannotActivate`` when a customer email could carry no unsubscribe
    link (no ``PUBLIC_BASE_URL``)."""
    problem = activation_problem(workflow)
    if problem:
        raise CannotActivate(problem)
    return set_status(workflow, WorkflowStatus.ACTIVE)


def pause(workflow: Workflow) -> Workflow:
    return set_status(workflow, WorkflowStatus.PAUSED)


def delete_workflow(workflow: Workflow) -> None:
    authentication, event = workflow.authentication, workflow.event
    workflow.delete()
    sync_hook(authentication, event)


def run_test_event(
    workflow: Workflow,
    user,
    *,
    data: str = TestData.REGISTERED,
    run_id: int | None = None,
    send_http: bool = False,
) -> WorkflowRun:
    """Run `workflow` now on sample data shaped like BigCommerce's examples (a registered
    customer or a guest) or on one of its real runs' data (`data` "run", `run_id`): delays are
    skipped, emails go only to `user`, and HTTP steps are sent only with `send_http`.
    ``test_data.UnknownData`` when `run_id` is not a real run of it."""
    source = test_data.event_data(workflow, data, run_id)
    found_by = search_keys(source.merge_data)
    run = WorkflowRun.objects.create(
        workflow=workflow,
        is_test=True,
        triggered_by=user,
        test_data=source.kind,
        test_source_run_id=source.run.pk if source.run is not None else None,
        test_sends_http=send_http,
        status=RunStatus.PENDING,
        merge_data=source.merge_data,
        order_id=found_by.order_id,
        customer_email=found_by.customer_email,
    )
    engine.execute(run.pk)
    run.refresh_from_db()
    return run


def windowed_authentication_ids() -> list[int]:
    """The authentications of active workflows with a send window (they need the zone)."""
    return list(
        Workflow.objects.filter(status=WorkflowStatus.ACTIVE)
        .exclude(send_window_weekdays="")
        .values_list("authentication_id", flat=True)
        .distinct()
    )
