"""Hostile workflow and step configs through the REST API (tests/corpus/step_configs/*.json).

Each case is POSTed as a new workflow and PATCHed onto an existing one. It is refused with a
400 that says what is wrong, or — template syntax, which is never evaluated — saved and then
rendered literally in a test run. Never a 500, and a refused change leaves nothing behind.
SSRF cases are decided by validation alone: any connection fails the test, and DNS is a fake
resolver that knows no name.

A case file: ``description``; ``steps`` (or ``steps_repeat: {"step", "times"}``); optional
``name``, ``initiator`` (merged over the valid one), ``send_once``; ``expect_status``;
``expect_text`` (in the 400's messages); ``literal`` (text a test run must send as is).
``{"repeat": ...}``/``{"concat": ...}`` and ``{other_auth}`` expand as in the webhook corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from tests.reliability.corpus import expand
from workflows.models import Step, Workflow

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "step_configs"
CASES = [
    (path.stem, json.loads(path.read_text(encoding="utf-8")))
    for path in sorted(CORPUS.glob("*.json"))
]
VALID_STEP = {
    "type": "send_email",
    "config": {"to": "[BigCommerce | Customer | email]", "subject": "Hi", "body": "Thanks"},
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(api_client, manager, auth, make_authentication, other_account, create_workflow):
    other = make_authentication(other_account, name="Rival")
    api_client.force_authenticate(manager)
    api_client.raise_request_exception = False  # a crash must show as the 500 it would be
    existing = create_workflow(name="Existing", steps=[VALID_STEP])
    return auth, other, existing


def request_body(spec: dict, auth, other) -> dict:
    ctx = {"other_auth": str(other.pk)}
    body = {
        "name": "Hostile",
        "initiator": {
            "type": "bigcommerce",
            "event": "shipment_created",
            "authentication": auth.pk,
        },
    }
    if "name" in spec:
        body["name"] = expand(spec["name"], ctx)
    body["initiator"].update(expand(spec.get("initiator", {}), ctx))
    if "send_once" in spec:
        body["send_once"] = spec["send_once"]
    if "steps_repeat" in spec:
        body["steps"] = [spec["steps_repeat"]["step"]] * spec["steps_repeat"]["times"]
    else:
        body["steps"] = expand(spec["steps"], ctx)
    return body


def messages(response) -> str:
    """Every message of an error response, as one text."""
    return json.dumps(response.json(), ensure_ascii=False)


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 50
    assert all(spec["description"] and spec["expect_status"] in (201, 400) for _, spec in CASES)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(("name", "spec"), CASES, ids=[name for name, _ in CASES])
def test_hostile_config(name, spec, method, api_client, setup, no_sockets, mailoutbox):
    auth, other, existing = setup
    before = list(Step.objects.values_list("workflow_id", "position", "type", "config"))
    body = request_body(spec, auth, other)

    # When the config is sent as a new workflow, or as a change to an existing one
    if method == "POST":
        response = api_client.post(
            "/api/v1/workflows/", json.dumps(body), content_type="application/json"
        )
    else:
        url = f"/api/v1/workflows/{existing.pk}/"
        response = api_client.patch(url, json.dumps(body), content_type="application/json")

    # Then it is answered as the case expects — never with a server error
    expected = spec["expect_status"]
    if expected == 201 and method == "PATCH":
        expected = 200
    assert response.status_code == expected, (spec["description"], response.content[:300])
    assert no_sockets == []
    # ... and the list of workflows still renders (nothing unreadable was stored)
    assert api_client.get("/api/v1/workflows/").status_code == 200

    if response.status_code == 400:
        # A refusal says what to fix, and changes nothing
        assert spec["expect_text"].lower() in messages(response).lower()
        assert list(Step.objects.values_list("workflow_id", "position", "type", "config")) == (
            before
        )
        assert Workflow.objects.count() == 1
        return

    # Accepted template syntax is literal text: a test run sends it as written
    workflow_id = response.json()["id"]
    run = api_client.post(f"/api/v1/workflows/{workflow_id}/test/")
    assert run.status_code == 201 and run.json()["status"] == "succeeded", run.content
    (sent,) = mailoutbox
    alternatives = getattr(sent, "alternatives", [])
    text = sent.subject + "\n" + sent.body + "".join(str(a[0]) for a in alternatives)
    assert spec["literal"] in text
    assert settings.SECRET_KEY not in text
