"""Fixtures for the web UI tests (Django test client)."""

from __future__ import annotations

import pytest
import responses

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


@pytest.fixture
def auth(make_authentication, account):
    return make_authentication(account)


@pytest.fixture
def other_auth(make_authentication, other_account):
    return make_authentication(other_account, name="Rival store")


@pytest.fixture
def make_workflow(account, auth, manager):
    from workflows import services

    def make(name="Post-shipment survey", steps=None, event="shipment_created", **fields):
        return services.create_workflow(
            account=fields.pop("account", account),
            created_by=fields.pop("created_by", manager),
            steps=[SEND_EMAIL] if steps is None else steps,
            name=name,
            initiator="bigcommerce",
            event=event,
            authentication=fields.pop("authentication", auth),
            **fields,
        )

    return make


@pytest.fixture
def workflow(make_workflow):
    return make_workflow()


@pytest.fixture
def other_workflow(make_workflow, other_account, other_auth, other_member):
    return make_workflow(
        name="Rival flow",
        account=other_account,
        authentication=other_auth,
        created_by=other_member,
    )


@pytest.fixture
def run(workflow, manager):
    from workflows import services

    return services.run_test_event(workflow, manager)


@pytest.fixture
def failed_run(workflow):
    from workflows.models import RunStatus, WorkflowRun

    return WorkflowRun.objects.create(
        workflow=workflow,
        status=RunStatus.FAILED,
        error="Not sent: SMTP down",
        merge_data={
            "BigCommerce | Order | customer_id": 11,
            "BigCommerce | Customer | accepts_product_review_abandoned_cart_emails": True,
            "BigCommerce | Customer | email": "jane@example.com",
            "BigCommerce | Customer | first_name": "Jane",
        },
    )


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def no_network():
    """Any HTTP call not mocked fails at once (nothing leaves the machine)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def bc_store(settings):
    """BigCommerce's hooks API, mocked with state (from the pipeline tests)."""
    from tests.pipeline.conftest import FakeStore

    settings.BIGCOMMERCE_MAX_RETRIES = 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeStore(rsps)
