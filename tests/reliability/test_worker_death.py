"""A worker process killed (SIGKILL) in the middle of a delivery: nothing lost, nothing twice.

The worker is caught while it waits on BigCommerce (the stand-in holds the order fetch), found
through the cluster's own log and /proc, and killed. Recovery depends on the broker:

- ORM broker (the SQLite pass): the task row was never acknowledged, so the broker hands it out
  again `Q_RETRY` seconds after it was taken; the delivery's lease has run out by then.
- Redis (the PostgreSQL pass): the message left Redis when the worker popped it and died with
  the worker. The delivery row is still there; once its lease runs out the sweeper (called here
  instead of waiting for its one-minute schedule) enqueues it again.
"""

from __future__ import annotations

import json
import os
import signal

import pytest
from django.conf import settings
from django.utils import timezone

from integrations.models import WebhookDelivery
from tests import harness
from tests.reliability import procs
from tests.reliability.conftest import redis_broker, secret_header, sent_emails, shipment
from workflows import tasks
from workflows.models import StepResult, WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HANG_MS = 15_000  # the first order fetch hangs; the worker is killed long before it answers
Q_TIMEOUT, LEASE_SECONDS, Q_RETRY = 5, 6, 10  # timeout < lease < retry, as in production
ORDER_CALLS = "GET /v2/orders/{id}"


def test_killed_worker_delivery_completes_and_emails_once(
    env, standin, make_active_workflow, client, log_dir, maildir, to_cluster, no_schedules
):
    # Given one active workflow that emails the customer, a cluster of one worker with short
    # broker timeouts, and a BigCommerce whose next order fetch hangs
    _wf, sub = make_active_workflow()
    settings.DELIVERY_LEASE_SECONDS = LEASE_SECONDS
    env.update(
        Q_WORKERS="1",
        Q_TIMEOUT=str(Q_TIMEOUT),
        Q_RETRY=str(Q_RETRY),
        DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    standin.add_fault("/v2/orders/", delay_ms=HANG_MS, times=1)
    cluster = harness.start_qcluster(env, log_dir)
    try:
        # When a delivery arrives (enqueued on the real broker) and a worker takes it
        response = client.post(
            f"/webhooks/bigcommerce/{sub.uuid}/",
            json.dumps(shipment(1001)),
            content_type="application/json",
            **secret_header(sub),
        )
        assert response.status_code == 200
        delivery = WebhookDelivery.objects.get()
        task_name = f"delivery-{delivery.pk}"
        worker = harness.wait_until(
            lambda: procs.worker_processing(cluster.log(), task_name), 30, what=task_name
        )
        pid = procs.worker_pids(cluster.log())[worker]
        assert pid in procs.descendants(cluster.pid)
        # ... and is blocked on the order fetch, connected to the stand-in
        harness.wait_until(
            lambda: standin.stats()["calls"].get(ORDER_CALLS) == 1
            and procs.connected_to(pid, standin.port),
            15,
            what="the worker to wait on BigCommerce",
        )
        # ... the worker is killed
        os.kill(pid, signal.SIGKILL)
        harness.wait_until(lambda: not procs.alive(pid), 10, what="the worker to die")
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("processing", 1)
        assert not WorkflowRun.objects.exists()

        if redis_broker():
            # Then (Redis) the message is gone with the worker; the row waits for its lease
            harness.wait_until(
                lambda: WebhookDelivery.objects.filter(
                    pk=delivery.pk, next_attempt_at__lte=timezone.now()
                ).exists(),
                LEASE_SECONDS + 10,
                what="the lease to run out",
            )
            assert tasks.sweep() == {"deliveries": 1, "runs": 0}
        # Then (ORM) the broker hands the unacknowledged task out again after Q_RETRY seconds
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(status="succeeded").exists(),
            Q_RETRY + 40,
            what="the delivery to be processed again and its run to succeed",
        )
    finally:
        cluster.stop()

    # And it was processed exactly once more: one run, one email step, one email
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", 2)
    run = WorkflowRun.objects.get()
    assert run.delivery_id == delivery.pk
    assert list(StepResult.objects.values_list("status", flat=True)) == ["succeeded"]
    emails = sent_emails(maildir)
    assert [m["Subject"] for m in emails] == ["Order 1001 shipped"]
    # BigCommerce saw the killed fetch and the completing one; the customer once
    calls = standin.stats()["calls"]
    assert calls[ORDER_CALLS] == 2 and calls["GET /v3/customers"] == 1
    log = cluster.log()
    assert log.count(f"processing {task_name} ") == 2
    assert "reincarnated worker" in log
