"""Two task clusters share one API budget per store: under a burst they keep together to their
share of the store's quota in every window, BigCommerce refuses nothing, and every delivery is
processed, its waits spending no attempt (the ledger is the database here, Redis on the Redis
pass)."""

import concurrent.futures

import pytest

from integrations.models import WebhookDelivery
from tests import harness
from tests.factories import customer_order_ids, shipment
from workflows.models import WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
BURST = 24  # two calls each: 48 calls, at 6 per window
QUOTA, WINDOW_MS, SHARE = 12, 1500, 50


def test_two_nodes_keep_to_the_share_under_a_burst(env, standin, make_active_workflow, log_dir):
    # Given a store allowing 12 requests per 1.5 s, half of them ours, and two cluster nodes
    standin.rate_limit.configure(quota=QUOTA, window_ms=WINDOW_MS)
    env = {**env, "BIGCOMMERCE_API_SHARE": str(SHARE)}
    _wf, sub = make_active_workflow()
    web, url = harness.start_web(env, log_dir)
    node_a = harness.start_qcluster(env, log_dir, "node-a")
    node_b = harness.start_qcluster({**env, "Q_SCHEDULER": "false"}, log_dir, "node-b")
    try:
        # When a burst of shipments arrives
        order_ids = customer_order_ids(BURST)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda n: harness.deliver_over_http(url, sub, shipment(n)), order_ids)
            )
        assert statuses == [200] * BURST
        # Then every delivery is eventually processed, once
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(status="succeeded").count() == BURST,
            timeout=120,
            interval=0.5,
            what="every run to succeed",
        )
    finally:
        for child in (node_a, node_b, web):
            child.stop()
    limits = standin.rate_limit.describe()
    served = [w["served"] for w in limits["windows"]]
    # And the store refused nothing, and no window saw more than our share
    assert limits["refused"] == 0
    assert max(served) <= QUOTA * SHARE // 100
    # (a delivery whose reserved slots ran out with the window fetches its order again)
    assert 2 * BURST <= sum(served) <= 2 * BURST + BURST // 4
    # And the burst did wait (it needs several windows), yet no wait counted as an attempt
    assert len([n for n in served if n]) >= 2 * BURST // (QUOTA * SHARE // 100)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"processed"}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
