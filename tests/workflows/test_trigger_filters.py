"""Trigger filters as a team member sets them: over the API (validated, documented), in the
workflow's settings form, and their defaults in the setup wizard."""

import pytest
from django.core.exceptions import ValidationError

from workflows import trigger_filters
from workflows.models import Workflow

pytestmark = pytest.mark.django_db
SHIPPED_OR_COMPLETED = {"status_to": [2, 10]}


@pytest.fixture
def api(api_client, manager):
    api_client.force_authenticate(manager)
    return api_client


def new_workflow(api, auth, event, **fields):
    return api.post(
        "/api/v1/workflows/",
        {
            "name": "W",
            "initiator": {"type": "bigcommerce", "event": event, "authentication": auth.pk},
            **fields,
        },
        format="json",
    )


def test_a_status_change_workflow_starts_with_shipped_or_completed(api, auth):
    created = new_workflow(api, auth, "order_status_updated")
    assert created.status_code == 201, created.json()
    assert created.json()["trigger_filter"] == SHIPPED_OR_COMPLETED


def test_a_filter_is_saved_cleaned_and_read_back(api, auth):
    created = new_workflow(api, auth, "order_status_updated").json()
    rules = [{"merge_code": "[BigCommerce|Order|total_inc_tax]", "operator": "gt", "value": "50"}]
    changed = api.patch(
        f"/api/v1/workflows/{created['id']}/",
        {"trigger_filter": {"status_from": [11, 9, 9], "channels": [1], "rules": rules}},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    saved = changed.json()["trigger_filter"]
    assert saved["status_from"] == [9, 11] and saved["channels"] == [1]
    assert saved["rules"][0]["merge_code"] == "BigCommerce | Order | total_inc_tax"
    assert Workflow.objects.get().trigger_filter == saved


@pytest.mark.parametrize(
    ("event", "trigger_filter", "message"),
    [
        ("order_created", {"status_from": [1]}, "status_from: the order_created event has no"),
        ("customer_created", {"status_to": [2]}, "status_to: the customer_created event has no"),
        (
            "order_created",
            {"rules": [{"merge_code": "BigCommerce | Refund | amount", "operator": "gt"}]},
            "BigCommerce | Refund | amount",
        ),
    ],
)
def test_a_filter_the_event_cannot_apply_is_refused(api, auth, event, trigger_filter, message):
    refused = new_workflow(api, auth, event, trigger_filter=trigger_filter)
    assert refused.status_code == 400
    assert message in " ".join(refused.json()["trigger_filter"])
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    "trigger_filter",
    [
        {"status_to": [1000]},
        {"status_to": "2"},
        {"channels": [-1]},
        {"match": "most"},
        {"match": ["any"]},
        {"match": {"any": 1}},
        [],
    ],
)
def test_a_malformed_filter_is_a_400_not_a_500(api, auth, trigger_filter):
    refused = new_workflow(api, auth, "order_status_updated", trigger_filter=trigger_filter)
    assert refused.status_code == 400
    assert "trigger_filter" in refused.json()


@pytest.mark.parametrize("match", ["most", ["any"], {"any": 1}, 1])
def test_a_bad_match_without_rules_is_a_validation_error(match):
    # Given a filter with no rules and a match that is not 'all' or 'any' (JSON of any shape)
    # When it is checked, then the error names the field
    with pytest.raises(ValidationError) as refused:
        trigger_filters.validate_filter({"match": match}, "order_status_updated")
    assert refused.value.messages == ["match: must be 'all' or 'any'."]


def test_changing_the_event_checks_the_filter_again(api, auth):
    created = new_workflow(api, auth, "order_status_updated").json()
    moved = api.patch(
        f"/api/v1/workflows/{created['id']}/",
        {
            "initiator": {
                "type": "bigcommerce",
                "event": "customer_created",
                "authentication": auth.pk,
            }
        },
        format="json",
    )
    assert moved.status_code == 400
    assert "status_to" in " ".join(moved.json()["trigger_filter"])


def test_the_schema_documents_the_filter(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    parts = schema["components"]["schemas"]["TriggerFilter"]["properties"]
    assert set(parts) == {"match", "rules", "status_from", "status_to", "skip_statuses", "channels"}
    assert "filtered" in schema["components"]["schemas"]["DeliveryDetail"]["properties"]


def test_the_settings_form_sets_the_filter(client, manager, make_workflow):
    workflow = make_workflow("order_status_updated", status="draft")
    client.force_login(manager)
    page = client.get(f"/workflows/{workflow.pk}/").content.decode()
    assert "Trigger filter: status changed from" in page
    data = {
        "settings-name": workflow.name,
        "settings-event": workflow.event,
        "settings-authentication": workflow.authentication_id,
        "settings-send_once_scope": "",
        "settings-send_once_days": "30",
        "settings-trigger-sent": "1",
        "settings-trigger_status_to": ["2", "10"],
        "settings-trigger_channels": "1, 3",
        "settings-trigger_rules": "",
    }
    response = client.post(f"/workflows/{workflow.pk}/settings/", data)
    assert response.status_code == 302
    workflow.refresh_from_db()
    assert workflow.trigger_filter == {"status_to": [2, 10], "channels": [1, 3]}


def test_the_settings_form_explains_bad_rules(client, manager, make_workflow):
    workflow = make_workflow("order_created", status="draft")
    client.force_login(manager)
    data = {
        "settings-name": workflow.name,
        "settings-event": workflow.event,
        "settings-authentication": workflow.authentication_id,
        "settings-send_once_scope": "",
        "settings-send_once_days": "30",
        "settings-trigger-sent": "1",
        "settings-trigger_rules": "[{not json",
    }
    response = client.post(f"/workflows/{workflow.pk}/settings/", data)
    assert response.status_code == 200
    assert "Not valid JSON" in response.content.decode()
    workflow.refresh_from_db()
    assert workflow.trigger_filter == {}


def test_the_wizard_says_which_orders_are_skipped(client, manager):
    client.force_login(manager)
    client.get("/workflows/new/")
    client.post("/workflows/new/name/", {"name": "Thanks for your order"})
    client.post("/workflows/new/initiator/", {"initiator": "bigcommerce"})
    client.post("/workflows/new/event/", {"event": "order_created"})
    page = client.get("/workflows/new/overview/").content.decode()
    assert "skip orders that are Incomplete (0), Pending (1), Awaiting Payment (7)" in page
