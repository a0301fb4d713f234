"""Fixtures for the reliability and security suite.

Every network call goes to loopback: the BigCommerce stand-in, gunicorn and the task cluster are
local processes or threads. Multi-process tests share the test database (and Redis, when
REDIS_URL is set) with their children through `tests.harness`.
"""

from __future__ import annotations

import email
import secrets
import uuid
from pathlib import Path

import pytest
from django.db import connection

from integrations.standin import StandIn
from tests import harness

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"
STORE = "standin"
EMAIL_STEP = {
    "type": "send_email",
    "config": {
        "to": "[BigCommerce | Customer | email]",
        "subject": "Order [BigCommerce | Order | id] shipped",
        "body": "Hello [BigCommerce | Customer | first_name]",
    },
}


def shipment(order_id: int, event_hash: str | None = None, store: str = STORE) -> dict:
    """A `store/shipment/created` delivery as BigCommerce sends it."""
    return {
        "scope": "store/shipment/created",
        "store_id": "1025646",
        "data": {"type": "shipment", "id": order_id, "orderId": order_id},
        "hash": event_hash or f"hash-{order_id}",
        "created_at": 1561482857,
        "producer": f"stores/{store}",
    }


def customer_order_ids(count: int, start: int = 1001) -> list[int]:
    """Stand-in orders with a customer (ids that are multiples of 10 are guest orders)."""
    return [n for n in range(start, start + 2 * count) if n % 10][:count]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are made in most tests here; a slow hasher would be most of their run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Output of children ---------------------------------------------------------------------


@pytest.fixture
def log_dir(request):
    # One folder per database pass too: CI runs the two passes side by side.
    path = ARTIFACTS / "logs" / connection.vendor / request.node.name.replace("/", "_")[:80]
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.log"):
        old.unlink()
    return path


@pytest.fixture
def maildir(tmp_path):
    """Where children's emails land (Django's file email backend: one message per send)."""
    path = tmp_path / "mail"
    path.mkdir()
    return path


def sent_emails(maildir: Path) -> list[email.message.Message]:
    """Every message the file backend wrote, across processes (files are appended to)."""
    messages = []
    for path in sorted(maildir.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.strip()))
    return messages


# --- BigCommerce stand-in and the children's environment -----------------------------------


@pytest.fixture
def store_token():
    """A fresh access token per test, so a leak can be searched for without false hits."""
    return f"tok{secrets.token_hex(16)}"


@pytest.fixture
def standin(settings, store_token):
    with StandIn(port=0, stores={STORE: store_token}) as server:
        settings.BIGCOMMERCE_API_BASE_URL = server.base_url
        settings.WEBHOOK_ALLOW_HTTP = True
        settings.BIGCOMMERCE_MAX_RETRIES = 0  # the pipeline's own retry policy is under test
        yield server


@pytest.fixture
def cluster_name():
    """A private queue name; on Redis its leftovers are removed afterwards."""
    name = f"rel-{uuid.uuid4().hex[:10]}"
    yield name
    if redis_broker():
        from django_q.brokers import get_broker

        get_broker(name).delete_queue()


@pytest.fixture
def env(standin, settings, maildir, cluster_name):
    """Children: this test's database and broker, the stand-in, a private queue, file email."""
    return harness.child_env(
        Q_CLUSTER_NAME=cluster_name,
        Q_WORKERS="2",
        EMAIL_URL=f"filemail:///{maildir}",  # django-environ wants the extra slash
        BIGCOMMERCE_MAX_RETRIES="0",
        **({"REDIS_URL": settings.REDIS_URL} if settings.REDIS_URL else {}),
    )


@pytest.fixture
def to_cluster(monkeypatch, cluster_name):
    """Tasks enqueued by this test process go to the children's broker queue, not inline."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", cluster_name)
    monkeypatch.setattr(Conf, "PREFIX", cluster_name)  # the payload signing salt
    _forget_broker()  # the app keeps one broker per process, named after the queue
    yield
    _forget_broker()


def _forget_broker() -> None:
    from workflows import broker

    broker.shared_broker.cache_clear()


@pytest.fixture
def no_schedules(transactional_db):
    """The cluster's scheduler stays idle: tests drive the sweeper themselves, when they mean to."""
    from django_q.models import Schedule

    Schedule.objects.all().delete()


