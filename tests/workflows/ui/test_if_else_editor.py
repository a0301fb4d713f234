"""The steps editor with an If / else: its condition form, then/else steps added, edited,
moved and deleted with plain forms, nested If / else refused, errors shown on the form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import DELAY, SEND_EMAIL
from tests.html import check_page
from workflows.steps import validate_steps

pytestmark = pytest.mark.django_db
SCORE = "BigCommerce | Order | total_inc_tax"
TEAM = {
    "to": "team@shop.example",
    "subject": "A detractor: order [BigCommerce | Order | id]",
    "body": "Call them.",
    "format": "text",
}
REVIEW = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Review your order",
    "body": "https://shop.example/review?order=[BigCommerce | Order | id]",
    "format": "text",
}


def prefixed(data):
    return {f"step-{k}": v for k, v in data.items()}


def condition_form(operator="lte", value="6", **more):
    return prefixed(
        {
            "match": "all",
            "rule_rows": "1",
            "rule_0_merge_code": SCORE,
            "rule_0_operator": operator,
            "rule_0_value": value,
            **more,
        }
    )


def branch_url(name, workflow, position, branch, *rest):
    return reverse(f"workflows:branch-step-{name}", args=[workflow.pk, position, branch, *rest])


def config_of(workflow, position=0):
    return workflow.steps.get(position=position).config


@pytest.fixture
def block(create_workflow):
    """A workflow: an email, then an If / else (score ≤ 6) with nothing in its branches."""
    steps = [
        SEND_EMAIL,
        {
            "type": "if_else",
            "config": {
                "condition": {"rules": [{"merge_code": SCORE, "operator": "lte", "value": "6"}]}
            },
        },
    ]
    return create_workflow(steps=validate_steps(steps, "shipment_created"))


def test_an_if_else_is_added_with_its_condition_and_empty_branches(as_manager, workflow):
    # given the add form of an If / else
    url = reverse("workflows:step-add", args=[workflow.pk, "if_else"])
    html = check_page(as_manager.get(url))
    assert 'name="step-rule_0_merge_code"' in html and "Take “then” when" in html

    # when it is posted with a rule
    response = as_manager.post(url, condition_form())

    # then the step is stored, and the page offers to add steps to each branch
    assert response.status_code == 302
    config = config_of(workflow, 1)
    assert config == {
        "condition": {
            "match": "all",
            "rules": [{"merge_code": SCORE, "operator": "lte", "value": "6"}],
        },
        "then": [],
        "else": [],
    }
    page = check_page(as_manager.get(reverse("workflows:detail", args=[workflow.pk])))
    assert "If all rules match: Order | total_inc_tax is less than or equal to “6”" in page
    assert branch_url("add", workflow, 1, "then", "send_email") in page
    assert branch_url("add", workflow, 1, "else", "delay") in page
    assert branch_url("add", workflow, 1, "then", "if_else") not in page  # one level


def test_a_detractor_emails_the_team_and_a_promoter_gets_a_review_link(as_manager, block):
    # given an If / else on the score
    # when the team email is added to "then" and the review email to "else"
    then = as_manager.post(branch_url("add", block, 1, "then", "send_email"), prefixed(TEAM))
    otherwise = as_manager.post(branch_url("add", block, 1, "else", "send_email"), prefixed(REVIEW))

    # then both are stored in their branch, validated like any step
    assert then.status_code == otherwise.status_code == 302
    config = config_of(block, 1)
    assert config["then"] == [{"type": "send_email", "config": TEAM}]
    assert config["else"] == [{"type": "send_email", "config": REVIEW}]
    assert config["condition"]["rules"][0]["value"] == "6"  # untouched
    page = check_page(as_manager.get(reverse("workflows:detail", args=[block.pk])))
    assert "then 1 step, else 1 step" in page
    assert "To team@shop.example" in page and "“Review your order”" in page


def test_a_bad_branch_step_shows_its_errors_in_the_branch_with_input_kept(as_manager, block):
    # given an email with an unknown code, posted to "else"
    data = prefixed({**REVIEW, "body": "Hi [BigCommerce | Customer | firstname]"})

    # when
    response = as_manager.post(branch_url("add", block, 1, "else", "send_email"), data)

    # then the form comes back in the branch, saying what to fix, nothing saved
    assert response.status_code == 200
    html = check_page(response)
    assert (
        "did you mean [BigCommerce | Customer | first_name]"
        in response.context["step_form"].errors["body"][0]
    )
    assert "New send email step in step 2’s “else”" in html
    assert f'action="{branch_url("add", block, 1, "else", "send_email")}#step-form"' in html
    assert "Hi [BigCommerce | Customer | firstname]" in html
    assert config_of(block, 1)["else"] == []


def test_an_if_else_cannot_be_added_inside_a_branch(as_manager, block):
    # when someone posts an If / else into a branch
    url = branch_url("add", block, 1, "then", "if_else")
    response = as_manager.post(url, condition_form(), follow=True)

    # then it is refused with a clear message and nothing changes
    assert "go inside a branch (one level only)" in response.content.decode()
    assert config_of(block, 1)["then"] == []


def test_branch_steps_are_edited_moved_and_deleted_in_place(as_manager, block):
    # given "then": the team email, then a delay
    as_manager.post(branch_url("add", block, 1, "then", "send_email"), prefixed(TEAM))
    as_manager.post(
        branch_url("add", block, 1, "then", "delay"), prefixed({"amount": "2", "unit": "days"})
    )

    # when the email is edited (its form prefilled, in the branch)
    edit = branch_url("edit", block, 1, "then", 0)
    html = check_page(as_manager.get(edit))
    assert 'value="team@shop.example"' in html and "Edit step 2 · then 1: Send email" in html
    as_manager.post(edit, prefixed({**TEAM, "subject": "Call this customer"}))

    # then it is saved in place
    assert config_of(block, 1)["then"][0]["config"]["subject"] == "Call this customer"

    # when the delay is moved up, then the email deleted
    as_manager.post(branch_url("move", block, 1, "then", 1), {"direction": "up"})
    assert [s["type"] for s in config_of(block, 1)["then"]] == ["delay", "send_email"]
    as_manager.post(branch_url("delete", block, 1, "then", 1))

    # then the branch holds the delay only, and the workflow's own steps are untouched
    assert config_of(block, 1)["then"] == [
        {"type": "delay", "config": {"amount": 2, "unit": "days"}}
    ]
    assert [s.type for s in block.steps.order_by("position")] == ["send_email", "if_else"]


def test_editing_the_condition_keeps_the_branches(as_manager, block):
    # given a step in "else"
    as_manager.post(branch_url("add", block, 1, "else", "send_email"), prefixed(REVIEW))

    # when the If / else's condition is edited (its form prefilled)
    url = reverse("workflows:step-edit", args=[block.pk, 1])
    html = check_page(as_manager.get(url))
    assert 'value="6"' in html
    response = as_manager.post(url, condition_form(operator="lt", value="7"))

    # then the rule changed and the branch is still there
    assert response.status_code == 302
    config = config_of(block, 1)
    assert config["condition"]["rules"][0] == {"merge_code": SCORE, "operator": "lt", "value": "7"}
    assert config["else"][0]["config"]["subject"] == "Review your order"


def test_condition_errors_land_on_the_rule_row(as_manager, block):
    # when the If / else's rule has no value for "is less than"
    url = reverse("workflows:step-edit", args=[block.pk, 1])
    response = as_manager.post(url, condition_form(value=""))

    # then the error is on the rule's value, and nothing changed
    assert response.context["step_form"].errors["rule_0_value"] == ["Required for operator 'lte'."]
    assert config_of(block, 1)["condition"]["rules"][0]["value"] == "6"


@pytest.mark.parametrize(
    ("position", "branch", "index"), [(0, "then", 0), (1, "then", 0), (9, "else", 0)]
)
def test_a_branch_that_does_not_exist_is_404(as_manager, block, position, branch, index):
    # step 1 is an email (no branches); step 2's "then" is empty; there is no step 10
    assert as_manager.get(branch_url("edit", block, position, branch, index)).status_code == 404
    add = branch_url("add", block, position, branch, "delay")
    assert as_manager.get(add).status_code == (200 if position == 1 else 404)


def test_a_member_cannot_change_branches(as_member, block):
    response = as_member.post(
        branch_url("add", block, 1, "then", "delay"), prefixed(DELAY["config"])
    )
    assert response.status_code == 403
    assert config_of(block, 1)["then"] == []


def test_the_run_page_shows_the_branch_taken_and_its_steps(as_member, create_workflow, manager):
    # given a test run of "score ≤ 100: email the team; else: the review link"
    from workflows import services

    steps = [
        {
            "type": "if_else",
            "config": {
                "condition": {"rules": [{"merge_code": SCORE, "operator": "lte", "value": "100"}]},
                "then": [{"type": "send_email", "config": TEAM}],
                "else": [{"type": "send_email", "config": REVIEW}],
            },
        }
    ]
    workflow = create_workflow(steps=validate_steps(steps, "shipment_created"))
    run = services.run_test_event(workflow, manager)

    # when its page is opened
    html = check_page(as_member.get(reverse("workflows:run", args=[run.pk])))

    # then the log shows the decision with its branch, and the branch's step numbered in it
    assert '<span class="badge branch-taken">→ then</span>' in html
    assert "Condition met: the “then” branch runs (1 step)" in html
    assert '<td data-label="#" class="nowrap">1 · then 1</td>' in html
    assert "else 1" not in html  # the else branch never ran
