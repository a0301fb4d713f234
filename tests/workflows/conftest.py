"""The pipeline's and the UI's fixtures, used here too, and stored deliveries in any state."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.pipeline.conftest import (  # noqa: F401
    auth,
    delivery_body,
    make_workflow,
    post_delivery,
    store,
)
from tests.ui.conftest import as_manager, as_member  # noqa: F401


@pytest.fixture
def make_delivery(auth):  # noqa: F811 (the fixture imported above)
    """make_delivery(event, status="dead", order_id=251, authentication=auth, **fields): a
    stored delivery with a body BigCommerce could have sent (so it can be processed again)."""
    from integrations.events import get_event
    from integrations.models import WebhookDelivery
    from integrations.subscriptions import subscription_for

    numbers = itertools.count(1)

    def make(event="shipment_created", status="dead", order_id=251, **fields):
        sub = subscription_for(fields.pop("authentication", auth), event)
        number = next(numbers)
        data = {"orderId": order_id} if order_id is not None else {}
        body = delivery_body(event, **data)
        body["hash"] = f"{event}-{number}"
        defaults = {
            "attempts": 6 if status == "dead" else 1,
            "last_error": "Gave up after 6 attempts: BigCommerce is down"
            if status == "dead"
            else "",
        }
        return WebhookDelivery.objects.create(
            subscription=sub,
            scope=get_event(event).scope,
            store_hash=sub.authentication.store_hash,
            hash=body["hash"],
            body=json.dumps(body),
            status=status,
            order_id=order_id if event != "cart_abandoned" else None,
            **{**defaults, **fields},
        )

    return make
