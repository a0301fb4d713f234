"""Concurrent identical deliveries: the unique constraint lets exactly one in."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from integrations.models import WebhookDelivery
from integrations.subscriptions import SECRET_HEADER, subscription_for
from tests.pipeline.conftest import delivery_body


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_duplicates_store_one_delivery(make_workflow, auth, monkeypatch):
    # Given a subscription and a task queue we only count (processing is tested elsewhere)
    make_workflow("shipment_created")
    sub = subscription_for(auth, "shipment_created")
    enqueued = []
    monkeypatch.setattr("workflows.broker.enqueue_delivery", enqueued.append)
    payload = json.dumps(delivery_body("shipment_created"))
    header = {f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": sub.secret}
    statuses = []
    barrier = threading.Barrier(20)

    def post():
        try:
            barrier.wait()
            response = Client().post(
                f"/webhooks/bigcommerce/{sub.uuid}/",
                payload,
                content_type="application/json",
                **header,
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    # When 20 identical deliveries arrive at once
    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then all are answered 200, one is stored and enqueued once
    assert statuses == [200] * 20
    assert WebhookDelivery.objects.count() == 1
    assert enqueued == [WebhookDelivery.objects.get().pk]
