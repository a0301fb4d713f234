"""Two task clusters sharing one broker and database: nothing lost, nothing done twice."""

import concurrent.futures

import pytest

from integrations.models import WebhookDelivery
from tests import harness
from tests.factories import customer_order_ids, shipment
from tests.harness import sent_emails
from workflows.models import StepResult, WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
BURST = 60
# The stand-in makes orders whose id is a multiple of 10 guest orders (no customer email).
ORDER_IDS = customer_order_ids(BURST)


def test_two_clusters_drain_a_burst_exactly_once(
    env, standin, make_active_workflow, log_dir, maildir
):
    wf, sub = make_active_workflow()
    web, url = harness.start_web(env, log_dir)
    node_a = harness.start_qcluster(env, log_dir, "node-a")
    # As in production: only one node runs the scheduler
    node_b = harness.start_qcluster({**env, "Q_SCHEDULER": "false"}, log_dir, "node-b")
    try:
        # When a burst of deliveries arrives from concurrent clients
        def post(i):
            return harness.deliver_over_http(url, sub, shipment(ORDER_IDS[i]))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post, range(BURST)))
        assert statuses == [200] * BURST

        # Then both nodes drain the queue
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(status="succeeded").count() == BURST,
            timeout=120,
            what="every run to succeed",
        )
    finally:
        for child in (node_a, node_b, web):
            child.stop()
    # Every delivery processed exactly once, by one claim
    assert WebhookDelivery.objects.count() == BURST
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"processed"}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
    assert WorkflowRun.objects.count() == BURST
    assert StepResult.objects.filter(status="succeeded").count() == BURST
    # One email per delivery, across both nodes (file email backend)
    assert sum(m["Subject"].startswith("Order ") for m in sent_emails(maildir)) == BURST
    # And both nodes took part
    assert "processing delivery-" in node_a.log() and "processing delivery-" in node_b.log()
    # Only node A ran schedules
    assert "from schedule" not in node_b.log()
    # BigCommerce was asked the minimum: an order and a customer per delivery
    assert standin.stats()["total"] <= 2 * BURST
