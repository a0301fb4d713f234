"""Runs with real steps, driven by BigCommerce-shaped deliveries."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.events import get_event
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body
from workflows import engine, runs, services, tasks
from workflows.models import Step, StepResult, WorkflowRun

pytestmark = pytest.mark.django_db
EMAIL = "send_email"
SURVEY = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "How was order [BigCommerce | Order | id], [BigCommerce | Customer | first_name]?",
    "body": "Total: [BigCommerce | Order | total_inc_tax]",
}


def with_steps(make_workflow, *steps, event="shipment_created", **kwargs):
    wf = make_workflow(event, **kwargs)
    for i, (step_type, config) in enumerate(steps):
        Step.objects.create(workflow=wf, position=i, type=step_type, config=config)
    return wf


def fire(auth, post_delivery, event="shipment_created", **data):
    response = post_delivery(subscription_for(auth, event), delivery_body(event, **data))
    assert response.status_code == 200


def test_shipment_survey_email_is_sent_with_merge_values(
    make_workflow, auth, post_delivery, store, mailoutbox
):
    with_steps(make_workflow, (EMAIL, SURVEY))
    fire(auth, post_delivery)
    (mail,) = mailoutbox
    assert mail.to == ["jane.smith@example.com"]
    assert mail.subject == "How was order 251, Jane?"
    assert mail.body.startswith("Total: 69.8400\n")
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded"
    assert run.step_results.get().status == "succeeded"


def test_condition_on_numeric_string_total(make_workflow, auth, post_delivery, store, mailoutbox):
    big_orders = {
        "match": "all",
        "rules": [
            {"merge_code": "BigCommerce | Order | total_inc_tax", "operator": "gt", "value": "100"}
        ],
    }
    with_steps(make_workflow, ("condition", big_orders), (EMAIL, SURVEY))
    fire(auth, post_delivery)
    run = WorkflowRun.objects.get()
    assert run.status == "stopped"
    assert mailoutbox == []
    assert "69.84" in run.step_results.get(position=0).detail


def test_delay_parks_the_run_and_the_sweeper_resumes_it(
    make_workflow, auth, post_delivery, store, mailoutbox
):
    with_steps(make_workflow, ("delay", {"amount": 3, "unit": "days"}), (EMAIL, SURVEY))
    fire(auth, post_delivery)
    run = WorkflowRun.objects.get()
    assert run.status == "waiting"
    assert run.resume_at > timezone.now() + timedelta(days=2, hours=23)
    assert tasks.sweep()["runs"] == 0 and mailoutbox == []
    # When three days have passed
    StepResult.objects.filter(run=run).update(resume_at=timezone.now())
    WorkflowRun.objects.filter(pk=run.pk).update(resume_at=timezone.now())
    assert tasks.sweep()["runs"] == 1
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert len(mailoutbox) == 1


def test_duplicated_run_task_never_emails_twice(
    make_workflow, auth, post_delivery, store, mailoutbox
):
    with_steps(make_workflow, (EMAIL, SURVEY))
    fire(auth, post_delivery)
    run = WorkflowRun.objects.get()
    # A duplicate task, and one after the lease "expired" with the run forced back to running
    assert engine.execute(run.pk).startswith("skipped")
    WorkflowRun.objects.filter(pk=run.pk).update(
        status="running", leased_until=timezone.now(), next_position=0
    )
    engine.execute(run.pk)
    assert len(mailoutbox) == 1


def test_interrupted_email_is_reported_not_resent(
    make_workflow, auth, post_delivery, store, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wf = with_steps(make_workflow, (EMAIL, SURVEY), status="active", consent="not_required")
    run = WorkflowRun.objects.create(
        workflow=wf,
        merge_data={"BigCommerce | Customer | email": "a@b.co"},
        status="running",
        leased_until=timezone.now(),
    )
    # A worker recorded the step, then died before finishing it
    StepResult.objects.create(run=run, position=0, type=EMAIL, status="running")
    engine.execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "not repeated" in run.error.lower()
    assert mailoutbox == []
    # An explicit retry sends it
    with capture(execute=True):
        runs.retry(run)
    run.refresh_from_db()
    assert run.status == "succeeded" and len(mailoutbox) == 1


def test_failed_run_is_retried_from_the_failed_step(
    make_workflow, auth, post_delivery, store, mailoutbox, django_capture_on_commit_callbacks
):
    store.customer_v3["email"] = ""  # no address: the email step fails
    with_steps(make_workflow, (EMAIL, SURVEY))
    fire(auth, post_delivery)
    run = WorkflowRun.objects.get()
    assert run.status == "failed" and mailoutbox == []
    WorkflowRun.objects.filter(pk=run.pk).update(
        merge_data={**run.merge_data, "BigCommerce | Customer | email": "fixed@example.com"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        runs.retry(run)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert mailoutbox[0].to == ["fixed@example.com"]
    with pytest.raises(runs.NotRetryable):
        runs.retry(run)


def test_http_step_posts_merge_data_to_allowlisted_loopback(
    make_workflow, auth, post_delivery, store, loopback_receiver
):
    url = loopback_receiver.base + "/hooks/survey?email=[BigCommerce | Customer | email]"
    with_steps(
        make_workflow,
        ("http_request", {"method": "POST", "url": url, "headers": {"X-Source": "bc"}}),
    )
    fire(auth, post_delivery)
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded", run.error
    (received,) = loopback_receiver.received
    path, headers, body = received.path, received.headers, received.body
    assert path == "/hooks/survey?email=jane.smith%40example.com"
    assert headers["X-Source"] == "bc"
    assert json.loads(body)["BigCommerce | Order | id"] == 251
    assert "→ 204" in run.step_results.get().detail


def test_http_step_to_private_address_is_refused_at_save(make_workflow):
    from django.core.exceptions import ValidationError

    from workflows.steps.registry import validate_step

    with pytest.raises(ValidationError):
        validate_step("http_request", {"url": "https://10.0.0.5/x"}, "shipment_created")


def test_send_once_guard_suppresses_a_second_shipment_of_the_same_order(
    make_workflow, auth, post_delivery, store, mailoutbox
):
    with_steps(make_workflow, (EMAIL, SURVEY), send_once_scope="order", send_once_days=30)
    fire(auth, post_delivery)
    # A split shipment: another shipment of order 251, a different delivery hash
    body = delivery_body("shipment_created", id=13)
    body["hash"] = "another-hash-for-the-second-shipment"
    post_delivery(subscription_for(auth, "shipment_created"), body)
    first, second = WorkflowRun.objects.order_by("pk")
    assert first.status == "succeeded"
    assert (second.status, second.skip_reason) == ("skipped", "send_once")
    assert "send-once" in second.error
    assert len(mailoutbox) == 1


def test_test_event_runs_on_sample_data_and_emails_only_the_requester(
    make_workflow, manager, mailoutbox, store
):
    wf = with_steps(
        make_workflow, ("delay", {"amount": 2, "unit": "days"}), (EMAIL, SURVEY), status="draft"
    )
    run = services.run_test_event(wf, manager)
    assert run.is_test and run.status == "succeeded"
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert run.merge_data["BigCommerce | Order | id"]
    assert len(store.rsps.calls) == 0  # sample data: no store call


def test_test_event_over_the_api(api_client, manager, make_workflow, mailoutbox):
    wf = with_steps(make_workflow, (EMAIL, SURVEY), status="draft")
    api_client.force_authenticate(manager)
    response = api_client.post(f"/api/v1/workflows/{wf.pk}/test/")
    assert response.status_code == 201
    data = response.json()
    assert data["is_test"] is True and data["status"] == "succeeded"
    assert data["steps"][0]["status"] == "succeeded"
    assert len(data["merge_data"]) == len(get_event("shipment_created").merge_codes)


def test_steps_through_the_api_are_validated(api_client, manager, auth):
    api_client.force_authenticate(manager)
    body = {
        "name": "Bad",
        "initiator": {"type": "bigcommerce", "event": "cart_abandoned", "authentication": auth.pk},
        "steps": [{"type": EMAIL, "config": {**SURVEY}}],  # Order codes don't exist for carts
    }
    response = api_client.post("/api/v1/workflows/", body, format="json")
    assert response.status_code == 400
    text = json.dumps(response.json())
    assert "BigCommerce | Order | id" in text and "BigCommerce | Cart | id" in text


def test_changing_the_event_over_the_api_revalidates_the_stored_steps(
    api_client, manager, make_workflow, auth
):
    # Given a workflow whose email uses order codes
    wf = with_steps(make_workflow, (EMAIL, SURVEY))
    api_client.force_authenticate(manager)
    url = f"/api/v1/workflows/{wf.pk}/"
    initiator = {"type": "bigcommerce", "authentication": auth.pk}
    # When it is moved to an event without orders, it is refused, naming the codes
    response = api_client.patch(
        url, {"initiator": {**initiator, "event": "cart_abandoned"}}, format="json"
    )
    assert response.status_code == 400
    assert "BigCommerce | Order | id" in json.dumps(response.json())
    wf.refresh_from_db()
    assert wf.event == "shipment_created"
    # ... and to one with orders, it moves, keeping its step
    response = api_client.patch(
        url, {"initiator": {**initiator, "event": "cart_converted"}}, format="json"
    )
    assert response.status_code == 200, response.json()
    wf.refresh_from_db()
    assert wf.event == "cart_converted"
    assert wf.steps.get().config["subject"] == SURVEY["subject"]


def test_retry_over_the_api(
    api_client,
    manager,
    make_workflow,
    auth,
    post_delivery,
    store,
    django_capture_on_commit_callbacks,
):
    store.customer_v3["email"] = ""
    with_steps(make_workflow, (EMAIL, SURVEY))
    fire(auth, post_delivery)
    run = WorkflowRun.objects.get()
    api_client.force_authenticate(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/v1/runs/{run.pk}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"  # queued; the worker runs it
    run.refresh_from_db()
    assert run.status == "failed"  # still no address: failed again, visibly
    assert run.step_results.count() == 1
