"""Replaying deliveries over the API: one, or every failed and dead one the list's filters
select (a job on the cluster, its progress at jobs/{id}/). A replay fetches again and fans out;
a workflow whose run for that delivery succeeded is not run again, a failed run is retried."""

from __future__ import annotations

import pytest
from django.core import mail

from integrations.models import WebhookDelivery
from tests.harness import run_due_deliveries
from workflows.models import Job, Step, StepResult, WorkflowRun

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/bigcommerce/deliveries/"
EMAIL = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "How was order [BigCommerce | Order | id]?",
    "body": "Tell us.",
    "format": "text",
}


def emailing_workflow(make_workflow, name):
    """An active workflow emailing the customer; the replays here resend to one customer, so
    the rules that hold repeats back (send once, the frequency cap) are off."""
    workflow = make_workflow("shipment_created", name=name, send_once_scope="")
    workflow.account.frequency_cap_emails = 0
    workflow.account.save(update_fields=["frequency_cap_emails"])
    Step.objects.create(workflow=workflow, position=0, type="send_email", config=EMAIL)
    return workflow


def relay(django_capture_on_commit_callbacks):
    """One poll of the cluster's relay, its tasks (and what they enqueue) run here."""
    with django_capture_on_commit_callbacks(execute=True):
        return run_due_deliveries()


def test_a_dead_delivery_replayed_starts_only_what_did_not_succeed(
    api_client, manager, make_workflow, make_delivery, store, django_capture_on_commit_callbacks
):
    # Given three workflows on a shipment delivery that died: one already ran for it and
    # succeeded, one ran and failed at its email, one never ran
    succeeded = emailing_workflow(make_workflow, "Succeeded before")
    failed = emailing_workflow(make_workflow, "Failed before")
    new = emailing_workflow(make_workflow, "Never ran")
    delivery = make_delivery("shipment_created", status="dead", order_id=251)
    done = WorkflowRun.objects.create(workflow=succeeded, delivery=delivery, status="succeeded")
    broken = WorkflowRun.objects.create(
        workflow=failed,
        delivery=delivery,
        status="failed",
        error="SMTP down",
        merge_data={
            "BigCommerce | Customer | email": "jane.smith@example.com",
            "BigCommerce | Customer | accepts_product_review_abandoned_cart_emails": True,
            "BigCommerce | Order | customer_id": 11,
            "BigCommerce | Order | id": 251,
        },
    )
    StepResult.objects.create(run=broken, position=0, type="send_email", status="failed")

    # When an integration manager replays it and the cluster's relay hands it out
    api_client.force_authenticate(manager)
    response = api_client.post(f"{DELIVERIES}{delivery.pk}/replay/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["attempts"]) == ("received", 0)
    assert relay(django_capture_on_commit_callbacks) == 1

    # Then it was fetched again and processed
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", 1)
    assert store.resource_calls() == ["GET /v2/orders/251", "GET /v3/customers?id:in=11"]
    # The succeeded run was left alone, the failed one ran its email again, the new one ran
    runs = {run.workflow_id: run for run in WorkflowRun.objects.filter(delivery=delivery)}
    assert len(runs) == 3
    assert runs[succeeded.pk].pk == done.pk and runs[succeeded.pk].step_results.count() == 0
    assert runs[failed.pk].pk == broken.pk and runs[failed.pk].status == "succeeded"
    assert runs[new.pk].status == "succeeded"
    assert sorted(m.subject for m in mail.outbox) == ["How was order 251?"] * 2


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("unusable", "An unusable delivery can't be replayed: its body can't be used"),
        ("processed", "Only failed or dead deliveries can be replayed; this one is processed."),
    ],
)
def test_deliveries_that_cannot_be_replayed_are_answered_409_saying_why(
    api_client, manager, make_delivery, status, says
):
    delivery = make_delivery(status=status)
    api_client.force_authenticate(manager)

    response = api_client.post(f"{DELIVERIES}{delivery.pk}/replay/")

    assert response.status_code == 409
    assert response.json()["detail"].startswith(says)
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == status


