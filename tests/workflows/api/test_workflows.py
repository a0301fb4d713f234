"""Workflows, runs, deliveries and initiators over the REST API (the README's API section)."""

import pytest

from integrations.events import get_event
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body
from tests.factories import workflow_body as body
from workflows.models import Workflow

pytestmark = pytest.mark.django_db
URL = "/api/v1/workflows/"


def test_initiators_list_events(api_client, member):
    api_client.force_authenticate(member)
    (initiator,) = api_client.get("/api/v1/initiators/").json()
    assert initiator["key"] == "bigcommerce"
    assert [e["key"] for e in initiator["events"]] == [
        "cart_abandoned",
        "cart_converted",
        "shipment_created",
        "order_created",
        "order_status_updated",
        "order_refunded",
        "customer_created",
    ]
    assert initiator["events"][2]["scope"] == "store/shipment/created"
    assert initiator["events"][5]["scope"] == "store/order/refund/created"


@pytest.mark.parametrize(
    ("event", "count"), [("cart_abandoned", 30), ("cart_converted", 106), ("shipment_created", 104)]
)
def test_merge_codes_per_event(api_client, member, event, count):
    api_client.force_authenticate(member)
    data = api_client.get(f"/api/v1/initiators/bigcommerce/events/{event}/merge-codes/").json()
    assert data["event"] == event
    assert data["merge_codes"][:count] == list(get_event(event).brief_codes)


def test_unknown_event_merge_codes_is_404(api_client, member):
    api_client.force_authenticate(member)
    assert (
        api_client.get("/api/v1/initiators/bigcommerce/events/nope/merge-codes/").status_code == 404
    )


def test_create_workflow_as_draft_with_subscription(api_client, manager, auth):
    api_client.force_authenticate(manager)
    response = api_client.post(URL, body(auth), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft"
    assert data["initiator"] == {
        "type": "bigcommerce",
        "event": "shipment_created",
        "authentication": auth.pk,
    }
    sub = subscription_for(auth, "shipment_created")
    assert data["subscription"]["webhook_url"].endswith(f"/webhooks/bigcommerce/{sub.uuid}/")
    assert data["subscription"]["status"] == "not_registered"


def test_other_accounts_authentication_is_rejected(api_client, other_member, auth):
    api_client.force_authenticate(other_member)
    response = api_client.post(URL, body(auth), format="json")
    assert response.status_code == 400
    assert "authentication" in response.json()["initiator"]


def test_unknown_event_and_initiator_are_400(api_client, manager, auth):
    api_client.force_authenticate(manager)
    bad = body(auth)
    bad["initiator"] = {"type": "shopify", "event": "order_paid", "authentication": auth.pk}
    response = api_client.post(URL, bad, format="json")
    assert response.status_code == 400
    assert {"type", "event"} <= set(response.json()["initiator"])


def test_member_without_permission_cannot_write_but_can_read(api_client, member, make_workflow):
    wf = make_workflow("shipment_created", status="draft")
    api_client.force_authenticate(member)
    response = api_client.post(URL, body(wf.authentication), format="json")
    assert response.status_code == 403
    assert "Integration Manager" in response.json()["detail"]
    assert api_client.post(f"{URL}{wf.pk}/activate/").status_code == 403
    assert api_client.get(f"{URL}{wf.pk}/").status_code == 200


def test_activate_and_pause_over_the_api(api_client, manager, make_workflow, store):
    wf = make_workflow("shipment_created", status="draft")
    api_client.force_authenticate(manager)
    data = api_client.post(f"{URL}{wf.pk}/activate/").json()
    assert data["status"] == "active"
    assert data["subscription"]["status"] == "registered"
    data = api_client.post(f"{URL}{wf.pk}/pause/").json()
    assert data["status"] == "paused"
    assert data["subscription"]["status"] == "not_registered"


def test_runs_and_deliveries_read_back(
    api_client, manager, make_workflow, auth, post_delivery, store
):
    wf = make_workflow("shipment_created")
    post_delivery(subscription_for(auth, "shipment_created"), delivery_body("shipment_created"))
    api_client.force_authenticate(manager)
    runs = api_client.get(f"{URL}{wf.pk}/runs/").json()
    assert runs["count"] == 1
    run = api_client.get(f"/api/v1/runs/{runs['results'][0]['id']}/").json()
    assert run["status"] == "succeeded" and run["is_test"] is False
    assert run["merge_data"]["BigCommerce | Order | id"] == 251
    # In the event's order, whatever the database did to the JSON keys
    assert list(run["merge_data"]) == list(get_event("shipment_created").brief_codes)
    deliveries = api_client.get("/api/v1/bigcommerce/deliveries/").json()
    assert deliveries["count"] == 1
    d = deliveries["results"][0]
    assert d["status"] == "processed" and d["attempts"] == 1 and d["hash"]


def test_another_account_sees_nothing(
    api_client, other_member, make_workflow, auth, post_delivery, store
):
    wf = make_workflow("shipment_created")
    post_delivery(subscription_for(auth, "shipment_created"), delivery_body("shipment_created"))
    run = wf.runs.get()
    api_client.force_authenticate(other_member)
    assert api_client.get(f"{URL}{wf.pk}/").status_code == 404
    assert api_client.get(f"{URL}{wf.pk}/runs/").status_code == 404
    assert api_client.get(f"/api/v1/runs/{run.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/runs/{run.pk}/retry/").status_code == 404
    assert api_client.get(URL).json()["count"] == 0
    assert api_client.get("/api/v1/bigcommerce/deliveries/").json()["count"] == 0


def test_delete_workflow(api_client, manager, make_workflow):
    wf = make_workflow("shipment_created", status="draft")
    api_client.force_authenticate(manager)
    assert api_client.delete(f"{URL}{wf.pk}/").status_code == 204
    assert not Workflow.objects.exists()


def test_workflow_list_query_count_is_constant(
    api_client, manager, make_workflow, django_assert_max_num_queries
):
    api_client.force_authenticate(manager)
    for i in range(2):
        make_workflow("shipment_created", name=f"w{i}", status="draft")
    with django_assert_max_num_queries(20) as small:
        api_client.get(URL)
    for i in range(2, 15):
        make_workflow("cart_converted", name=f"w{i}", status="draft")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api_client.get(URL).json()["count"] == 15


def test_schema_is_served(api_client, member):
    api_client.force_authenticate(member)
    response = api_client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/workflows/" in response.content
