"""If / else steps over the REST API: saved and read back, refused with a clear 400 when
nested or when a branch step is wrong, documented in the schema, and shown in a run."""

from __future__ import annotations

import pytest

from tests.factories import rule
from tests.factories import workflow_body as body
from workflows.models import Workflow

pytestmark = pytest.mark.django_db
URL = "/api/v1/workflows/"
SCORE = "[BigCommerce | Order | total_inc_tax]"
TEAM = {
    "to": "team@shop.example",
    "subject": "Detractor on [BigCommerce | Order | id]",
    "body": ".",
}
REVIEW = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Review us",
    "body": "https://shop.example/review?order=[BigCommerce | Order | id]",
}


def if_else(then=(), otherwise=(), rules=None):
    return {
        "type": "if_else",
        "config": {
            "condition": {"match": "all", "rules": rules or [rule(SCORE, "lte", 6)]},
            "then": list(then),
            "else": list(otherwise),
        },
    }


def email(config):
    return {"type": "send_email", "config": config}


def test_an_if_else_is_saved_and_read_back_with_its_branches(api_client, manager, auth):
    # given a detractor/promoter block
    api_client.force_authenticate(manager)
    steps = [if_else(then=[email(TEAM)], otherwise=[email(REVIEW)])]

    # when it is posted
    response = api_client.post(URL, body(auth, steps=steps), format="json")

    # then it is stored cleaned (codes normalised, defaults filled) and read back the same
    assert response.status_code == 201, response.json()
    (step,) = response.json()["steps"]
    assert step["type"] == "if_else"
    assert (
        step["config"]["condition"]["rules"][0]["merge_code"]
        == "BigCommerce | Order | total_inc_tax"
    )
    assert step["config"]["then"] == [{"type": "send_email", "config": {**TEAM, "format": "text"}}]
    assert step["config"]["else"][0]["config"]["to"] == REVIEW["to"]
    assert Workflow.objects.get().steps.get().config == step["config"]


def test_an_if_else_inside_a_branch_is_refused_with_a_clear_400(api_client, manager, auth):
    # given an If / else nested in another's "then"
    api_client.force_authenticate(manager)
    steps = [email(TEAM), if_else(then=[if_else(then=[email(TEAM)])])]

    # when
    response = api_client.post(URL, body(auth, steps=steps), format="json")

    # then 400, naming the step, the branch and the rule; nothing stored
    assert response.status_code == 400
    (message,) = response.json()["steps"]
    assert message.startswith(
        "Step 2 (If / else) · then: Step 1 · type: an If / else can't hold another If / else"
    )
    assert "one level only" in message
    assert not Workflow.objects.exists()


def test_a_bad_branch_step_gets_a_400_naming_the_branch_step_and_field(api_client, manager, auth):
    # given an else branch whose email has no recipient and uses a code carts don't have
    api_client.force_authenticate(manager)
    steps = [if_else(otherwise=[email(REVIEW), email({**TEAM, "to": ""})])]

    # when
    response = api_client.post(URL, body(auth, steps=steps), format="json")

    # then the branch's second step is named with what to fix
    assert response.status_code == 400
    assert response.json()["steps"] == [
        "Step 1 (If / else) · else: Step 2 (Send email) · to: this field is required."
    ]


@pytest.mark.parametrize(
    ("config", "field", "expected"),
    [
        ({"then": []}, "condition", "A condition must be an object with 'match' and 'rules'."),
        (
            {"condition": {"rules": [rule(SCORE, "between", 1)]}},
            "condition",
            "rules[0].operator: unknown operator",
        ),
        (
            {"condition": {"rules": [rule(SCORE, "gt", 1)]}, "then": "email"},
            "then",
            "must be a list",
        ),
        (
            {
                "condition": {"rules": [rule(SCORE, "gt", 1)]},
                "then": [{"type": "nope", "config": {}}],
            },
            "then",
            "Step 1 · type: Unknown step type 'nope'",
        ),
        (
            {"condition": {"rules": [rule(SCORE, "gt", 1)]}, "else": [email(TEAM)] * 21},
            "else",
            "at most 20 steps per branch",
        ),
        (
            {"condition": {"rules": [rule(SCORE, "gt", 1)]}, "otherwise": []},
            "otherwise",
            "unknown field",
        ),
    ],
)
def test_malformed_if_else_configs_get_a_400_by_field(
    api_client, manager, auth, config, field, expected
):
    # given a malformed If / else
    api_client.force_authenticate(manager)

    # when
    response = api_client.post(
        URL, body(auth, steps=[{"type": "if_else", "config": config}]), format="json"
    )

    # then a 400 says what is wrong, naming the config field concerned
    assert response.status_code == 400
    messages = response.json()["steps"]
    assert any(
        message.startswith(f"Step 1 (If / else) · {field}: ") and expected in message
        for message in messages
    ), messages


def test_the_schema_documents_the_if_else_config(api_client, member):
    # given the OpenAPI schema
    api_client.force_authenticate(member)
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    # when the step's config is read
    step = schema["components"]["schemas"]["Step"]["properties"]
    config = step["config"]

    # then it names if_else, its condition and its two branches of steps
    assert "if_else" in step["type"]["description"]
    assert (
        "if_else: {condition: {match, rules}, then: [steps], else: [steps]}"
        in (config["description"])
    )
    assert config["properties"]["then"]["type"] == "array"
    assert config["properties"]["else"]["items"]["required"] == ["type", "config"]
    result = schema["components"]["schemas"]["StepResult"]["properties"]
    assert {"branch", "branch_position"} <= set(result)


def test_a_run_read_over_the_api_shows_the_branch_taken(
    api_client, manager, create_workflow, store
):
    # given a workflow whose small orders take the then branch, and its test run
    from workflows.steps import validate_steps

    steps = validate_steps([if_else(then=[email(TEAM)]), email(TEAM)], "shipment_created")
    workflow = create_workflow(steps=steps)
    api_client.force_authenticate(manager)
    run = api_client.post(f"{URL}{workflow.pk}/test/").json()

    # when the run is read
    data = api_client.get(f"/api/v1/runs/{run['id']}/").json()

    # then its steps say which branch ran, in run order
    assert [
        (s["position"], s["branch"], s["branch_position"], s["type"]) for s in data["steps"]
    ] == [
        (0, "else", None, "if_else"),
        (1, "", None, "send_email"),
    ]
