"""Tests of workflows.steps. Shared helpers: BigCommerce-shaped merge data and run contexts."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from integrations.merge_data import build_merge_data
from integrations.sample_data import sample_resources
from workflows.steps import StepContext

SHIPMENT = "shipment_created"
CONVERTED = "cart_converted"
ABANDONED = "cart_abandoned"


def sample_merge_data(
    event_key: str = SHIPMENT, *, guest: bool = False, overrides: dict[str, Any] | None = None
) -> dict:
    """Merge data built the way a run builds it, from BigCommerce's sample resources.

    ``guest``: the order/cart has ``customer_id`` 0 and no customer was fetched.
    ``overrides``: ``{"Customer | first_name": "..."}`` (the "BigCommerce | " prefix is added).
    """
    resources = sample_resources(event_key)
    if guest:
        for resource in (resources.order, resources.cart):
            if resource is not None:
                resource["customer_id"] = 0
        resources = dataclasses.replace(resources, customer=None)
    data = build_merge_data(event_key, resources)
    for short, value in (overrides or {}).items():
        code = f"BigCommerce | {short}"
        assert code in data, f"{code} is not a merge code of {event_key}"
        data[code] = value
    return data


def make_ctx(
    merge_data: dict | None = None,
    *,
    event_key: str = SHIPMENT,
    is_test: bool = False,
    test_recipient: str | None = None,
    now: datetime | None = None,
) -> StepContext:
    extra = {"now": now} if now is not None else {}
    return StepContext(
        run_id=7,
        workflow_id=3,
        event_key=event_key,
        merge_data=sample_merge_data(event_key) if merge_data is None else merge_data,
        is_test=is_test,
        test_recipient=test_recipient,
        **extra,
    )
