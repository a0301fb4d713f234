"""Plain factories and helpers shared by the whole suite (the fixtures in tests/conftest.py wrap
them): BigCommerce's example payloads, constants and steps, delivery bodies and posting them,
query counts, accounts, authentications, subscriptions, workflows, step run contexts.

Nothing here is a pytest fixture, so any test module or fixture may call it.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.forms import integration_manager_permission
from accounts.models import Account, User
from integrations.merge_data import build_merge_data
from integrations.models import BigCommerceAuthentication
from integrations.sample_data import sample_resources
from integrations.standin.data import EXAMPLES as APP_EXAMPLES
from integrations.subscriptions import SECRET_HEADER, subscription_for
from surveys.models import Invitation, Question, Survey
from workflows import services
from workflows.models import Workflow
from workflows.steps import StepContext

# --- BigCommerce's example payloads ---------------------------------------------------------

# The app's copy (integrations/standin/examples/, which the stand-in serves) is the one home of
# every example the app uses; tests/fixtures/bigcommerce/ holds only the variants no app code
# reads (spec examples, endpoints the app never calls). A name is in one place or the other.
FIXTURES = Path(__file__).parent / "fixtures"
TEST_ONLY_EXAMPLES = FIXTURES / "bigcommerce"


def load_bigcommerce_example(name: str) -> Any:
    """A fresh copy of one of BigCommerce's own example payloads (copied verbatim from its
    published examples), by file name."""
    app, test_only = APP_EXAMPLES / name, TEST_ONLY_EXAMPLES / name
    if app.exists() and test_only.exists():
        raise AssertionError(f"{name} is in both {APP_EXAMPLES} and {TEST_ONLY_EXAMPLES}: keep one")
    return json.loads((app if app.exists() else test_only).read_text())


# --- Constants ------------------------------------------------------------------------------

BC_BASE = "https://api.bigcommerce.com"
STORE_HASH = "abc123"  # the store mocked with `responses` (tests.servers.FakeStore, mocked_bc)
ACCESS_TOKEN = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CLIENT_ID = "cid_1a2b3c4d5e6f7g8h9i0jklmnopqrstu"
PASSWORD = "correct-horse-battery-staple"  # every user's (make_user)
STANDIN_STORE = "standin"  # the store of the BigCommerce stand-in (integrations.standin)

SHIPMENT, CONVERTED, ABANDONED = "shipment_created", "cart_converted", "cart_abandoned"
MARK = secrets.token_hex(6)  # in every name of the `victim` fixture's objects: a leak shows it

# Steps, as the services and the API take them.
SEND_EMAIL = {
    "type": "send_email",
    "config": {
        "to": "[BigCommerce | Customer | email]",
        "subject": "How was your order, [BigCommerce | Customer | first_name]?",
        "body": "Thanks for shopping with us.",
        "format": "text",
    },
}
DELAY = {"type": "delay", "config": {"amount": 3, "unit": "days"}}
CUSTOMER = "jane.smith@example.com"  # the v3 customer of BigCommerce's example
SURVEY = {  # a customer email: its recipient comes from a merge code
    "to": "[BigCommerce | Customer | email]",
    "subject": "How was order [BigCommerce | Order | id]?",
    "body": "Thanks, [BigCommerce | Customer | first_name].",
}
EMAIL_STEP = {  # the stand-in's customers get it: "Order 1001 shipped"
    "type": "send_email",
    "config": {
        "to": "[BigCommerce | Customer | email]",
        "subject": "Order [BigCommerce | Order | id] shipped",
        "body": "Hello [BigCommerce | Customer | first_name]",
    },
}


def rule(code: str, operator: str, value: Any = None) -> dict:
    """One rule of a condition step (no value: the operator needs none, or it is missing)."""
    return {"merge_code": code, "operator": operator, "value": value}


# --- Webhook deliveries ---------------------------------------------------------------------

WEBHOOK_EXAMPLES = {
    ABANDONED: "webhook_store_cart_abandoned.json",
    CONVERTED: "webhook_store_cart_converted.json",
    SHIPMENT: "webhook_store_shipment_created.json",
    "order_created": "webhook_store_order_created.json",
    "order_status_updated": "webhook_store_order_statusUpdated.json",
    "order_refunded": "webhook_store_order_refund_created.json",
    "customer_created": "webhook_store_customer_created.json",
}


def delivery_body(event: str, **data_overrides) -> dict:
    """BigCommerce's example delivery of `event`, sent by STORE_HASH, with `data` changed."""
    body = load_bigcommerce_example(WEBHOOK_EXAMPLES[event])
    body["producer"] = f"stores/{STORE_HASH}"
    body["data"].update(data_overrides)
    return body


