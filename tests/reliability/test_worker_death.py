"""A worker process killed (SIGKILL) mid-task: nothing lost, nothing done twice.

The worker is caught while it waits on a slow server — BigCommerce (the stand-in holds the order
fetch) or the target of an HTTP step — found through /proc (the worker process of the cluster
holding a connection to that server, matched with the cluster's "processing" log line), and
killed. A delivery's task came from the cluster's relay (no queue row behind it, on either
broker), so it dies with the worker; the delivery row is still there, claimed, and once its
lease runs out the sweeper (called here instead of waiting for its one-minute schedule) hands
it out again. A delivery is simply processed again.

A run killed mid-step is handed out again by the sweeper once its lease is over, whichever task
was executing it; a step that was interrupted after its side effect may have happened is never
repeated automatically: it is reported, and a person may retry the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
from django.utils import timezone

from integrations.models import WebhookDelivery
from tests import harness
from tests.factories import post_delivery, shipment
from tests.harness import sent_emails
from tests.reliability import figures, procs
from tests.servers import respond
from workflows import tasks
from workflows.engine import INTERRUPTED
from workflows.models import StepResult, WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HANG_MS = 15_000  # the first order fetch hangs; the worker is killed long before it answers
Q_TIMEOUT, LEASE_SECONDS, Q_RETRY = 8, 9, 16  # timeout < lease < retry, as in production
# BigCommerce limits that fit the short Q_TIMEOUT, as the start-up check requires: 2 calls ×
# (0.5 s + 3 s) + 0.5 s of inline runs = 7.5 s. The hung fetch is killed long before 3 s.
SHORT_BIGCOMMERCE_LIMITS = {
    "BIGCOMMERCE_CONNECT_TIMEOUT": "0.5",
    "BIGCOMMERCE_READ_TIMEOUT": "3",
    "BIGCOMMERCE_MAX_RETRIES": "0",
    "FANOUT_INLINE_SECONDS": "0.5",
}
ORDER_CALLS = "GET /v2/orders/{id}"


def kill_worker_connected_to(cluster, port: int, ready) -> tuple[str, float]:
    """SIGKILL the cluster's worker that holds a connection to loopback `port`, once `ready()`;
    its django-q2 name and when it was killed (monotonic clock)."""

    def holder():
        if not ready():
            return None
        for name, pid in procs.worker_pids(cluster.log()).items():
            if pid in procs.descendants(cluster.pid) and procs.connected_to(pid, port):
                return name, pid
        return None

    name, pid = harness.wait_until(holder, 30, what=f"a worker connected to port {port}")
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    harness.wait_until(lambda: not procs.alive(pid), 10, what="the worker to die")
    return name, killed_at


def wait_for_lease_then_sweep(model, pk: int, field: str) -> dict:
    """Once the row's lease ran out, run the sweeper here (as its schedule would)."""
    harness.wait_until(
        lambda: model.objects.filter(pk=pk, **{f"{field}__lte": timezone.now()}).exists(),
        LEASE_SECONDS + 10,
        what="the lease to run out",
    )
    return tasks.sweep()


@pytest.fixture
def short_leases(env, settings):
    settings.DELIVERY_LEASE_SECONDS = LEASE_SECONDS
    env.update(
        Q_WORKERS="1",
        Q_TIMEOUT=str(Q_TIMEOUT),
        Q_RETRY=str(Q_RETRY),
        DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
        **SHORT_BIGCOMMERCE_LIMITS,
    )
    return env


