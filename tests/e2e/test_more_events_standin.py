"""The four catalog events against the BigCommerce stand-in, as an external system drives
them: a workflow made over the API (its event's defaults), the hook registered, the event
fired at it, the store read with the plan's minimum calls, and the run's merge data."""

import pytest

from integrations.standin.data import customer_id_for
from tests.factories import STANDIN_STORE as STORE


@pytest.fixture
def api(live_server, api_session):
    base = live_server.url + "/api/v1/"

    def call(method, path, **kwargs):
        return api_session.request(method, base + path, timeout=30, **kwargs)

    return call


def active_workflow(api, store_token, event):
    auth = api(
        "POST",
        "bigcommerce/authentications/",
        json={"name": "S", "store_hash": STORE, "client_id": "c", "access_token": store_token},
    ).json()
    wf = api(
        "POST",
        "workflows/",
        json={
            "name": f"On {event}",
            "initiator": {"type": "bigcommerce", "event": event, "authentication": auth["id"]},
        },
    ).json()
    activated = api("POST", f"workflows/{wf['id']}/activate/").json()
    assert activated["subscription"]["status"] == "registered", activated["subscription"]
    return activated


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("event", "scope", "data", "calls", "expect"),
    [
        (
            "order_created",
            "store/order/created",
            {"type": "order", "id": 301},
            ["GET /v2/orders/{id}", "GET /v2/customers/{id}"],
            {"BigCommerce | Order | id": 301, "BigCommerce | Order | status_id": 11},
        ),
        (
            "order_status_updated",
            "store/order/statusUpdated",
            {"type": "order", "id": 302, "status": {"previous_status_id": 11, "new_status_id": 2}},
            ["GET /v2/orders/{id}", "GET /v2/customers/{id}"],
            {
                "BigCommerce | Status | previous": "Awaiting Fulfillment",
                "BigCommerce | Status | new": "Shipped",
                "BigCommerce | Order | status_id": 2,
            },
        ),
        (
            "order_refunded",
            "store/order/refund/created",
            {"type": "order", "id": 303, "refund": {"refund_id": 3031}},
            [
                "GET /v2/orders/{id}",
                "GET /v3/orders/{id}/payment_actions/refunds",
                "GET /v2/customers/{id}",
            ],
            {"BigCommerce | Refund | id": 3031, "BigCommerce | Refund | amount": 49},
        ),
        (
            "customer_created",
            "store/customer/created",
            {"type": "customer", "id": 34, "origin_channel_id": 1, "channel_ids": [1]},
            ["GET /v2/customers/{id}"],
            {"BigCommerce | Customer | id": 34, "BigCommerce | Signup | origin_channel_id": 1},
        ),
    ],
)
def test_each_new_event_round_trip_with_the_minimum_calls(
    live_standin, store_token, api, event, scope, data, calls, expect
):
    # Given an active workflow on the event, made over the API
    wf = active_workflow(api, store_token, event)
    (hook,) = live_standin.hooks(STORE)
    assert hook["scope"] == scope and hook["is_active"]
    if event == "order_created":  # the stand-in's orders await payment: skipped by default
        live_standin.set_order_status(STORE, 301, 11, "Awaiting Fulfillment")
    live_standin.reset_stats()

    # When BigCommerce fires the event
    (result,) = live_standin.fire(STORE, scope, data=data)
    assert result["status"] == 200

    # Then one run, with the event's merge data, read with the plan's calls and no more
    assert sorted(live_standin.stats()["calls"]) == sorted(calls)
    assert live_standin.stats()["total"] == len(calls)
    (run,) = api("GET", f"workflows/{wf['id']}/runs/").json()["results"]
    assert run["status"] == "succeeded"
    for code, value in expect.items():
        assert run["merge_data"][code] == value
    if event != "customer_created":
        order_id = data["id"]
        assert run["merge_data"]["BigCommerce | Customer | id"] == customer_id_for(order_id)


@pytest.mark.django_db(transaction=True)
def test_a_new_order_awaiting_payment_is_skipped_with_a_note(live_standin, store_token, api):
    # Given a workflow on new orders, with its default trigger filter
    wf = active_workflow(api, store_token, "order_created")
    assert wf["trigger_filter"] == {"skip_statuses": [0, 1, 7]}
    # When an order still awaiting payment (the stand-in's default) is created
    live_standin.fire(STORE, "store/order/created", data={"type": "order", "id": 305})
    # Then the delivery is processed, not failed, says why, and no run exists
    (delivery,) = api("GET", "bigcommerce/deliveries/").json()["results"]
    assert delivery["status"] == "processed"
    assert "Awaiting Payment (7), one of the statuses this workflow skips" in delivery["note"]
    detail = api("GET", f"bigcommerce/deliveries/{delivery['id']}/").json()
    assert [f["workflow"] for f in detail["filtered"]] == [wf["id"]]
    assert api("GET", f"workflows/{wf['id']}/runs/").json()["count"] == 0