def event_resource_id(event: str, number: int) -> int | str | None:
    """The `data.id` of the `number`th distinct event: a shipment id, or a cart's UUID (one
    delivery is kept per shipment or converted cart); None for the other events, whose
    example's id is kept (an order's status can change many times)."""
    if event == SHIPMENT:
        return 12 + number  # BigCommerce's example shipment is 12
    if event in (CONVERTED, ABANDONED):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-cart-{number}"))
    return None


def shipment(
    order_id: int,
    event_hash: str | None = None,
    store: str = STANDIN_STORE,
    *,
    shipment_id: int | None = None,
) -> dict:
    """A `store/shipment/created` delivery as BigCommerce sends it, for an order of the
    stand-in's store (its hash `hash-<order id>` unless given)."""
    return {
        "scope": "store/shipment/created",
        "store_id": "1025646",
        "data": {"type": "shipment", "id": shipment_id or order_id, "orderId": order_id},
        "hash": event_hash or f"hash-{order_id}",
        "created_at": 1561482857,
        "producer": f"stores/{store}",
    }


def customer_order_ids(count: int, start: int = 1001) -> list[int]:
    """Stand-in orders with a customer (ids that are multiples of 10 are guest orders)."""
    return [n for n in range(start, start + 2 * count) if n % 10][:count]


def webhook_path(sub) -> str:
    """Where BigCommerce delivers `sub`'s events."""
    return f"/webhooks/bigcommerce/{sub.uuid}/"


def secret_header(sub, secret: str | None = None) -> dict:
    """The secret header BigCommerce sends (sub's secret unless given), as Django test client
    keyword arguments."""
    name = f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}"
    return {name: sub.secret if secret is None else secret}


def post_delivery(
    client, sub, body, *, secret: str | None = None, raw=None, chunked: bool = False, **extra
):
    """POST a delivery to `sub`'s URL like BigCommerce does, with Django's test `client`: `body`
    as JSON (or `raw` as is), `sub`'s secret header (or `secret`) and `extra` headers.

    `chunked`: sent as a server that decodes Transfer-Encoding: chunked hands it on — no
    Content-Length, the body on a stream that ends with it (`wsgi.input_terminated`)."""
    payload = raw if raw is not None else json.dumps(body)
    headers = {**secret_header(sub, secret), **extra}
    if chunked:
        data = payload.encode() if isinstance(payload, str) else payload
        environ = {
            "CONTENT_TYPE": "application/json",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": io.BytesIO(data),
            "wsgi.input_terminated": True,
        }
        return client.generic("POST", webhook_path(sub), b"", **(environ | headers))
    return client.post(webhook_path(sub), payload, content_type="application/json", **headers)


def count_queries(client, url: str) -> int:
    """How many queries a GET of `url` runs (it must answer 200, in at most 100 queries)."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= 100, f"{url}: {len(ctx.captured_queries)} queries"
    return len(ctx.captured_queries)


def set_path(body: dict, dotted: str, value: Any) -> None:
    """Set a (dotted, "data.orderId") key of a JSON body."""
    *parents, key = dotted.split(".")
    _walk(body, parents)[key] = value


def drop_path(body: dict, dotted: str) -> None:
    """Remove a (dotted) key of a JSON body."""
    *parents, key = dotted.split(".")
    del _walk(body, parents)[key]


def _walk(body: dict, parents: list[str]) -> dict:
    for key in parents:
        body = body[key]
    return body


# --- Accounts and users ---------------------------------------------------------------------


def make_account(name: str = "Acme T-Shirts"):
    return Account.objects.create(name=name)


def make_user(account, username, *, integration_manager=False, staff=False, superuser=False):
    """A user of `account` with PASSWORD; fresh from the database (no stale permission cache)."""
    user = User.objects.create_user(
        username,
        email=f"{username}@example.com",
        password=PASSWORD,
        account=account,
        is_staff=staff or superuser,
        is_superuser=superuser,
    )
    if integration_manager:
        user.user_permissions.add(integration_manager_permission())
    return User.objects.get(pk=user.pk)


# --- Authentications, subscriptions, workflows ----------------------------------------------


def credentials(**fields) -> dict:
    """The fields of a new authentication, as the API, the UI and the admin take them:
    STORE_HASH's good credentials, with `fields` added or changed (a `name`, a wrong token)."""
    return {
        "store_hash": STORE_HASH,
        "client_id": CLIENT_ID,
        "access_token": ACCESS_TOKEN,
        **fields,
    }


