"""Event data: BigCommerce calls per delivery for a workflow that uses every extra code of
shipment_created (shipment, order products, store settings), processed in this process
against the stand-in; the store's settings are read once a day, so the figure tends to 4."""

from __future__ import annotations

from bench import fixtures, pipeline

DELIVERIES = 20
# One rule per extra resource: the shipment, the order's products, the store's settings.
RULES = [
    {"merge_code": code, "operator": "is_not_empty"}
    for code in (
        "BigCommerce | Shipment | tracking_number",
        "BigCommerce | Shipment | items",
        "BigCommerce | Order | products",
        "Store | timezone",
    )
]
NOTE = "a condition on the shipment's tracking number and items, the order's products, the store"


def measure(sub, workflows: list, standin) -> dict:
    from integrations.models import WebhookDelivery
    from workflows import services, tasks
    from workflows.models import Workflow, WorkflowStatus
    from workflows.steps import validate_step

    fixtures.set_active(workflows, 0)
    everything = services.create_workflow(
        account=sub.authentication.account,
        created_by=None,
        steps=[
            {
                "type": "condition",
                "config": validate_step("condition", {"rules": RULES}, fixtures.EVENT),
            }
        ],
        name="Bench: every code",
        event=fixtures.EVENT,
        authentication=sub.authentication,
    )
    Workflow.objects.filter(pk=everything.pk).update(status=WorkflowStatus.ACTIVE)
    standin.reset_stats()
    pipeline.store_backlog(sub, "data", DELIVERIES)  # stored only: no cluster is running
    ids = WebhookDelivery.objects.filter(hash__startswith="data-", status="received")
    for delivery_id in list(ids.values_list("pk", flat=True)):
        tasks.process_delivery(delivery_id)
    calls = standin.stats()
    Workflow.objects.filter(pk=everything.pk).update(status=WorkflowStatus.PAUSED)
    fixtures.set_active(workflows, 1)
    result = {
        "steps": NOTE,
        "deliveries": DELIVERIES,
        "calls_per_delivery": round(calls["total"] / DELIVERIES, 2),
        "bigcommerce_calls": calls["calls"],
    }
    print(
        f"bench:   every code: {result['calls_per_delivery']} calls/delivery over "
        f"{DELIVERIES} deliveries",
        flush=True,
    )
    return result