def test_replay_needs_the_integration_manager_permission(api_client, member, make_delivery):
    delivery = make_delivery(status="dead")
    api_client.force_authenticate(member)

    for url in (f"{DELIVERIES}{delivery.pk}/replay/", f"{DELIVERIES}replay/"):
        response = api_client.post(url)
        assert response.status_code == 403
        assert "Integration Manager" in response.json()["detail"]
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "dead"
    assert not Job.objects.exists()


def test_another_accounts_delivery_and_job_are_not_found(
    api_client, other_member, make_delivery, manager, django_capture_on_commit_callbacks
):
    delivery = make_delivery(status="dead")
    api_client.force_authenticate(manager)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = api_client.post(f"{DELIVERIES}replay/").json()["id"]
    api_client.force_authenticate(other_member)

    assert api_client.post(f"{DELIVERIES}{delivery.pk}/replay/").status_code == 404
    assert api_client.get(f"/api/v1/jobs/{job_id}/").status_code == 404
    # And a bulk replay of theirs finds none of ours
    assert api_client.post(f"{DELIVERIES}replay/").status_code == 409


def test_bulk_replay_of_the_lists_filters_runs_as_a_job_with_progress(
    api_client, manager, member, make_delivery, make_workflow, django_capture_on_commit_callbacks
):
    # Given dead and failed deliveries of two orders, and some that can't be replayed
    make_workflow("shipment_created")
    wanted = [make_delivery(status=s, order_id=251) for s in ("dead", "failed", "dead")]
    other_order = make_delivery(status="dead", order_id=999)
    make_delivery(status="processed", order_id=251)
    make_delivery(status="unusable", order_id=251)
    api_client.force_authenticate(manager)

    # When the manager replays every delivery of order 251 (the list's filter)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{DELIVERIES}replay/?order_id=251")

    # Then a job was queued, and (its task run here) it replayed the three failed or dead ones
    assert response.status_code == 202
    job = response.json()
    assert (job["kind"], job["total"], job["created_by"]) == ("replay_deliveries", 3, "manny")
    api_client.force_authenticate(member)  # anyone of the account may follow it
    progress = api_client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert (progress["status"], progress["done"], progress["total"]) == ("succeeded", 3, 3)
    # The unusable one is said not to be replayable, and why
    assert progress["error_count"] == 1
    assert progress["errors"][0]["error"] == (
        "1 unusable delivery matches too, and can't be replayed: its body can't be used."
    )
    assert progress["finished_at"] is not None
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert [statuses[d.pk] for d in wanted] == ["received"] * 3
    assert statuses[other_order.pk] == "dead"


def test_bulk_replay_with_bad_filters_or_nothing_to_replay_queues_no_job(
    api_client, manager, make_delivery
):
    make_delivery(status="processed")
    make_delivery(status="unusable")
    api_client.force_authenticate(manager)

    bad = api_client.post(f"{DELIVERIES}replay/?created_after=soon")
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in bad.json()["created_after"][0]
    nothing = api_client.post(f"{DELIVERIES}replay/")
    assert nothing.status_code == 409
    assert nothing.json()["detail"] == (
        "No failed or dead delivery matches these filters. 1 unusable delivery matches too, "
        "and can't be replayed: its body can't be used."
    )
    assert not Job.objects.exists()


def test_the_schema_documents_search_and_replay(api_client, member):
    api_client.force_authenticate(member)

    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    for path in ("/api/v1/runs/", "/api/v1/bigcommerce/deliveries/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {
            "status",
            "workflow",
            "event",
            "created_after",
            "created_before",
            "order_id",
            "customer_email",
            "page",
        } <= names
    bulk = schema["paths"]["/api/v1/bigcommerce/deliveries/replay/"]["post"]
    assert "order_id" in {p["name"] for p in bulk["parameters"]}
    assert "202" in bulk["responses"]
    assert "post" in schema["paths"]["/api/v1/bigcommerce/deliveries/{id}/replay/"]
    assert "get" in schema["paths"]["/api/v1/jobs/{id}/"]
