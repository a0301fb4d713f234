"""If / else in runs: the branch taken, the steps that ran, a delay in a branch, a failing
branch step and its retry — driven by BigCommerce-shaped deliveries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import rule
from workflows import engine, runs, services, tasks
from workflows.models import Step, StepResult, WorkflowRun
from workflows.steps import validate_steps

pytestmark = pytest.mark.django_db

TOTAL = "[BigCommerce | Order | total_inc_tax]"  # the sample order's is "69.8400"
TEAM = {
    "to": "team@shop.example",
    "subject": "Unhappy customer on order [BigCommerce | Order | id]",
    "body": "Call [BigCommerce | Customer | first_name].",
}
REVIEW = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Review your order [BigCommerce | Order | id]",
    "body": "Leave a review: https://shop.example/review?order=[BigCommerce | Order | id]",
}
THANKS = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Thanks",
    "body": "Thanks, [BigCommerce | Customer | first_name].",
}


def if_else(operator, value, then=(), otherwise=()):
    return {
        "type": "if_else",
        "config": {
            "condition": {"match": "all", "rules": [rule(TOTAL, operator, value)]},
            "then": list(then),
            "else": list(otherwise),
        },
    }


def email(config):
    return {"type": "send_email", "config": config}


def with_steps(make_workflow, *steps, **fields):
    """An active shipment workflow with `steps`, validated as a save validates them."""
    workflow = make_workflow("shipment_created", **fields)
    for position, step in enumerate(validate_steps(list(steps), "shipment_created")):
        Step.objects.create(workflow=workflow, position=position, **step)
    return workflow


def log(run):
    """The run's step log: (label, type, status, branch) in run order."""
    return [
        (r.step_label, r.type, r.status, r.branch)
        for r in StepResult.objects.filter(run=run).in_run_order()
    ]


def test_a_low_score_emails_the_team_and_the_steps_after_the_block_run(
    make_workflow, store, fire, mailoutbox
):
    # given "if the order total is below 100, email the team; else ask for a review", then a
    # thank-you to the customer after the block
    with_steps(
        make_workflow,
        if_else("lt", 100, then=[email(TEAM)], otherwise=[email(REVIEW)]),
        email(THANKS),
    )

    # when a shipment of the 69.84 order arrives
    fire()

    # then the team got the email, the customer only the thanks, and the log shows the branch
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded"
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["team@shop.example"], "Unhappy customer on order 251"),
        (["jane.smith@example.com"], "Thanks"),
    ]
    assert log(run) == [
        ("1", "if_else", "succeeded", "then"),
        ("1 · then 1", "send_email", "succeeded", "then"),
        ("2", "send_email", "succeeded", ""),
    ]
    decision = StepResult.objects.get(run=run, position=0, branch_position=None)
    assert "Condition met" in decision.detail and "“then” branch" in decision.detail


def test_a_high_score_takes_the_else_branch_with_the_review_link(
    make_workflow, store, fire, mailoutbox
):
    # given the same block, but the order is not below 50
    with_steps(make_workflow, if_else("lt", 50, then=[email(TEAM)], otherwise=[email(REVIEW)]))

    # when
    fire()

    # then only the customer's review email went out, from the else branch
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded"
    (mail,) = mailoutbox
    assert mail.to == ["jane.smith@example.com"]
    assert "review?order=251" in mail.body
    assert log(run) == [
        ("1", "if_else", "succeeded", "else"),
        ("1 · else 1", "send_email", "succeeded", "else"),
    ]


def test_a_delay_in_a_branch_waits_and_resumes_in_the_branch(
    make_workflow, store, fire, mailoutbox
):
    # given "below 100: wait 3 days, then email the team"
    with_steps(
        make_workflow,
        if_else(
            "lt",
            100,
            then=[{"type": "delay", "config": {"amount": 3, "unit": "days"}}, email(TEAM)],
            otherwise=[email(REVIEW)],
        ),
    )

    # when the shipment arrives
    fire()

    # then the run waits in the branch (decided and parked when it was created)
    run = WorkflowRun.objects.get()
    assert run.status == "waiting" and mailoutbox == []
    assert log(run) == [
        ("1", "if_else", "succeeded", "then"),
        ("1 · then 1", "delay", "waiting", "then"),
    ]

    # when, meanwhile, the order grew (the condition would now be false), and the days pass
    store.order["total_inc_tax"] = "250.0000"
    StepResult.objects.filter(run=run).update(resume_at=timezone.now())
    WorkflowRun.objects.filter(pk=run.pk).update(resume_at=timezone.now())
    assert tasks.sweep()["runs"] == 1

    # then the run went on in the branch it had taken, after the delay, and nothing else ran
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert [m.to for m in mailoutbox] == [["team@shop.example"]]
    assert log(run) == [
        ("1", "if_else", "succeeded", "then"),
        ("1 · then 1", "delay", "succeeded", "then"),
        ("1 · then 2", "send_email", "succeeded", "then"),
    ]
    assert run.merge_data["BigCommerce | Order | total_inc_tax"] == "250.0000"  # fresh data


