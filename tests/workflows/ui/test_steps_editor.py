"""The steps editor: a form per step type, edit, move, delete; validation errors keep input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from tests.factories import DELAY, SEND_EMAIL
from tests.html import check_page
from workflows.steps.registry import MAX_STEPS_PER_WORKFLOW

pytestmark = pytest.mark.django_db


def add_url(workflow, step_type):
    return reverse("workflows:step-add", args=[workflow.pk, step_type])


def steps_of(workflow):
    return [(s.type, s.config) for s in workflow.steps.order_by("position")]


def prefixed(data):
    return {f"step-{k}": v for k, v in data.items()}


@pytest.mark.parametrize(
    ("step_type", "fields"),
    [
        ("send_email", ["to", "subject", "body", "format"]),
        ("http_request", ["method", "url", "headers", "body"]),
        ("delay", ["amount", "unit"]),
        ("condition", ["match", "rule_0_merge_code", "rule_0_operator", "rule_0_value"]),
    ],
)
def test_add_form_per_type_with_merge_code_picker(as_manager, workflow, step_type, fields):
    response = as_manager.get(add_url(workflow, step_type))
    html = check_page(response)
    for field in fields:
        assert f'name="step-{field}"' in html
    assert 'id="merge-code-select"' in html and "data-merge-picker" in html
    assert "[BigCommerce | Customer | first_name]" in html
    assert "js/workflow-editor.js" in html


def test_unknown_step_type_is_404(as_manager, workflow):
    assert as_manager.get(add_url(workflow, "sms")).status_code == 404


def test_add_send_email(as_manager, workflow):
    data = prefixed(
        {
            "to": "[BigCommerce | Customer | email]",
            "subject": "Hi",
            "body": "Order [BigCommerce | Order | id]",
            "format": "text",
        }
    )
    response = as_manager.post(add_url(workflow, "send_email"), data)
    assert response.status_code == 302
    assert steps_of(workflow)[-1] == (
        "send_email",
        {
            "to": "[BigCommerce | Customer | email]",
            "subject": "Hi",
            "body": "Order [BigCommerce | Order | id]",
            "format": "text",
        },
    )


def test_add_http_request_parses_header_lines(as_manager, workflow, settings):
    data = prefixed(
        {
            "method": "POST",
            "url": "https://hooks.example.com/in?o=[BigCommerce | Order | id]",
            "headers": "X-Api-Key: abc\n\nX-Source: bigcommerce",
            "body": "",
        }
    )
    assert as_manager.post(add_url(workflow, "http_request"), data).status_code == 302
    step_type, config = steps_of(workflow)[-1]
    assert config["headers"] == {"X-Api-Key": "abc", "X-Source": "bigcommerce"}
    # Editing shows them back as lines (in the database's key order: jsonb sorts keys).
    html = as_manager.get(reverse("workflows:step-edit", args=[workflow.pk, 1])).content.decode()
    assert "X-Api-Key: abc\nX-Source: bigcommerce" in html or (
        "X-Source: bigcommerce\nX-Api-Key: abc" in html
    )


def test_add_delay_and_condition(as_manager, workflow):
    as_manager.post(add_url(workflow, "delay"), prefixed({"amount": "3", "unit": "days"}))
    as_manager.post(
        add_url(workflow, "condition"),
        prefixed(
            {
                "match": "any",
                "rule_rows": "3",
                "rule_0_merge_code": "BigCommerce | Order | total_inc_tax",
                "rule_0_operator": "gt",
                "rule_0_value": "50",
                "rule_1_merge_code": "",
                "rule_1_operator": "equals",
                "rule_1_value": "",
                "rule_2_merge_code": "BigCommerce | Customer | email",
                "rule_2_operator": "is_not_empty",
                "rule_2_value": "",
            }
        ),
    )
    assert steps_of(workflow)[1:] == [
        ("delay", {"amount": 3, "unit": "days"}),
        (
            "condition",
            {
                "match": "any",
                "rules": [
                    {
                        "merge_code": "BigCommerce | Order | total_inc_tax",
                        "operator": "gt",
                        "value": "50",
                    },
                    {
                        "merge_code": "BigCommerce | Customer | email",
                        "operator": "is_not_empty",
                        "value": "",
                    },
                ],
            },
        ),
    ]
    html = as_manager.get(reverse("workflows:detail", args=[workflow.pk])).content.decode()
    assert "Wait 3 days" in html and "Order | total_inc_tax is greater than “50”" in html


def test_unknown_merge_code_is_shown_on_the_field_with_input_kept(as_manager, workflow):
    data = prefixed(
        {
            "to": "[BigCommerce | Customer | email]",
            "subject": "Hello there",
            "body": "Hi [BigCommerce | Customer | firstname]",
            "format": "text",
        }
    )
    response = as_manager.post(add_url(workflow, "send_email"), data)
    assert response.status_code == 200
    html = check_page(response)
    errors = response.context["step_form"].errors
    assert list(errors) == ["body"]
    assert "Unknown merge code" in errors["body"][0]
    assert "did you mean [BigCommerce | Customer | first_name]" in errors["body"][0]
    assert "Valid codes:" not in errors["body"][0]  # the picker lists them
    assert 'value="Hello there"' in html and "Hi [BigCommerce | Customer | firstname]" in html
    assert len(steps_of(workflow)) == 1


def test_required_fields_and_bad_values_per_type(as_manager, workflow):
    email = as_manager.post(add_url(workflow, "send_email"), prefixed({"format": "text"}))
    assert {"to", "subject", "body"} <= set(email.context["step_form"].errors)
    http = as_manager.post(
        add_url(workflow, "http_request"),
        prefixed(
            {"method": "GET", "url": "http://10.0.0.1/x", "headers": "no colon here", "body": "x"}
        ),
    )
    errors = http.context["step_form"].errors
    assert "Line 1" in errors["headers"][0]
    assert "https" in errors["url"][0] and "GET request has no body" in errors["body"][0]
    delay = as_manager.post(add_url(workflow, "delay"), prefixed({"amount": "400", "unit": "days"}))
    assert "between 1 and 365" in delay.context["step_form"].errors["amount"][0]
    assert 'value="400"' in delay.content.decode()


def test_condition_errors_land_on_the_rule_row(as_manager, workflow):
    response = as_manager.post(
        add_url(workflow, "condition"),
        prefixed(
            {
                "match": "all",
                "rule_rows": "2",
                "rule_0_merge_code": "",
                "rule_0_operator": "equals",
                "rule_0_value": "",
                "rule_1_merge_code": "BigCommerce | Order | id",
                "rule_1_operator": "gt",
                "rule_1_value": "",
            }
        ),
    )
    errors = response.context["step_form"].errors
    assert errors["rule_1_value"] == ["Required for operator 'gt'."]
    empty = as_manager.post(
        add_url(workflow, "condition"),
        prefixed({"match": "all", "rule_rows": "1", "rule_0_value": ""}),
    )
    assert "Add at least one rule" in empty.context["step_form"].non_field_errors()[0]


def test_edit_prefills_and_saves(as_manager, workflow):
    url = reverse("workflows:step-edit", args=[workflow.pk, 0])
    html = check_page(as_manager.get(url))
    assert 'value="How was your order, [BigCommerce | Customer | first_name]?"' in html
    data = prefixed({**SEND_EMAIL["config"], "subject": "New subject"})
    assert as_manager.post(url, data).status_code == 302
    assert steps_of(workflow)[0][1]["subject"] == "New subject"


def test_edit_missing_position_is_404(as_manager, workflow):
    assert as_manager.get(reverse("workflows:step-edit", args=[workflow.pk, 5])).status_code == 404


def test_move_and_delete(as_manager, create_workflow):
    workflow = create_workflow(steps=[SEND_EMAIL, DELAY])
    move = reverse("workflows:step-move", args=[workflow.pk, 1])
    assert as_manager.post(move, {"direction": "up"}).status_code == 302
    assert [t for t, _ in steps_of(workflow)] == ["delay", "send_email"]
    as_manager.post(reverse("workflows:step-move", args=[workflow.pk, 0]), {"direction": "down"})
    assert [t for t, _ in steps_of(workflow)] == ["send_email", "delay"]
    as_manager.post(reverse("workflows:step-move", args=[workflow.pk, 1]), {"direction": "down"})
    assert [t for t, _ in steps_of(workflow)] == ["send_email", "delay"]  # already last
    as_manager.post(reverse("workflows:step-delete", args=[workflow.pk, 0]))
    assert [t for t, _ in steps_of(workflow)] == ["delay"]
    assert [s.position for s in workflow.steps.all()] == [0]


def test_step_limit_is_enforced(as_manager, create_workflow):
    workflow = create_workflow(steps=[DELAY] * MAX_STEPS_PER_WORKFLOW)
    html = as_manager.get(reverse("workflows:detail", args=[workflow.pk])).content.decode()
    assert "+ Delay" not in html
    response = as_manager.post(
        add_url(workflow, "delay"), prefixed({"amount": "1", "unit": "days"})
    )
    assert response.status_code == 200
    assert "at most 50 steps" in " ".join(response.context["step_form"].non_field_errors())
    assert workflow.steps.count() == MAX_STEPS_PER_WORKFLOW


@pytest.mark.parametrize("name", ["add", "edit", "move", "delete"])
def test_member_cannot_edit_steps(as_member, workflow, name):
    url = {
        "add": add_url(workflow, "delay"),
        "edit": reverse("workflows:step-edit", args=[workflow.pk, 0]),
        "move": reverse("workflows:step-move", args=[workflow.pk, 0]),
        "delete": reverse("workflows:step-delete", args=[workflow.pk, 0]),
    }[name]
    response = as_member.post(url, prefixed({"amount": "1", "unit": "days"}))
    assert response.status_code == 403
    assert INTEGRATION_MANAGER_MESSAGE in response.content.decode()
    assert len(steps_of(workflow)) == 1
