"""Bench data: one account and stand-in authentication, its shipment_created subscription
(registered with the stand-in like a real one) and workflows with one cheap condition step."""

from __future__ import annotations

import itertools
import json

STORE, TOKEN = "standin", "standin-token"
EVENT, SCOPE = "shipment_created", "store/shipment/created"
# Always true for a registered customer's order: evaluated in memory, no I/O.
CONDITION = {
    "match": "all",
    "rules": [{"merge_code": "BigCommerce | Customer | email", "operator": "is_not_empty"}],
}
_shipment_ids = itertools.count(1)  # shipments the stand-in has (ids below 900000)
STEP_NOTE = "one condition step (customer email is not empty: in memory, no I/O)"


def order_id_for(n: int) -> int:
    """An existing order of a registered customer (the stand-in's ids 1..899999; multiples of
    10 are guest orders, which would need one BigCommerce call fewer)."""
    order = 1 + n % 899990
    return order + 1 if order % 10 == 0 else order


def shipment_body(hash_: str, order_id: int) -> str:
    """A shipment delivery shaped like BigCommerce's (the same bytes the wrk script sends),
    of a new shipment each time: one delivery is kept per shipment."""
    return json.dumps(
        {
            "scope": SCOPE,
            "store_id": "1025646",
            "data": {"type": "shipment", "id": next(_shipment_ids), "orderId": order_id},
            "hash": hash_,
            "created_at": 1561482857,
            "producer": f"stores/{STORE}",
        },
        separators=(",", ":"),
    )


def create(workflows: int):
    """The subscription (with its authentication) and `workflows` workflows, the first active."""
    from accounts.models import Account, User
    from integrations.models import BigCommerceAuthentication
    from workflows import services
    from workflows.steps import validate_step

    account = Account.objects.create(name="Bench")
    user = User.objects.create_user("bench", account=account)
    auth = BigCommerceAuthentication.objects.create(
        account=account,
        name="Stand-in",
        store_hash=STORE,
        client_id="bench-client",
        access_token=TOKEN,
        status="verified",
    )
    steps = [{"type": "condition", "config": validate_step("condition", CONDITION, EVENT)}]
    created = [
        services.create_workflow(
            account=account,
            created_by=user,
            steps=steps,
            name=f"Bench {n + 1}",
            event=EVENT,
            authentication=auth,
            send_once_scope="",  # the figures since the first bench: the guard's own cost apart
        )
        for n in range(workflows)
    ]
    services.activate(created[0])  # registers the hook with the stand-in, as in production
    sub = services.subscription_of(created[0])
    if sub.status != "registered":
        raise RuntimeError(f"The bench subscription did not register: {sub.status_detail}")
    return sub, created


def survey_page(account_id: int) -> str:
    """A survey of two questions and one open invitation to it: its response page's path."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Account
    from surveys import services, tokens
    from surveys.models import Invitation

    survey = services.create_survey(
        account=Account.objects.get(pk=account_id),
        created_by=None,
        name="Bench NPS",
        questions=[
            {
                "key": "nps",
                "kind": "nps",
                "text": "Recommend us, [BigCommerce | Customer | first_name]?",
                "choices": [],
                "required": True,
            },
            {"key": "comment", "kind": "text", "text": "Why?", "choices": [], "required": False},
        ],
    )
    token = tokens.new_token()
    Invitation.objects.create(
        token_hash=tokens.digest(token),
        token=token,
        account_id=account_id,
        survey=survey,
        step_position=0,
        email="jane@example.com",
        merge_snapshot={"BigCommerce | Customer | first_name": "Jane"},
        expires_at=timezone.now() + timedelta(days=30),
    )
    return f"/s/{token}/"


def set_active(workflows: list, count: int) -> None:
    """Exactly the first `count` workflows active (the hook stays: at least one is active)."""
    from workflows.models import Workflow, WorkflowStatus

    pks = [wf.pk for wf in workflows]
    Workflow.objects.filter(pk__in=pks[:count]).update(status=WorkflowStatus.ACTIVE)
    Workflow.objects.filter(pk__in=pks[count:]).update(status=WorkflowStatus.PAUSED)
