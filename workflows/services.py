"""Workflow rules: create and change workflows with their steps, activate, pause, delete, test.

BigCommerce hooks follow the workflows: activating the first workflow of an authentication ×
event registers its hook, pausing or deleting the last one removes it.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from integrations import subscriptions
from integrations.merge_data import ALL, build_merge_data, search_keys
from integrations.models import WebhookSubscription
from integrations.sample_data import sample_resources
from workflows import engine
from workflows.models import RunStatus, Step, Workflow, WorkflowRun, WorkflowStatus
from workflows.steps import validate_steps
from workflows.steps.registry import StepsValidationError


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


def create_workflow(*, account, created_by, steps: list[dict], **fields) -> Workflow:
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
    with transaction.atomic():
        for name, value in fields.items():
            setattr(workflow, name, value)
        workflow.save()
        if steps is not None:
            replace_steps(workflow, steps)
        subscription_of(workflow)
    follow_hooks(before, workflow)
    return workflow


def set_status(workflow: Workflow, status: str) -> Workflow:
    Workflow.objects.filter(pk=workflow.pk).update(status=status, updated_at=timezone.now())
    workflow.status = status
    sync_hook(workflow.authentication, workflow.event)
    return workflow


def activate(workflow: Workflow) -> Workflow:
    return set_status(workflow, WorkflowStatus.ACTIVE)


def pause(workflow: Workflow) -> Workflow:
    return set_status(workflow, WorkflowStatus.PAUSED)


def delete_workflow(workflow: Workflow) -> None:
    authentication, event = workflow.authentication, workflow.event
    workflow.delete()
    sync_hook(authentication, event)


def run_test_event(workflow: Workflow, user) -> WorkflowRun:
    """Run `workflow` now on built-in sample data shaped like BigCommerce's examples: delays are
    skipped and emails go only to `user`."""
    resources = sample_resources(workflow.event, store_hash=workflow.authentication.store_hash)
    merge_data = build_merge_data(workflow.event, resources, ALL)
    found_by = search_keys(merge_data)
    run = WorkflowRun.objects.create(
        workflow=workflow,
        is_test=True,
        triggered_by=user,
        status=RunStatus.PENDING,
        merge_data=merge_data,
        order_id=found_by.order_id,
        customer_email=found_by.customer_email,
    )
    engine.execute(run.pk)
    run.refresh_from_db()
    return run
