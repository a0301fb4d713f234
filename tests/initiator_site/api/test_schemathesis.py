"""Property-based tests of the REST API against its own OpenAPI schema (/api/v1/schema/).

Schemathesis generates requests for every operation of the schema — valid and invalid bodies,
path ids and query values — and sends them to the WSGI application in-process, with token
auth, as an Integration Manager and as a plain member. Every response must be no server
error, have a documented status code and content type, and match its documented schema.
BigCommerce is the `responses` fake store; no DNS lookup or connection is allowed.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from initiator_site.wsgi import application
from tests.factories import make_survey

pytestmark = pytest.mark.schemathesis

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 10  # per operation and role
DEADLINE_MS = 5_000  # per generated request: a hang fails its test instead of stalling all


def served_schema() -> dict:
    """The schema /api/v1/schema/ serves, built as its view builds it (it needs no request: every
    endpoint is public in it). Built here, at collection, so that each operation is a test;
    `test_the_tested_schema_is_the_served_one` checks it against the endpoint's answer."""
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(served_schema())
schema.app = application  # requests go to the WSGI application in-process

# The objects of the running test, by kind (ids differ from test to test). Generated ids and
# authentications name one of them half the time, so that requests also reach the code past
# "not found": reads, changes, activation, test runs, retries, deletes.
REAL: dict[str, int] = {}
KIND_BY_PREFIX = {
    "/api/v1/bigcommerce/authentications/{id}": "auth",
    "/api/v1/bigcommerce/deliveries/{id}": "delivery",
    "/api/v1/jobs/{id}": "job",
    "/api/v1/suppressions/{id}": "suppression",
    "/api/v1/runs/{id}": "run",
    "/api/v1/surveys/{id}": "survey",
    "/api/v1/workflows/{id}": "workflow",
}


def either(generated, real):
    """`generated` as it is, or `real` instead: each half the time."""
    return st.sampled_from([generated, real])


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    path = context.operation.path
    kind = next((k for prefix, k in KIND_BY_PREFIX.items() if path.startswith(prefix)), None)
    if kind is not None:
        return either(path_parameters, {**path_parameters, "id": REAL[kind]})
    if "{event}" in path:
        return either(path_parameters, {**path_parameters, "event": "shipment_created"})
    return st.just(path_parameters)


@schema.hook
def flatmap_body(context, body):
    if isinstance(body, dict) and isinstance(body.get("initiator"), dict):
        initiator = {**body["initiator"], "authentication": REAL["auth"]}
        return either(body, {**body, "initiator": initiator})
    return st.just(body)


@pytest.fixture
def in_process_requests():
    """Requests reach Django's WSGI handler in this thread, inside the test's transaction:
    like Django's test client, keep the handler from closing the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def objects(account, manager, auth, make_workflow):
    """One of each thing the API shows (a workflow, its delivery and failed run, a job)."""
    from integrations.models import WebhookDelivery
    from integrations.subscriptions import subscription_for
    from workflows.models import Job, StepResult, Suppression, WorkflowRun

    workflow = make_workflow("shipment_created", status="draft")
    sub = subscription_for(auth, "shipment_created")
    delivery = WebhookDelivery.objects.create(
        subscription=sub, scope="store/shipment/created", store_hash=auth.store_hash, hash="h1"
    )
    run = WorkflowRun.objects.create(workflow=workflow, delivery=delivery, status="failed")
    StepResult.objects.create(run=run, position=0, type="send_email", status="failed")
    job = Job.objects.create(
        kind="replay_deliveries", account=account, created_by=manager, params={}, total=0
    )
    suppression = Suppression.objects.create(
        account=account, email="gone@example.com", reason="manual"
    )
    survey = make_survey(account)
    REAL.update(
        workflow=workflow.pk,
        run=run.pk,
        delivery=delivery.pk,
        auth=auth.pk,
        job=job.pk,
        suppression=suppression.pk,
        survey=survey.pk,
    )
    yield REAL
    REAL.clear()


@pytest.fixture(params=["manager", "member"])
def token(request, objects):
    """The API token of an Integration Manager, or of a member without the permission."""
    user = request.getfixturevalue(request.param)
    return Token.objects.create(user=user).key


@pytest.fixture
def network_guard(in_process_requests, store, no_sockets, mailoutbox):
    """BigCommerce is the fake store; email stays in memory; nothing else is reachable."""
    return store


def test_the_tested_schema_is_the_served_one(api_client, member):
    # Given a signed-in member, When the schema endpoint is asked for JSON
    api_client.force_authenticate(member)
    response = api_client.get("/api/v1/schema/", {"format": "json"})
    # Then it is the schema the tests below were generated from
    assert response.status_code == 200
    assert json.loads(response.content) == served_schema()


def test_every_operation_is_tested():
    # The generated tests below cover each of the schema's 38 operations, and every object
    # kind they address by id can be a real one
    paths = [result.ok().path for result in schema.get_all_operations()]
    assert len(paths) == 38
    assert all(any(p.startswith(prefix) for p in paths) for prefix in KIND_BY_PREFIX)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=DEADLINE_MS,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_the_api_matches_its_schema(case, token, network_guard):
    # When schemathesis sends a generated request, as the user of `token`
    # Then no response is a server error, and each one is what the schema documents
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