def test_killed_worker_delivery_completes_and_emails_once(
    short_leases, standin, make_active_workflow, client, log_dir, maildir, to_cluster, no_schedules
):
    # Given one active workflow that emails the customer, a cluster of one worker with short
    # broker timeouts, and a BigCommerce whose next order fetch hangs
    _wf, sub = make_active_workflow()
    standin.add_fault("/v2/orders/", delay_ms=HANG_MS, times=1)
    cluster = harness.start_qcluster(short_leases, log_dir)
    try:
        # When a delivery arrives (enqueued on the real broker) and a worker takes it
        assert post_delivery(client, sub, shipment(1001)).status_code == 200
        delivery = WebhookDelivery.objects.get()
        task_name = f"delivery-{delivery.pk}"
        # ... and, while it waits on the order fetch, that worker is killed
        killed, killed_at = kill_worker_connected_to(
            cluster, standin.port, ready=lambda: standin.stats()["calls"].get(ORDER_CALLS) == 1
        )
        assert procs.worker_processing(cluster.log(), task_name) == killed
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("processing", 1)
        assert not WorkflowRun.objects.exists()

        # Then the relayed task is gone with the worker; the row waits for its lease, and the
        # sweeper hands it out again
        swept = wait_for_lease_then_sweep(WebhookDelivery, delivery.pk, "leased_until")
        assert swept == {"deliveries": 1, "runs": 0, "jobs": 0}
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(status="succeeded").exists(),
            Q_RETRY + 40,
            what="the delivery to be processed again and its run to succeed",
        )
        recovered_after = time.monotonic() - killed_at
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
    figures.record(
        "worker_killed_mid_delivery",
        recovered_by=f"sweeper after the {LEASE_SECONDS} s lease (the relayed task died with it)",
        recovered_after_seconds=round(recovered_after, 1),
        delivery_attempts=2,
        runs=1,
        emails=len(emails),
    )


def hang_first_request(server, hang: float):
    """A route for an HTTP step's target: the first request is held for `hang` seconds (or
    until the server closes) before it is answered."""

    def route(handler):
        if len(server.received) == 1:
            server.release.wait(hang)
        with contextlib.suppress(OSError):  # the caller may have died
            respond(handler, 200)

    return route


def test_killed_worker_mid_http_step_never_repeats_it(
    short_leases,
    standin,
    make_active_workflow,
    client,
    api_client,
    manager,
    log_dir,
    to_cluster,
    no_schedules,
    settings,
    recording_server,
):
    # Given a workflow whose one step POSTs to a (slow) allowlisted loopback server
    target = recording_server
    target.routes["/hook"] = hang_first_request(target, hang=HANG_MS / 1000)
    allow = f"127.0.0.1:{target.port}"
    settings.OUTBOUND_HTTP_ALLOWLIST = [allow]
    short_leases.update(OUTBOUND_HTTP_ALLOWLIST=allow)
    step = {
        "type": "http_request",
        "config": {"method": "POST", "url": f"http://{allow}/hook", "headers": {}, "body": ""},
    }
    _wf, sub = make_active_workflow(steps=[step])
    cluster = harness.start_qcluster(short_leases, log_dir)
    try:
        # When a delivery's run is executing the step and its worker is killed mid-request
        assert post_delivery(client, sub, shipment(1002)).status_code == 200
        # (the run may execute in the delivery's task or in its own: the worker is found by its
        # connection to the step's target)
        _killed, killed_at = kill_worker_connected_to(
            cluster, target.port, ready=lambda: target.received
        )
        run = WorkflowRun.objects.get()
        assert run.status == "running"
        # Then, once the run's lease is over, the sweeper hands it out again
        swept = wait_for_lease_then_sweep(WorkflowRun, run.pk, "leased_until")
        assert swept == {"deliveries": 0, "runs": 1, "jobs": 0}
        # ... and the run reports the step as interrupted: it is not sent again
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(pk=run.pk, status="failed").exists(),
            40,
            what="the run to be reported",
        )
        reported_after = time.monotonic() - killed_at
        (result,) = StepResult.objects.filter(run=run)
        assert (result.status, result.detail) == ("failed", INTERRUPTED)
        assert len(target.received) == 1

        # When a person retries it, the step runs again, once
        api_client.force_authenticate(manager)
        assert api_client.post(f"/api/v1/runs/{run.pk}/retry/").status_code == 200
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(pk=run.pk, status="succeeded").exists(),
            30,
            what="the retried run to succeed",
        )
    finally:
        cluster.stop()
    assert [r.path for r in target.received] == ["/hook", "/hook"]
    figures.record(
        "worker_killed_mid_http_step",
        recovered_by=f"sweeper after the {LEASE_SECONDS} s lease",
        reported_after_seconds=round(reported_after, 1),
        requests_before_manual_retry=1,
        requests_after_manual_retry=len(target.received),
    )
