"""Fixtures for tests that run real gunicorn and qcluster processes."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from integrations.standin import StandIn
from tests import harness

STORE, TOKEN = "standin", "standin-token"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def log_dir(request):
    # One folder per database pass too: CI runs the two passes side by side.
    path = ARTIFACTS / connection.vendor / request.node.name.replace("/", "_")[:80]
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def standin(settings):
    with StandIn(port=0, stores={STORE: TOKEN}) as server:
        settings.BIGCOMMERCE_API_BASE_URL = server.base_url
        settings.WEBHOOK_ALLOW_HTTP = True
        yield server


@pytest.fixture
def maildir(log_dir):
    path = log_dir / "mail"
    path.mkdir(exist_ok=True)
    for old in path.iterdir():
        old.unlink()
    return path


def sent_subjects(maildir: Path, prefix: str) -> int:
    """Emails written by the children's file email backend whose subject starts with `prefix`."""
    return sum(f.read_text().count(f"Subject: {prefix}") for f in maildir.iterdir())


@pytest.fixture
def env(standin, settings, maildir):
    """Environment for children: this test's database, the stand-in, a private queue name."""
    return harness.child_env(
        EMAIL_URL=f"filemail:///{maildir}",  # django-environ wants the extra slash
        Q_CLUSTER_NAME=f"test-{uuid.uuid4().hex[:8]}",
        Q_WORKERS="2",
        **({"REDIS_URL": settings.REDIS_URL} if settings.REDIS_URL else {}),
    )


@pytest.fixture
def standin_workflow(db, account, manager):
    """A verified authentication on the stand-in and one active workflow emailing customers."""
    from integrations.models import BigCommerceAuthentication
    from integrations.subscriptions import subscription_for
    from workflows.models import Step, Workflow

    # One email per delivery is counted: no frequency cap (the stand-in has seven customers).
    account.frequency_cap_emails = 0
    account.save(update_fields=["frequency_cap_emails"])
    auth = BigCommerceAuthentication.objects.create(
        account=account,
        name="Stand-in",
        store_hash=STORE,
        client_id="c",
        access_token=TOKEN,
        status="verified",
    )
    wf = Workflow.objects.create(
        account=account,
        name="Survey",
        event="shipment_created",
        authentication=auth,
        status="active",
    )
    Step.objects.create(
        workflow=wf,
        position=0,
        type="send_email",
        config={
            "to": "[BigCommerce | Customer | email]",
            "subject": "Order [BigCommerce | Order | id] shipped",
            "body": "Hello [BigCommerce | Customer | first_name]",
        },
    )
    sub = subscription_for(auth, "shipment_created")
    sub.wanted = True
    sub.save()
    return wf, sub


def delivery(order_id: int, shipment_id: int | None = None) -> dict:
    return {
        "scope": "store/shipment/created",
        "store_id": "1025646",
        "data": {"type": "shipment", "id": shipment_id or order_id, "orderId": order_id},
        "hash": f"burst-{order_id}-{shipment_id or order_id}",
        "created_at": 1561482857,
        "producer": f"stores/{STORE}",
    }


__all__ = ["settings", "delivery"]