def make_authentication(account, name: str = "Main store", **values):
    """An authentication stored directly (already verified), skipping the BigCommerce call:
    STORE_HASH's credentials unless `values` say otherwise."""
    fields = {
        **credentials(),
        "status": "verified",
        "store_name": "XYZ T-Shirts",
        "last_verified_at": timezone.now(),
        **values,
    }
    return BigCommerceAuthentication.objects.create(account=account, name=name, **fields)


def wanted_subscription(authentication, event: str):
    """The authentication's subscription to `event`, wanted (as an active workflow makes it),
    without registering its hook."""
    sub = subscription_for(authentication, event)
    if not sub.wanted:
        sub.wanted = True
        sub.save(update_fields=["wanted"])
    return sub


def make_workflow(
    event: str = SHIPMENT,
    name: str = "Survey",
    status="active",
    *,
    account,
    authentication,
    **fields,
):
    """A workflow row without steps (add `Step` rows), active unless told: its subscription
    exists, and is wanted when active; no hook call."""
    workflow = Workflow.objects.create(
        account=account,
        name=name,
        event=event,
        authentication=authentication,
        status=status,
        **fields,
    )
    subscription_for(authentication, event)
    if status == "active":
        wanted_subscription(authentication, event)
    return workflow


def create_workflow(
    name: str = "Post-shipment survey",
    steps: list[dict] | None = None,
    event: str = SHIPMENT,
    *,
    account,
    created_by,
    authentication,
    **fields,
):
    """A workflow made as the UI and the API make one (`workflows.services.create_workflow`):
    validated steps (one SEND_EMAIL unless told), a draft."""
    return services.create_workflow(
        account=account,
        created_by=created_by,
        steps=[SEND_EMAIL] if steps is None else steps,
        name=name,
        initiator="bigcommerce",
        event=event,
        authentication=authentication,
        **fields,
    )


def activate_quietly(workflow):
    """`workflow` active with its subscription wanted, without calling BigCommerce (the hook is
    not registered); returns the subscription."""
    type(workflow).objects.filter(pk=workflow.pk).update(status="active")
    workflow.refresh_from_db()
    return wanted_subscription(workflow.authentication, workflow.event)


# --- Step runs ------------------------------------------------------------------------------


def sample_merge_data(
    event_key: str = SHIPMENT, *, guest: bool = False, overrides: dict[str, Any] | None = None
) -> dict:
    """Merge data built the way a run builds it, from BigCommerce's sample resources.

    ``guest``: the order/cart has ``customer_id`` 0 and no customer was fetched.
    ``overrides``: ``{"Customer | first_name": "..."}`` (the "BigCommerce | " prefix is added).
    """
    data = build_merge_data(event_key, sample_resources(event_key, guest=guest))
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
    """A step's run context (`workflows.steps.StepContext`), on sample merge data unless given."""
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


def workflow_body(auth, **overrides) -> dict:
    """A `POST workflows/` body: a draft on `auth`'s shipments with no steps, `overrides` on top."""
    data = {
        "name": "Post-shipment survey",
        "initiator": {
            "type": "bigcommerce",
            "event": "shipment_created",
            "authentication": auth.pk,
        },
        "steps": [],
    }
    data.update(overrides)
    return data


# --- Surveys --------------------------------------------------------------------------------

NPS_QUESTIONS = [
    {
        "key": "nps",
        "kind": "nps",
        "text": "How likely are you to recommend us, [BigCommerce | Customer | first_name]?",
        "required": True,
    },
    {"key": "comment", "kind": "text", "text": "What could we do better?"},
]


def make_survey(account, name: str = "Post-delivery NPS", questions=None, **fields):
    """A survey row of `account` with its questions (an NPS and a comment unless told)."""
    survey = Survey.objects.create(account=account, name=name, **fields)
    for position, question in enumerate(NPS_QUESTIONS if questions is None else questions):
        Question.objects.create(survey=survey, position=position, **question)
    return survey


def make_invitation(survey, email: str = "jane@example.com", *, days: int = 30, **fields):
    """An invitation to `survey` stored directly (no run, no email); returns (invitation, token)."""
    token = secrets.token_urlsafe(32)
    fields.setdefault("step_position", 0)
    invitation = Invitation.objects.create(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        token=token,
        account_id=survey.account_id,
        survey=survey,
        email=email,
        expires_at=timezone.now() + timedelta(days=days),
        **fields,
    )
    return invitation, token
