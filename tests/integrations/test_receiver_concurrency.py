"""Concurrent identical deliveries: the unique constraint lets exactly one in."""

import threading

import pytest
from django.db import connection
from django.test import Client

from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body, post_delivery


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_duplicates_store_one_delivery(make_workflow, auth, monkeypatch):
    # Given a subscription and a task queue we only count (processing is tested elsewhere)
    make_workflow("shipment_created")
    sub = subscription_for(auth, "shipment_created")
    enqueued = []
    monkeypatch.setattr("workflows.broker.enqueue_delivery", enqueued.append)
    body = delivery_body("shipment_created")
    statuses = []
    barrier = threading.Barrier(20)

    def post():
        try:
            barrier.wait()
            response = post_delivery(Client(), sub, body)
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
