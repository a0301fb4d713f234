"""The whole path against the BigCommerce stand-in, as an external system would drive it:
credentials verified, hook registered, deliveries fired by "BigCommerce" at the registered URL
with the registered headers, runs and merge data read back over the API."""

import pytest
import requests

from tests.factories import STANDIN_STORE as STORE


@pytest.fixture
def api(live_server, api_session):
    base = live_server.url + "/api/v1/"

    def call(method, path, **kwargs):
        return api_session.request(method, base + path, timeout=30, **kwargs)

    return call


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("event", "scope", "data", "order_code"),
    [
        (
            "shipment_created",
            "store/shipment/created",
            {"type": "shipment", "id": 7, "orderId": 251},
            251,
        ),
        (
            "cart_converted",
            "store/cart/converted",
            {"type": "cart", "id": "d30016e2-23c0-4a90-884f-2e92ac135476", "orderId": "252"},
            252,
        ),
        ("cart_abandoned", "store/cart/abandoned", None, None),
    ],
)
def test_event_round_trip_through_the_standin(
    live_standin, store_token, api, event, scope, data, order_code
):
    # Given credentials BigCommerce (the stand-in) accepts
    auth = api(
        "POST",
        "bigcommerce/authentications/",
        json={
            "name": "Stand-in store",
            "store_hash": STORE,
            "client_id": "standin-client",
            "access_token": store_token,
        },
    )
    assert auth.status_code == 201, auth.text
    assert auth.json()["store_name"]
    # And an active workflow on the event
    wf = api(
        "POST",
        "workflows/",
        json={
            "name": f"On {event}",
            "initiator": {
                "type": "bigcommerce",
                "event": event,
                "authentication": auth.json()["id"],
            },
        },
    ).json()
    activated = api("POST", f"workflows/{wf['id']}/activate/").json()
    assert activated["subscription"]["status"] == "registered", activated["subscription"]
    (hook,) = live_standin.hooks(STORE)
    assert hook["destination"] == activated["subscription"]["webhook_url"]
    assert hook["scope"] == scope and hook["is_active"]

    # When BigCommerce fires the event twice (a redelivery has the same hash)
    first = live_standin.fire(STORE, scope, data=data, event_hash="e2e-hash-1")
    again = live_standin.fire(STORE, scope, data=data, event_hash="e2e-hash-1")
    assert [r["status"] for r in first + again] == [200, 200]

    # Then one delivery, one run, with the event's merge data fetched from the store
    deliveries = api("GET", "bigcommerce/deliveries/").json()
    assert deliveries["count"] == 1
    assert deliveries["results"][0]["status"] == "processed"
    runs = api("GET", f"workflows/{wf['id']}/runs/").json()
    assert runs["count"] == 1
    run = runs["results"][0]
    assert run["status"] == "succeeded"
    expected = {"shipment_created": 104, "cart_converted": 106, "cart_abandoned": 30}[event]
    assert len(run["merge_data"]) == expected
    if order_code:
        assert run["merge_data"]["BigCommerce | Order | id"] == order_code

    # When the last workflow is paused, the hook is removed from the store
    api("POST", f"workflows/{wf['id']}/pause/")
    assert live_standin.hooks(STORE) == []


@pytest.mark.django_db(transaction=True)
def test_forged_delivery_without_the_registered_header_is_refused(
    live_standin, store_token, api, live_server
):
    auth = api(
        "POST",
        "bigcommerce/authentications/",
        json={
            "name": "S",
            "store_hash": STORE,
            "client_id": "c",
            "access_token": store_token,
        },
    ).json()
    wf = api(
        "POST",
        "workflows/",
        json={
            "name": "W",
            "initiator": {
                "type": "bigcommerce",
                "event": "shipment_created",
                "authentication": auth["id"],
            },
        },
    ).json()
    url = api("POST", f"workflows/{wf['id']}/activate/").json()["subscription"]["webhook_url"]
    body = {
        "scope": "store/shipment/created",
        "store_id": "1",
        "hash": "f",
        "producer": f"stores/{STORE}",
        "data": {"type": "shipment", "id": 1, "orderId": 2},
    }
    forged = requests.post(url, json=body, headers={"X-Webhook-Secret": "guess"}, timeout=10)
    assert forged.status_code == 401
    assert api("GET", "bigcommerce/deliveries/").json()["count"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("event", "scope", "data", "change", "reason"),
    [
        (
            "shipment_created",
            "store/shipment/created",
            {"type": "shipment", "id": 7, "orderId": 251},
            ("orders/251/status", {"status_id": 4, "status": "Refunded"}),
            "Refunded",
        ),
        (
            "cart_abandoned",
            "store/cart/abandoned",
            {"type": "cart", "id": "d30016e2-23c0-4a90-884f-2e92ac135476"},
            ("carts/d30016e2-23c0-4a90-884f-2e92ac135476/convert", {}),
            "cart",
        ),
    ],
)
def test_a_store_change_during_a_wait_stops_the_email(
    live_standin, store_token, api, mailoutbox, event, scope, data, change, reason
):
    from django.utils import timezone

    from workflows import tasks
    from workflows.models import StepResult, WorkflowRun

    # Given an active workflow that waits a day, then emails the customer
    auth = api(
        "POST",
        "bigcommerce/authentications/",
        json={"name": "S", "store_hash": STORE, "client_id": "c", "access_token": store_token},
    ).json()
    email = {"to": "team@example.com", "subject": "Still there?", "body": "Hello"}
    wf = api(
        "POST",
        "workflows/",
        json={
            "name": "Wait, then email",
            "initiator": {"type": "bigcommerce", "event": event, "authentication": auth["id"]},
            "steps": [
                {"type": "delay", "config": {"amount": 1, "unit": "days"}},
                {"type": "send_email", "config": email},
            ],
        },
    ).json()
    assert api("POST", f"workflows/{wf['id']}/activate/").status_code == 200
    # When BigCommerce fires the event, and the run waits
    assert [r["status"] for r in live_standin.fire(STORE, scope, data=data)] == [200]
    run = WorkflowRun.objects.get()
    assert run.status == "waiting"
    # ... and meanwhile the store changes (the order refunded, the cart bought)
    path, body = change
    response = requests.post(
        f"{live_standin.base_url}/_standin/{path}", json={"store_hash": STORE, **body}, timeout=10
    )
    assert response.status_code == 200, response.text
    # When the wait is over and the sweeper resumes the run
    StepResult.objects.filter(run=run).update(resume_at=timezone.now())
    WorkflowRun.objects.filter(pk=run.pk).update(resume_at=timezone.now())
    tasks.sweep()
    # Then the run stops with the store's news, and no email is sent
    run.refresh_from_db()
    assert run.status == "stopped", (run.status, run.error)
    assert reason.lower() in run.error.lower()
    assert mailoutbox == []
