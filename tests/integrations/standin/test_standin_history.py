"""The stand-in remembers the orders its events were about, so that the store API lists them by
date modified (with their count) and lists an order's shipments, as a backfill asks."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from integrations.bigcommerce.client import BigCommerceClient
from integrations.standin import StandIn

STORE, TOKEN = "historystore", "history-token"
CART = "0a5d7e8c-6f0e-4c5b-9a2d-3e4f5a6b7c8d"


@pytest.fixture
def standin():
    with StandIn(port=0, stores={STORE: TOKEN}) as running:
        yield running


def iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def test_orders_changed_by_events_are_listed_by_date_modified(standin):
    # Given a converted cart and two shipments of another order, fired with no hook to take them
    before = datetime.now(UTC) - timedelta(seconds=2)
    standin.fire(STORE, "store/cart/converted", data={"type": "cart", "id": CART, "orderId": 301})
    for shipment_id in (11, 12):
        data = {"type": "shipment", "id": shipment_id, "orderId": 302}
        standin.fire(STORE, "store/shipment/created", data=data)
    after = datetime.now(UTC) + timedelta(seconds=2)
    client = BigCommerceClient(STORE, TOKEN, base_url=standin.base_url, max_retries=0)
    # When a client asks for the orders modified in that time, one per page
    first = client.list_orders_modified(iso(before), iso(after), limit=1)
    second = client.list_orders_modified(iso(before), iso(after), after_id=301, limit=1)
    rest = client.list_orders_modified(iso(before), iso(after), after_id=302)
    # Then both orders come, lowest id first, the converted cart's order with its cart
    assert [o["id"] for o in first + second] == [301, 302] and rest == []
    assert first[0]["cart_id"] == CART
    assert client.count_orders_modified(iso(before), iso(after)) == 2
    # And the order's shipments are listed with their creation dates; an order without is empty
    shipments = client.list_order_shipments(302)
    assert [s["id"] for s in shipments] == [11, 12]
    assert all(s["order_id"] == 302 and s["date_created"] for s in shipments)
    assert client.list_order_shipments(303) == []
    # And a window before the events finds nothing
    assert client.list_orders_modified(iso(before - timedelta(days=1)), iso(before)) == []


def test_bad_date_filters_are_refused(standin):
    reply = requests.get(
        f"{standin.base_url}/stores/{STORE}/v2/orders",
        params={"min_date_modified": "yesterday", "max_date_modified": "2024-01-01"},
        headers={"X-Auth-Token": TOKEN},
        timeout=5,
    )
    assert reply.status_code == 400
