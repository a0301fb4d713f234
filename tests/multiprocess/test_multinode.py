"""Two task clusters sharing one broker and database: nothing lost, nothing done twice."""

import concurrent.futures

import pytest
import requests

from integrations.models import WebhookDelivery
from integrations.subscriptions import SECRET_HEADER
from tests import harness
from tests.multiprocess.conftest import delivery, sent_subjects
from workflows.models import StepResult, WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
BURST = 60
# The stand-in makes orders whose id is a multiple of 10 guest orders (no customer email).
ORDER_IDS = [n for n in range(1001, 2000) if n % 10][:BURST]


def test_two_clusters_drain_a_burst_exactly_once(env, standin, standin_workflow, log_dir, maildir):
    wf, sub = standin_workflow
    web, url = harness.start_web(env, log_dir)
    node_a = harness.start_qcluster(env, log_dir, "node-a")
    # As in production: only one node runs the scheduler
    node_b = harness.start_qcluster({**env, "Q_SCHEDULER": "false"}, log_dir, "node-b")
    try:
        # When a burst of deliveries arrives from concurrent clients
        hook_url = f"{url}/webhooks/bigcommerce/{sub.uuid}/"

        def post(i):
            with requests.Session() as session:
                session.trust_env = False
                return session.post(
                    hook_url,
                    json=delivery(ORDER_IDS[i]),
                    headers={SECRET_HEADER: sub.secret},
                    timeout=30,
                ).status_code

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
    assert sent_subjects(maildir, "Order ") == BURST
    # And both nodes took part
    assert "processing delivery-" in node_a.log() and "processing delivery-" in node_b.log()
    # Only node A ran schedules
    assert "from schedule" not in node_b.log()
    # BigCommerce was asked the minimum: an order and a customer per delivery
    assert standin.stats()["total"] <= 2 * BURST
