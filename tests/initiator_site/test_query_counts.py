"""List endpoints and admin list pages keep a constant number of queries as rows grow."""

import pytest
from django.urls import reverse

from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from tests.factories import STORE_HASH, count_queries
from workflows.models import StepResult, WorkflowRun

pytestmark = pytest.mark.django_db


def add_rows(make_workflow, auth, start, count, wf=None):
    wf = wf or make_workflow("shipment_created", name=f"wf-{start}")
    sub = subscription_for(auth, "shipment_created")
    for i in range(start, start + count):
        delivery = WebhookDelivery.objects.create(
            subscription=sub,
            scope="store/shipment/created",
            store_hash=STORE_HASH,
            hash=f"h{i}",
            body="{}",
        )
        run = WorkflowRun.objects.create(workflow=wf, delivery=delivery, status="succeeded")
        StepResult.objects.create(run=run, position=0, type="delay", status="succeeded")
    return wf


@pytest.mark.parametrize(
    "path",
    ["/api/v1/bigcommerce/deliveries/", "/api/v1/workflows/", "WORKFLOW_RUNS"],
)
def test_api_lists_are_constant(api_client, manager, make_workflow, auth, path):
    api_client.force_authenticate(manager)
    wf = add_rows(make_workflow, auth, 0, 2)
    url = f"/api/v1/workflows/{wf.pk}/runs/" if path == "WORKFLOW_RUNS" else path
    few = count_queries(api_client, url)
    add_rows(make_workflow, auth, 100, 12)  # more workflows and deliveries
    add_rows(make_workflow, auth, 200, 12, wf=wf)  # more runs of this workflow
    many = count_queries(api_client, url)
    assert many <= few


@pytest.mark.parametrize(
    "name",
    [
        "admin:workflows_workflow_changelist",
        "admin:workflows_workflowrun_changelist",
        "admin:integrations_webhookdelivery_changelist",
        "admin:integrations_bigcommerceauthentication_changelist",
        "admin:integrations_webhooksubscription_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_admin_list_pages_are_constant(
    client,
    account_admin,
    make_workflow,
    auth,
    name,
    make_user,
    account,
):
    client.force_login(account_admin)
    add_rows(make_workflow, auth, 0, 2)
    few = count_queries(client, reverse(name))
    add_rows(make_workflow, auth, 100, 12)
    for i in range(5):
        make_user(account, f"user{i}")
    many = count_queries(client, reverse(name))
    assert many <= few
