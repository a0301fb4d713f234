"""Backfill: a hook deleted behind our back, events during the gap found by polling the store
after the repair and run exactly once — however they were also received, and however often the
gap is backfilled."""

import json
import threading

import pytest
import requests
from django.db import connection

from integrations import backfill, receiver, subscriptions
from integrations.models import WebhookDelivery
from tests.factories import STANDIN_STORE as STORE
from workflows import backfill as backfill_jobs
from workflows import tasks
from workflows.models import Job, WorkflowRun

pytestmark = pytest.mark.django_db(transaction=True)

SHIPMENT, CONVERTED = "store/shipment/created", "store/cart/converted"
CART = "5f0fc4ae-0d7a-4c4b-a7d2-2b2c0ab0e0a1"


def shipment(shipment_id: int, order_id: int) -> dict:
    return {"type": "shipment", "id": shipment_id, "orderId": order_id}


@pytest.fixture
def listening(live_standin, make_active_workflow):
    """Active workflows on shipments and converted carts, their hooks registered."""
    subs = {}
    for event in ("shipment_created", "cart_converted"):
        _wf, sub = make_active_workflow(f"On {event}", event=event)
        subs[event] = subscriptions.ensure_registered(sub)
        assert subs[event].status == "registered", subs[event].status_detail
    return subs


def delete_hook_behind_our_back(standin, store_token, hook_id):
    reply = requests.delete(
        f"{standin.base_url}/stores/{STORE}/v3/hooks/{hook_id}",
        headers={"X-Auth-Token": store_token},
        timeout=5,
    )
    assert reply.status_code == 200


def test_a_hook_deleted_behind_our_back_is_repaired_and_its_gap_backfilled_once(
    live_standin, store_token, listening
):
    shipments = listening["shipment_created"]
    # Given a shipment delivered while the hook was there (received, and within the gap)
    assert live_standin.fire(STORE, SHIPMENT, data=shipment(501, 1001))[0]["status"] == 200
    # And the shipments hook deleted behind our back, and events while it was gone
    delete_hook_behind_our_back(live_standin, store_token, shipments.hook_id)
    assert live_standin.fire(STORE, SHIPMENT, data=shipment(502, 1002)) == []
    assert live_standin.fire(STORE, SHIPMENT, data=shipment(503, 1003)) == []
    # (a converted cart was delivered: its hook was fine; it is not part of this gap's event)
    live_standin.fire(STORE, CONVERTED, data={"type": "cart", "id": CART, "orderId": 1004})
    assert WebhookDelivery.objects.count() == 2

    # When the periodic check repairs the hook
    tasks.check_subscriptions()

    # Then the hook is back, and a backfill job found the two missed shipments
    assert any(h["scope"] == SHIPMENT and h["is_active"] for h in live_standin.hooks(STORE))
    job = Job.objects.get(kind="backfill")
    assert (job.status, job.params["created"], job.params["duplicates"]) == ("succeeded", 2, 1)
    assert job.done == job.total == 4  # orders 1001..1004 were modified in the gap
    backfilled = WebhookDelivery.objects.filter(origin="backfill").order_by("order_id")
    assert [d.resource_key for d in backfilled] == [f"{SHIPMENT}:502", f"{SHIPMENT}:503"]
    # And each ran its workflow once; the shipment received before was not doubled
    for order_id in (1001, 1002, 1003):
        assert WorkflowRun.objects.filter(delivery__order_id=order_id).count() == 1
    assert set(backfilled.values_list("status", flat=True)) == {"processed"}

    # When the same gap is backfilled again, and BigCommerce's own retry of 502 comes late
    gap = backfill.Gap(shipments.created_at, job.created_at)
    again = backfill_jobs.start(shipments.authentication, gap, events=["shipment_created"])
    again.refresh_from_db()
    late = live_standin.fire(STORE, SHIPMENT, data=shipment(502, 1002))
    # Then nothing new is stored or run: one delivery and one run per shipment
    assert (again.params["created"], again.params["duplicates"]) == (0, 3)
    assert late[0]["status"] == 200
    assert WebhookDelivery.objects.filter(order_id=1002).count() == 1
    assert WorkflowRun.objects.filter(delivery__order_id=1002).count() == 1


def test_no_backfill_when_the_hook_was_healthy_or_first_registered(live_standin, listening):
    # When the check finds every hook well
    tasks.check_subscriptions()
    # Then there is no gap to backfill
    assert not Job.objects.filter(kind="backfill").exists()


def test_a_received_and_a_backfilled_copy_racing_store_one_delivery(live_standin, listening):
    # Given the same shipment, as BigCommerce delivers it and as a backfill finds it
    sub = listening["shipment_created"]
    target = receiver.find_subscription(sub.uuid)
    body = json.dumps(
        {
            "scope": SHIPMENT,
            "store_id": "1",
            "hash": "bc-hash-1",
            "data": shipment(777, 1777),
            "producer": f"stores/{STORE}",
        }
    )
    found = backfill.Found(sub, shipment(777, 1777), sub.created_at)
    results, start = [], threading.Barrier(2)

    def run(store):
        try:
            start.wait()
            results.append(store())
        finally:
            connection.close()

    # When both are stored at the same moment
    threads = [
        threading.Thread(target=run, args=(lambda: receiver.store(target, body.encode(), {}),)),
        threading.Thread(target=run, args=(lambda: backfill.store(found, sub.authentication),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Then one was stored and the other answered as its duplicate
    assert sorted(r.duplicate for r in results) == [False, True]
    assert WebhookDelivery.objects.filter(resource_key=f"{SHIPMENT}:777").count() == 1
    assert len({r.delivery_id for r in results}) == 1