def queue_size(cluster_name: str) -> int:
    """Tasks still waiting on the children's broker queue."""
    from django_q.brokers import get_broker
    from django_q.models import OrmQ

    if redis_broker():
        return get_broker(cluster_name).queue_size()
    return OrmQ.objects.filter(key=cluster_name).count()


def redis_broker() -> bool:
    from django.conf import settings

    return bool(settings.REDIS_URL)


# --- Objects --------------------------------------------------------------------------------


@pytest.fixture
def standin_auth(db, account, manager, store_token):
    """A verified authentication for the stand-in's store."""
    from integrations.models import BigCommerceAuthentication

    return BigCommerceAuthentication.objects.create(
        account=account,
        name="Stand-in",
        store_hash=STORE,
        client_id=f"cid{secrets.token_hex(12)}",
        access_token=store_token,
        status="verified",
        created_by=manager,
    )


@pytest.fixture
def make_active_workflow(standin_auth, account, manager):
    """make_active_workflow(name, steps=[EMAIL_STEP]) -> (workflow, subscription), no hook call.

    These tests count deliveries, runs and emails: the customer-safe sending rules that would
    hold repeats back (the stand-in has seven customers) are off unless a test sets them."""
    from integrations.subscriptions import subscription_for
    from workflows import services

    account.frequency_cap_emails = 0
    account.save(update_fields=["frequency_cap_emails"])

    def make(name="Survey", steps=None, event="shipment_created", **fields):
        fields.setdefault("send_once_scope", "")
        wf = services.create_workflow(
            account=account,
            created_by=manager,
            steps=[EMAIL_STEP] if steps is None else steps,
            name=name,
            initiator="bigcommerce",
            event=event,
            authentication=standin_auth,
            **fields,
        )
        type(wf).objects.filter(pk=wf.pk).update(status="active")
        wf.refresh_from_db()
        sub = subscription_for(standin_auth, event)
        if not sub.wanted:
            sub.wanted = True
            sub.save(update_fields=["wanted"])
        return wf, sub

    return make


MARK = secrets.token_hex(6)  # in every name of the victim's objects: any leak shows it


@pytest.fixture
def victim(make_authentication, make_user, account, manager):
    """Account A's objects, one of each kind by model label, every name carrying MARK."""
    from django.utils import timezone

    from integrations.models import WebhookDelivery
    from integrations.subscriptions import subscription_for
    from workflows import services
    from workflows.models import StepResult, Suppression, WorkflowRun

    auth = make_authentication(account, name=f"Auth {MARK}", store_name=f"Store {MARK}")
    workflow = services.create_workflow(
        account=account,
        created_by=manager,
        steps=[
            {
                "type": "send_email",
                "config": {"to": "a@example.com", "subject": f"S {MARK}", "body": "b"},
            }
        ],
        name=f"Flow {MARK}",
        initiator="bigcommerce",
        event="shipment_created",
        authentication=auth,
    )
    sub = subscription_for(auth, "shipment_created")
    delivery = WebhookDelivery.objects.create(
        subscription=sub,
        scope="store/shipment/created",
        store_hash=auth.store_hash,
        hash=f"hash-{MARK}",
        body="{}",
        status="processed",
    )
    run = WorkflowRun.objects.create(
        workflow=workflow,
        delivery=delivery,
        status="failed",
        error=f"Failed {MARK}",
        merge_data={"BigCommerce | Customer | email": f"{MARK}@example.com"},
        finished_at=timezone.now(),
    )
    StepResult.objects.create(
        run=run, position=0, type="send_email", status="failed", detail=f"Not sent {MARK}"
    )
    user = make_user(account, f"user-{MARK}")
    suppression = Suppression.objects.create(
        account=account, email=f"{MARK}@example.com", reason="manual", source=f"Import {MARK}"
    )
    return {
        "workflows.Suppression": suppression,
        "integrations.BigCommerceAuthentication": auth,
        "integrations.WebhookSubscription": sub,
        "integrations.WebhookDelivery": delivery,
        "workflows.Workflow": workflow,
        "workflows.WorkflowRun": run,
        "accounts.User": user,
        "accounts.Account": account,
    }


def secret_header(sub) -> dict:
    from integrations.subscriptions import SECRET_HEADER

    return {f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": sub.secret}
