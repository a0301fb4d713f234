"""Searching runs and deliveries over the API: every filter, bad input answered 400 with what
to fix, nothing of another account, and a constant number of queries however many rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/runs/"
DELIVERIES = "/api/v1/bigcommerce/deliveries/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def shipments(make_workflow, auth, post_delivery, store):
    """Three shipments processed by the pipeline: orders 101 and 102 of Jane, 103 of Bob."""
    workflow = make_workflow("shipment_created", name="Survey")
    sub = subscription_for(auth, "shipment_created")
    for number, (order_id, email) in enumerate(
        [(101, "Jane.Smith@example.com"), (102, "jane.smith@example.com"), (103, "bob@example.com")]
    ):
        store.customer_v3 = {**store.customer_v3, "email": email}
        body = delivery_body("shipment_created", orderId=order_id, id=order_id)
        body["hash"] = f"shipment-{number}"
        assert post_delivery(sub, body).status_code == 200
    return workflow


def test_runs_are_found_by_order_id_and_customer_email(api_client, member, shipments):
    # Given three processed shipments; a team member looks for a customer's runs
    api_client.force_authenticate(member)
    run_of = {run.order_id: run.pk for run in WorkflowRun.objects.all()}

    # Then the order id finds its run, and the email (in any case) both of Jane's
    assert ids(api_client.get(RUNS, {"order_id": 102})) == [run_of[102]]
    assert ids(api_client.get(RUNS, {"customer_email": " JANE.smith@Example.com"})) == [
        run_of[102],
        run_of[101],
    ]
    assert ids(api_client.get(RUNS, {"customer_email": "nobody@example.com"})) == []
    # And a run shows what it was found by
    run = api_client.get(RUNS, {"order_id": 103}).json()["results"][0]
    assert (run["order_id"], run["customer_email"], run["event"]) == (
        103,
        "bob@example.com",
        "shipment_created",
    )


def test_deliveries_are_found_by_order_id_and_customer_email(api_client, member, shipments):
    api_client.force_authenticate(member)
    delivery_of = dict(WebhookDelivery.objects.values_list("order_id", "pk"))

    assert ids(api_client.get(DELIVERIES, {"order_id": 101})) == [delivery_of[101]]
    # A delivery is found by the customer of the runs it started
    assert ids(api_client.get(DELIVERIES, {"customer_email": "bob@EXAMPLE.com"})) == [
        delivery_of[103]
    ]
    row = api_client.get(DELIVERIES, {"order_id": 101}).json()["results"][0]
    assert (row["order_id"], row["event"], row["status"]) == (101, "shipment_created", "processed")


def test_runs_by_status_workflow_event_and_dates(api_client, member, make_workflow):
    # Given runs of two workflows on two events, created on different days
    shipment = make_workflow("shipment_created", name="Shipment survey")
    cart = make_workflow("cart_abandoned", name="Cart reminder")
    day = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    made = {}
    for name, workflow, status, created in [
        ("old failed shipment", shipment, "failed", day - timedelta(days=2)),
        ("shipment on the day", shipment, "succeeded", day),
        ("cart late that day", cart, "failed", day + timedelta(hours=11, minutes=59)),
        ("cart next day", cart, "skipped", day + timedelta(days=1)),
    ]:
        run = WorkflowRun.objects.create(workflow=workflow, status=status)
        WorkflowRun.objects.filter(pk=run.pk).update(created_at=created)
        made[name] = run.pk
    api_client.force_authenticate(member)

    def found(**params):
        return {name for name, pk in made.items() if pk in ids(api_client.get(RUNS, params))}

    assert found(status="failed") == {"old failed shipment", "cart late that day"}
    assert found(status=["failed", "skipped"]) == {
        "old failed shipment",
        "cart late that day",
        "cart next day",
    }
    assert found(workflow=cart.pk) == {"cart late that day", "cart next day"}
    assert found(event="shipment_created") == {"old failed shipment", "shipment on the day"}
    # A date alone is a whole day (UTC): from its start, or up to its end
    assert found(created_after="2025-03-10", created_before="2025-03-10") == {
        "shipment on the day",
        "cart late that day",
    }
    # The ends of the calendar are no error
    assert found(created_after="0001-01-01", created_before="9999-12-31") == set(made)
    # A date-time is that moment
    assert found(created_after="2025-03-10T12:00:01Z") == {"cart late that day", "cart next day"}
    assert found(created_before="2025-03-10T13:00:00+01:00") == {"old failed shipment"}


def test_deliveries_by_status_workflow_event_and_dates(
    api_client, member, make_workflow, make_delivery, make_authentication, account
):
    # Given a workflow on each of two stores, and deliveries of both stores and two events
    other_store = make_authentication(account, name="Second store", store_hash="zzz999")
    first = make_workflow("shipment_created", name="First store")
    make_workflow("shipment_created", name="Second store", authentication=other_store)
    dead = make_delivery("shipment_created", status="dead")
    failed = make_delivery("shipment_created", status="failed", authentication=other_store)
    processed = make_delivery("cart_converted", status="processed")
    WebhookDelivery.objects.filter(pk=dead.pk).update(received_at=datetime(2025, 1, 1, tzinfo=UTC))
    api_client.force_authenticate(member)

    def found(**params):
        return set(ids(api_client.get(DELIVERIES, params)))

    assert found(status=["failed", "dead"]) == {dead.pk, failed.pk}
    # A workflow's deliveries are those of its store and event, whether they started it or not
    assert found(workflow=first.pk) == {dead.pk}
    assert found(event="cart_converted") == {processed.pk}
    assert found(created_before="2025-01-01") == {dead.pk}
    assert found(created_after="2025-01-02") == {failed.pk, processed.pk}


@pytest.mark.parametrize("path", [RUNS, DELIVERIES])
@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"created_after": "yesterday"}, "created_after", "YYYY-MM-DD"),
        ({"created_before": "2025-02-30"}, "created_before", "YYYY-MM-DD"),
        ({"created_after": "0001-01-01T00:00:00+05:00"}, "created_after", "out of range"),
        (
            {"created_after": "2025-03-02", "created_before": "2025-03-01"},
            "created_before",
            "later than",
        ),
        ({"order_id": "abc"}, "order_id", "whole number"),
        ({"order_id": str(2**70)}, "order_id", "less than or equal"),
        ({"order_id": "0"}, "order_id", "greater than or equal"),
        ({"status": "lost"}, "status", "not one of the available choices"),
        ({"event": "order_archived"}, "event", "not one of the available choices"),
        ({"workflow": "x"}, "workflow", "valid choice"),
        ({"customer_email": "a" * 300}, "customer_email", "at most 254"),
    ],
)
def test_bad_filters_are_answered_400_naming_the_field(
    api_client, member, path, params, field, says
):
    api_client.force_authenticate(member)

    response = api_client.get(path, params)

    assert response.status_code == 400
    assert says in " ".join(response.json()[field])


@pytest.mark.parametrize("path", [RUNS, DELIVERIES])
def test_another_accounts_rows_and_workflows_are_never_found(
    api_client, member, other_member, make_workflow, make_delivery, path
):
    # Given a workflow, its run and a delivery of another account
    workflow = make_workflow("shipment_created")
    WorkflowRun.objects.create(workflow=workflow, status="failed", order_id=251)
    make_delivery("shipment_created", order_id=251)

    # When a member of that other account lists or filters
    api_client.force_authenticate(other_member)

    # Then nothing of ours is listed, and our workflow is no valid choice (nothing leaks)
    assert ids(api_client.get(path)) == []
    assert ids(api_client.get(path, {"order_id": 251})) == []
    response = api_client.get(path, {"workflow": workflow.pk})
    assert response.status_code == 400
    assert "valid choice" in response.json()["workflow"][0]


def add_runs_and_deliveries(make_workflow, make_delivery, count, start):
    workflow = make_workflow("shipment_created", name=f"wf {start}")
    for i in range(start, start + count):
        delivery = make_delivery("shipment_created", status="processed", order_id=i)
        run = WorkflowRun.objects.create(
            workflow=workflow,
            delivery=delivery,
            status="failed",
            order_id=i,
            customer_email="jane@example.com",
        )
        run.step_results.create(position=0, type="send_email", status="failed")
    return workflow


@pytest.mark.parametrize("path", [RUNS, DELIVERIES])
def test_filtered_lists_cost_the_same_queries_however_many_rows(
    api_client, member, make_workflow, make_delivery, django_assert_max_num_queries, path
):
    api_client.force_authenticate(member)
    workflow = add_runs_and_deliveries(make_workflow, make_delivery, 2, 1)
    params = {
        "status": ["failed", "skipped"] if path == RUNS else ["processed", "dead"],
        "workflow": workflow.pk,
        "event": "shipment_created",
        "created_after": "2000-01-01",
        "customer_email": "jane@example.com",
    }
    with django_assert_max_num_queries(50) as few:
        assert len(ids(api_client.get(path, params))) == 2

    # When many more rows match (another workflow's too)
    add_runs_and_deliveries(make_workflow, make_delivery, 30, 100)
    WorkflowRun.objects.filter(workflow__name="wf 100").update(workflow=workflow)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api_client.get(path, params))) == 32
