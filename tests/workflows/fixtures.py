"""Fixtures for the customer-safe sending tests: an active workflow emailing the customer, and
BigCommerce delivering its event (the pipeline's mocked store behind it)."""

import pytest

from integrations.subscriptions import subscription_for
from tests.pipeline.conftest import delivery_body
from workflows.models import Step

CUSTOMER = "jane.smith@example.com"  # the v3 customer of BigCommerce's example
SURVEY = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "How was order [BigCommerce | Order | id]?",
    "body": "Thanks, [BigCommerce | Customer | first_name].",
}


@pytest.fixture
def survey(make_workflow):
    """make_survey(event=..., to=..., **workflow fields): an active workflow emailing `to`."""

    def make(name="Survey", to=SURVEY["to"], event="shipment_created", **fields):
        workflow = make_workflow(event, name=name, **fields)
        Step.objects.create(
            workflow=workflow, position=0, type="send_email", config={**SURVEY, "to": to}
        )
        return workflow

    return make


@pytest.fixture
def fire(auth, post_delivery):
    counter = iter(range(1000, 10**6))

    def fire(event="shipment_created", **data):
        body = delivery_body(event, **data)
        body["hash"] = f"hash-{next(counter)}"
        response = post_delivery(subscription_for(auth, event), body)
        assert response.status_code == 200

    return fire