def test_a_failing_branch_step_fails_the_run_and_retry_does_not_repeat_the_branch(
    make_workflow, store, fire, mailoutbox, django_capture_on_commit_callbacks
):
    # given "below 100: email the team, then the customer" and a customer with no address
    store.customer_v3["email"] = ""
    with_steps(
        make_workflow,
        if_else("lt", 100, then=[email(TEAM), email(REVIEW)]),
        consent="not_required",
    )

    # when the shipment arrives
    fire()

    # then the team's email went out, the customer's step failed, and the run says so
    run = WorkflowRun.objects.get()
    assert run.status == "failed"
    assert [m.to for m in mailoutbox] == [["team@shop.example"]]
    assert log(run) == [
        ("1", "if_else", "succeeded", "then"),
        ("1 · then 1", "send_email", "succeeded", "then"),
        ("1 · then 2", "send_email", "failed", "then"),
    ]
    assert run.error

    # when the address is fixed and the run retried
    WorkflowRun.objects.filter(pk=run.pk).update(
        merge_data={**run.merge_data, "BigCommerce | Customer | email": "fixed@example.com"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        runs.retry(run)

    # then only the failed step ran again: the team was not emailed twice
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert [m.to for m in mailoutbox] == [["team@shop.example"], ["fixed@example.com"]]
    assert log(run)[-1] == ("1 · then 2", "send_email", "succeeded", "then")


def test_a_false_condition_step_in_a_branch_stops_the_run(make_workflow, store, fire, mailoutbox):
    # given a branch whose own condition fails before its email
    guard = {"type": "condition", "config": {"rules": [rule(TOTAL, "gt", 1000)]}}
    with_steps(make_workflow, if_else("lt", 100, then=[guard, email(TEAM)]), email(THANKS))

    # when
    fire()

    # then the run stopped in the branch: no email, not even the one after the block
    run = WorkflowRun.objects.get()
    assert run.status == "stopped" and mailoutbox == []
    assert log(run)[-1] == ("1 · then 1", "condition", "stopped", "then")


def test_an_empty_branch_goes_on_to_the_next_step(make_workflow, store, fire, mailoutbox):
    # given an If / else with nothing to do when the order is small
    with_steps(make_workflow, if_else("gt", 100, then=[email(TEAM)]), email(THANKS))

    # when
    fire()

    # then the else branch (empty) was taken and the next step ran
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded"
    assert [m.subject for m in mailoutbox] == ["Thanks"]
    assert log(run) == [("1", "if_else", "succeeded", "else"), ("2", "send_email", "succeeded", "")]


def test_a_duplicated_task_never_repeats_a_branch_email(make_workflow, store, fire, mailoutbox):
    # given a run that emailed the team from a branch
    with_steps(make_workflow, if_else("lt", 100, then=[email(TEAM)]))
    fire()
    run = WorkflowRun.objects.get()

    # when its task comes again after the lease "expired" with the run forced back to running
    WorkflowRun.objects.filter(pk=run.pk).update(
        status="running", leased_until=timezone.now(), next_position=0
    )
    engine.execute(run.pk)

    # then the email went out once
    assert len(mailoutbox) == 1


def test_a_test_event_takes_a_branch_with_its_delay_skipped(create_workflow, manager, mailoutbox):
    # given a draft whose then branch waits a day and emails the customer
    workflow = create_workflow(
        steps=validate_steps(
            [
                if_else(
                    "lt",
                    100,
                    then=[
                        {"type": "delay", "config": {"amount": 1, "unit": "days"}},
                        email(REVIEW),
                    ],
                )
            ],
            "shipment_created",
        )
    )

    # when a test event runs it
    run = services.run_test_event(workflow, manager)

    # then the branch ran at once, its email to the tester
    assert run.status == "succeeded"
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert [row[:3] for row in log(run)] == [
        ("1", "if_else", "succeeded"),
        ("1 · then 1", "delay", "succeeded"),
        ("1 · then 2", "send_email", "succeeded"),
    ]


def test_activation_sees_a_customer_email_inside_a_branch(create_workflow, settings):
    # given no public address, and a customer email only inside a branch
    settings.PUBLIC_BASE_URL = ""
    steps = validate_steps([if_else("lt", 100, otherwise=[email(REVIEW)])], "shipment_created")
    workflow = create_workflow(steps=steps)

    # when / then: it can't be activated (its email would carry no unsubscribe link)
    with pytest.raises(services.CannotActivate, match="PUBLIC_BASE_URL"):
        services.activate(workflow)
