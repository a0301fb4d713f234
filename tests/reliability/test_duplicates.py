"""BigCommerce delivers at least once: identical deliveries are absorbed, whenever they come.

Real web server and task cluster: 20 identical deliveries at the same instant, then 3 more — one
while the first is still being processed, one after it was processed, one after the sweeper ran.
Two workflows listen: one delivery, one run per workflow, one email per workflow.
"""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from integrations.models import WebhookDelivery
from tests import harness
from tests.factories import shipment
from tests.harness import sent_emails
from tests.reliability import figures
from workflows import tasks
from workflows.models import WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CONCURRENT = 20
SLOW_FETCH_MS = 2_000  # the first processing is still under way when a later copy arrives


def email_step(workflow_name: str) -> dict:
    return {
        "type": "send_email",
        "config": {
            "to": "[BigCommerce | Customer | email]",
            "subject": f"{workflow_name}: order [BigCommerce | Order | id]",
            "body": "Thanks",
        },
    }


def test_identical_deliveries_make_one_run_per_workflow(
    env, standin, make_active_workflow, log_dir, maildir, to_cluster, no_schedules
):
    # Given two active workflows on the event, each sending an email
    first, sub = make_active_workflow("Survey", steps=[email_step("Survey")])
    second, _ = make_active_workflow("Coupon", steps=[email_step("Coupon")])
    standin.add_fault("/v2/orders/", delay_ms=SLOW_FETCH_MS, times=1)
    web, url = harness.start_web(env, log_dir)
    cluster = harness.start_qcluster(env, log_dir)
    body = shipment(2001, event_hash="same-event-hash")

    def post() -> int:
        return harness.deliver_over_http(url, sub, body)

    try:
        # When 20 identical deliveries arrive at once
        barrier = threading.Barrier(CONCURRENT)

        def at_once() -> int:
            barrier.wait(timeout=30)
            return post()

        with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
            statuses = list(pool.map(lambda _: at_once(), range(CONCURRENT)))
        (delivery,) = WebhookDelivery.objects.all()

        # ... one more while the first is being processed (BigCommerce is slow to answer)
        harness.wait_until(
            lambda: WebhookDelivery.objects.filter(status="processing").exists(),
            30,
            what="processing to start",
        )
        statuses.append(post())
        # ... one more after it was processed and its runs finished
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(status="succeeded").count() == 2,
            60,
            what="both runs to succeed",
        )
        statuses.append(post())
        # ... and one more after the sweeper looked for anything due
        swept = tasks.sweep()
        statuses.append(post())
    finally:
        for child in (cluster, web):
            child.stop()

    # Then all 23 were answered 200, and nothing was stored, run or sent twice
    assert statuses == [200] * (CONCURRENT + 3)
    assert swept == {"deliveries": 0, "runs": 0, "jobs": 0}
    assert WebhookDelivery.objects.count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", 1)
    runs = WorkflowRun.objects.order_by("workflow_id")
    assert [(r.workflow_id, r.delivery_id) for r in runs] == [
        (first.pk, delivery.pk),
        (second.pk, delivery.pk),
    ]
    subjects = sorted(m["Subject"] for m in sent_emails(maildir))
    assert subjects == ["Coupon: order 2001", "Survey: order 2001"]
    # BigCommerce was asked once for the order and once for the customer
    assert standin.stats()["total"] == 2
    figures.record(
        "duplicates",
        posted=len(statuses),
        answered_200=statuses.count(200),
        deliveries=1,
        runs=runs.count(),
        emails=len(subjects),
        bigcommerce_calls=standin.stats()["total"],
    )
