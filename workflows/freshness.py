"""Fresh data after a wait: when a run resumes (a delay ended, or a customer email's send
window opened), the event's resources are fetched again, once, before the next step — the same
minimum calls as the delivery's (`integrations.deliveries.fetch`) — and the run goes on with
the new merge data, or stops when what it is about is gone:

- ``cart_abandoned``: the cart no longer exists (404: converted to an order, or deleted);
- order events: the order no longer exists, or its status is one of the workflow's
  ``stop_on_order_statuses`` (refunded, cancelled, declined by default).

Test runs and runs without a delivery keep their data. docs/architecture.md, "Customer-safe
sending".
"""

from __future__ import annotations

from datetime import timedelta

from integrations import deliveries
from integrations.bigcommerce import errors
from integrations.events import EventKey
from integrations.models import WebhookDelivery
from workflows import used_codes
from workflows.models import Step, WorkflowRun

CART_GONE = "the cart was converted or deleted while the run waited"
ORDER_GONE = "the order no longer exists"


TRY_AGAIN_AFTER = timedelta(minutes=10)
TRANSIENT = (errors.Unavailable, errors.RateLimited, errors.BadResponse)


class RefreshFailed(Exception):
    """BigCommerce could not be asked. ``transient`` (network, 5xx, 429): the run waits and
    tries again; otherwise (credentials refused) it fails."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


def stop_statuses(workflow) -> set[int]:
    return {int(part) for part in workflow.stop_on_order_statuses.split(",") if part.isdigit()}


def refresh(run: WorkflowRun) -> str | None:
    """Fetch the run's resources again and store its new merge data; the reason to stop the
    run, or None to go on."""
    if run.is_test or run.delivery_id is None:
        return None
    delivery = (
        WebhookDelivery.objects.select_related("subscription__authentication")
        .filter(pk=run.delivery_id)
        .first()
    )
    if delivery is None:
        return None
    steps = Step.objects.by_workflow([run.workflow_id])[run.workflow_id]
    codes = used_codes.workflow_codes(run.workflow, steps)  # the extras its steps read, too
    try:
        resources, merge_data, _keys = deliveries.fetch(delivery, codes)
    except errors.NotFound:
        return CART_GONE if run.workflow.event == EventKey.CART_ABANDONED else ORDER_GONE
    except errors.BigCommerceError as exc:
        transient = isinstance(exc, TRANSIENT)
        raise RefreshFailed(
            f"Could not fetch fresh store data: {exc}", transient=transient
        ) from None
    order = resources.order if isinstance(resources.order, dict) else None
    if order is not None:
        status_id = order.get("status_id")
        if isinstance(status_id, int) and status_id in stop_statuses(run.workflow):
            return f"the order is now {order.get('status') or f'status {status_id}'}"
    # Values no fetch gives (a survey's answers, added when they came) are kept.
    run.merge_data = {**run.merge_data, **merge_data}
    run.save(update_fields=["merge_data"])
    return None
