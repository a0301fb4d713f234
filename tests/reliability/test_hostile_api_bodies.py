"""Hostile bodies on every API write: a clear 4xx naming the limit, never a 5xx, nothing changed.

Bodies are parsed in one place (initiator_site.json_input, through the API's JSON parser):
bounded in size (DATA_UPLOAD_MAX_MEMORY_SIZE: 413) and depth (JSON_MAX_DEPTH: 400), no
NaN/Infinity or numbers beyond a float (400), JSON only (415 for forms).
"""

from __future__ import annotations

import json

import pytest

from integrations.models import BigCommerceAuthentication
from workflows import services
from workflows.models import Step, Workflow

pytestmark = pytest.mark.django_db

MAX_BODY = 20_000  # DATA_UPLOAD_MAX_MEMORY_SIZE for these tests
JSON = "application/json"
STEP = {
    "type": "send_email",
    "config": {"to": "[BigCommerce | Customer | email]", "subject": "Hi", "body": "Thanks"},
}


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# (name, raw body, content type, status, text the answer must contain)
CASES = [
    ("arrays-1100-deep", '{"name": ' + deep(1_100) + "}", JSON, 400, "more than 32 levels deep"),
    ("steps-1100-deep", '{"steps": ' + deep(1_100) + "}", JSON, 400, "more than 32 levels deep"),
    ("objects-3000-deep", '{"a":' * 3_000 + "1" + "}" * 3_000, JSON, 400, "32 levels"),
    ("33-levels", '{"name": ' + deep(32) + "}", JSON, 400, "more than 32 levels deep"),
    ("unbalanced-15000", "[" * 15_000, JSON, 400, "more than 32 levels deep"),
    ("nan", '{"name": NaN}', JSON, 400, "not valid JSON"),
    ("infinity", '{"name": -Infinity}', JSON, 400, "not valid JSON"),
    ("float-overflow", '{"name": 1e400}', JSON, 400, "not valid JSON"),
    ("5000-digit-int", '{"name": ' + "9" * 5_000 + "}", JSON, 400, "not valid JSON"),
    ("not-json", "name=x", JSON, 400, "not valid JSON"),
    ("truncated", '{"name": "x', JSON, 400, "not valid JSON"),
    ("bad-utf8", b'{"name": "\xff\xfe"}', JSON, 400, "not text in utf-8"),
    ("bz2-charset", '{"name": "x"}', JSON + "; charset=bz2_codec", 400, "Unsupported charset"),
    ("over-size", '{"name": "' + "x" * MAX_BODY + '"}', JSON, 413, f"limit of {MAX_BODY} bytes"),
    ("form", "name=x", "application/x-www-form-urlencoded", 415, "Unsupported media type"),
    ("multipart", "--b\r\n\r\n--b--", "multipart/form-data; boundary=b", 415, "Unsupported"),
    # deep, but within the limit: the validators answer, without recursing into trouble
    (
        "config-31-levels",
        json.dumps({"steps": [{"type": "send_email", "config": {"body": json.loads(deep(27))}}]}),
        JSON,
        400,
        "body",
    ),
]
ENDPOINTS = ["POST workflows", "PATCH workflow", "POST authentications", "PATCH authentication"]


@pytest.fixture
def targets(settings, api_client, manager, make_authentication, account, mocked_bc):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY
    auth = make_authentication(account)
    workflow = services.create_workflow(
        account=account,
        created_by=manager,
        steps=[STEP],
        name="Existing",
        initiator="bigcommerce",
        event="shipment_created",
        authentication=auth,
    )
    api_client.force_authenticate(manager)
    api_client.raise_request_exception = False  # a crash must show as the 500 it would be
    return {
        "POST workflows": ("post", "/api/v1/workflows/"),
        "PATCH workflow": ("patch", f"/api/v1/workflows/{workflow.pk}/"),
        "POST authentications": ("post", "/api/v1/bigcommerce/authentications/"),
        "PATCH authentication": ("patch", f"/api/v1/bigcommerce/authentications/{auth.pk}/"),
    }


def snapshot():
    return (
        list(Workflow.objects.values_list("pk", "name", "event", "status")),
        list(Step.objects.values_list("workflow_id", "position", "type", "config")),
        list(BigCommerceAuthentication.objects.values_list("pk", "name", "store_hash")),
    )


def test_every_case_is_a_client_error():
    assert all(400 <= status < 500 for _, _, _, status, _ in CASES)


# A deep but valid-JSON config is only meaningful as a change to an existing workflow's steps.
PARAMS = [
    pytest.param(endpoint, *case, id=f"{case[0]}-{endpoint}")
    for case in CASES
    for endpoint in ENDPOINTS
    if case[0] != "config-31-levels" or endpoint == "PATCH workflow"
]


@pytest.mark.parametrize(("endpoint", "name", "body", "content_type", "status", "text"), PARAMS)
def test_a_hostile_body_is_refused_clearly(
    api_client, targets, mocked_bc, endpoint, name, body, content_type, status, text
):
    # Given the account's workflow and authentication as they are
    before = snapshot()
    method, url = targets[endpoint]
    # When the hostile body is sent
    response = getattr(api_client, method)(url, body, content_type=content_type)
    # Then a clear client error, in the API's JSON shape, naming what is wrong
    assert response.status_code == status, (name, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert text.lower() in json.dumps(response.json()).lower()
    # ... nothing changed, and BigCommerce was not called
    assert snapshot() == before
    assert len(mocked_bc.calls) == 0
