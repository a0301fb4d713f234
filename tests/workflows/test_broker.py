"""The cluster's delivery relay: the receiver stores, each poll hands out what is due, once."""

import itertools
import os

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from integrations import deliveries
from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body, post_delivery
from workflows.broker import FastORM, RelayRedis

pytestmark = pytest.mark.django_db


SHIPMENT_IDS = itertools.count(100)


def receive(client, auth, hash_):
    sub = subscription_for(auth, "shipment_created")
    body = delivery_body("shipment_created", id=next(SHIPMENT_IDS))  # one per shipment
    body["hash"] = hash_
    assert post_delivery(client, sub, body).status_code == 200
    return WebhookDelivery.objects.get(hash=hash_)


def test_the_receiver_writes_the_delivery_and_nothing_else(client, auth, relay_mode):
    delivery = receive(client, auth, "h1")
    assert delivery.status == "received" and delivery.next_attempt_at <= timezone.now()
    assert OrmQ.objects.count() == 0


def test_each_due_delivery_is_handed_out_once_per_lease(client, auth, relay_mode, settings):
    # Given three stored deliveries, one of them waiting for a retry later
    first, second = receive(client, auth, "h1"), receive(client, auth, "h2")
    later = receive(client, auth, "h3")
    WebhookDelivery.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timezone.timedelta(minutes=5)
    )
    # When two clusters poll one after the other
    one, two = deliveries.hand_out(50), deliveries.hand_out(50)
    # Then the first took the due ones, the second nothing, and their lease runs from now
    assert sorted(one) == [first.pk, second.pk] and two == []
    lease_end = WebhookDelivery.objects.get(pk=first.pk).leased_until
    assert lease_end > timezone.now() + timezone.timedelta(
        seconds=settings.DELIVERY_LEASE_SECONDS - 5
    )


def test_the_orm_broker_serves_relayed_and_queued_tasks_together(client, auth, relay_mode):
    # Given a due delivery and a task already on the broker's queue
    broker = FastORM(list_key="relay-test")
    delivery = receive(client, auth, "h1")
    queued_id = broker.enqueue(SignedPackage.dumps({"func": "math.floor", "args": (1.5,)}))
    # When the pusher polls
    tasks = broker.dequeue()
    # Then it gets both: the delivery's task (nothing to acknowledge) and the queued one
    assert [ack for ack, _ in tasks] == [None, queued_id]
    relayed = SignedPackage.loads(tasks[0][1])
    assert (relayed["func"], relayed["args"]) == (
        "workflows.tasks.process_delivery",
        (delivery.pk,),
    )
    # ... and acknowledging them removes the queue row only
    for ack, _ in tasks:
        broker.acknowledge(ack)
    assert OrmQ.objects.count() == 0
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()


@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis broker runs in the PostgreSQL pass")
def test_the_redis_broker_serves_relayed_and_queued_tasks_together(client, auth, relay_mode):
    # Given a due delivery and a task already on this (test's own) Redis queue
    broker = RelayRedis(list_key=f"relay-test-{os.getpid()}")
    try:
        delivery = receive(client, auth, "h1")
        broker.enqueue(SignedPackage.dumps({"func": "math.floor", "args": (1.5,)}))
        # When the pusher polls
        tasks = broker.dequeue()
        # Then it gets the delivery's task first, then the queued one, and the queue is empty
        assert len(tasks) == 2
        assert SignedPackage.loads(tasks[0][1])["args"] == (delivery.pk,)
        assert SignedPackage.loads(tasks[1][1])["func"] == "math.floor"
        assert broker.queue_size() == 0
        # ... and with nothing due and nothing queued, a poll waits briefly and finds nothing
        assert broker.dequeue() is None
    finally:
        broker.delete_queue()


# --- Wake-ups: a stored delivery reaches a waiting relay without waiting out its poll ------


def relay_in_thread(broker, monkeypatch):
    """Run one `broker.dequeue()` in a thread, with a poll interval far longer than the test;
    `looked` is set once the relay has found nothing due and is about to wait."""
    import threading

    from django.db import connection
    from django_q.conf import Conf

    from workflows import broker as broker_module

    monkeypatch.setattr(Conf, "POLL", 60)
    looked, result = threading.Event(), {}
    real_relayed = broker_module.relayed

    def relayed_then_signal():
        tasks = real_relayed()
        looked.set()
        return tasks

    monkeypatch.setattr(broker_module, "relayed", relayed_then_signal)

    def poll():
        try:
            result["tasks"] = broker.dequeue()
        finally:
            connection.close()

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    assert looked.wait(10), "the relay never looked for due deliveries"
    return thread, result


def assert_woken_with(thread, result, broker, delivery):
    thread.join(20)  # a bound for a broken wake-up; the poll interval is 60 s
    assert not thread.is_alive(), "the relay waited out its poll: no wake-up reached it"
    assert broker.wakeups == 1
    assert [SignedPackage.loads(p)["args"] for _, p in result["tasks"]] == [(delivery.pk,)]


@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis broker runs in the PostgreSQL pass")
@pytest.mark.django_db(transaction=True)
def test_a_stored_delivery_wakes_the_waiting_redis_relay(client, auth, relay_mode, monkeypatch):
    # Given a Redis relay that found nothing due and waits (its poll interval: a minute)
    from workflows import broker as broker_module

    broker = RelayRedis(list_key=f"wake-test-{os.getpid()}")
    monkeypatch.setattr(broker_module, "shared_broker", lambda: broker)
    try:
        thread, result = relay_in_thread(broker, monkeypatch)
        # When a delivery is stored by the receiver
        delivery = receive(client, auth, "wake-redis")
        # Then the relay wakes and hands it out, counted as one wake-up
        assert_woken_with(thread, result, broker, delivery)
    finally:
        broker.connection.delete(broker.wake_key)
        broker.delete_queue()


@pytest.mark.django_db(transaction=True)
def test_a_stored_delivery_wakes_the_waiting_postgres_relay(client, auth, relay_mode, monkeypatch):
    # Given the ORM broker's relay on PostgreSQL, listening, that found nothing due and waits
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite's relay polls")
    from workflows import broker as broker_module

    broker = FastORM(list_key=f"wake-test-{os.getpid()}")
    broker.listener.connect()  # listening before anything is stored, as a running relay is
    monkeypatch.setattr(broker_module, "shared_broker", lambda: broker)
    try:
        thread, result = relay_in_thread(broker, monkeypatch)
        # When a delivery is stored by the receiver
        delivery = receive(client, auth, "wake-pg")
        # Then the relay wakes and hands it out, counted as one wake-up
        assert_woken_with(thread, result, broker, delivery)
    finally:
        broker.listener.close()
