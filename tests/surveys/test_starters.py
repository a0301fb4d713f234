"""The wizard's starter templates: each creates a real, editable draft whose steps pass the
same validation as a hand-made workflow's, and the survey ones share a starter NPS survey."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import Survey
from surveys.starters import STARTER_SURVEY
from tests.html import check_page
from workflows.models import Workflow
from workflows.starters import STARTERS, create_from
from workflows.steps import validate_steps
from workflows.steps.registry import check_account

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["nps_after_shipment", "review_request", "abandoned_cart"])
def test_each_template_makes_a_valid_draft(key, account, manager, auth):
    # given a template
    starter = STARTERS[key]

    # when it is used
    workflow = create_from(starter, account=account, created_by=manager, authentication=auth)

    # then it is a draft of its event, and its stored steps pass a hand-made workflow's checks
    assert (workflow.status, workflow.event, workflow.name) == (
        "draft",
        starter.event,
        starter.name,
    )
    stored = [{"type": s.type, "config": s.config} for s in workflow.steps.order_by("position")]
    assert stored and validate_steps(stored, workflow.event) == stored
    check_account(stored, account.pk)


def test_the_survey_templates_share_one_starter_survey(account, manager, auth):
    # when both survey templates are used
    for key in ("nps_after_shipment", "review_request"):
        create_from(STARTERS[key], account=account, created_by=manager, authentication=auth)

    # then one starter NPS survey was made for the account, and both invite to it
    (survey,) = Survey.objects.filter(account=account)
    assert survey.name == STARTER_SURVEY
    assert [q.kind for q in survey.questions.order_by("position")] == ["nps", "text"]
    invited = {
        s.config["survey"]
        for wf in Workflow.objects.all()
        for s in wf.steps.all()
        if s.type == "survey_invite"
    }
    assert invited == {survey.pk}


def test_the_review_request_acts_on_the_answer(account, manager, auth):
    workflow = create_from(
        STARTERS["review_request"], account=account, created_by=manager, authentication=auth
    )
    invite, block = workflow.steps.order_by("position")
    assert invite.config["wait_days"] == 7
    assert block.type == "if_else"
    assert block.config["condition"]["rules"][0]["merge_code"] == "Survey | outcome"
    assert block.config["then"][0]["config"]["to"].startswith("[BigCommerce | Customer | email]")
    assert block.config["else"][1]["config"]["to"] == manager.email


def test_the_abandoned_cart_reminder_carries_the_items_and_the_link(account, manager, auth):
    workflow = create_from(
        STARTERS["abandoned_cart"], account=account, created_by=manager, authentication=auth
    )
    body = workflow.steps.get(type="send_email").config["body"]
    assert "[BigCommerce | Cart | line_items | list]" in body
    assert "[BigCommerce | Cart | recovery_url]" in body


def test_the_wizard_offers_the_templates_and_saves_one_as_a_draft(as_manager, auth):
    # given the wizard's first page, which lists the templates
    html = check_page(as_manager.get(reverse("workflows:new-name")))
    for starter in STARTERS.values():
        assert starter.name in html

    # when the review-request template is chosen, then the wizard's steps are followed
    as_manager.post(reverse("workflows:new-name"), {"name": "Reviews", "starter": "review_request"})
    as_manager.post(reverse("workflows:new-initiator"), {"initiator": "bigcommerce"})
    event_page = as_manager.get(reverse("workflows:new-event"))
    assert event_page.context["form"]["event"].value() == "shipment_created"  # the template's
    as_manager.post(reverse("workflows:new-event"), {"event": "shipment_created"})
    response = as_manager.post(
        reverse("workflows:new-authentication"), {"mode": "existing", "authentication": auth.pk}
    )

    # then the draft has the template's steps, under the name given
    workflow = Workflow.objects.get()
    assert response["Location"] == reverse("workflows:detail", args=[workflow.pk])
    assert (workflow.name, workflow.status) == ("Reviews", "draft")
    assert [s.type for s in workflow.steps.order_by("position")] == ["survey_invite", "if_else"]


def test_a_template_of_another_event_is_not_applied(as_manager, auth):
    # given the abandoned-cart template chosen, but then the shipment event
    as_manager.post(reverse("workflows:new-name"), {"name": "X", "starter": "abandoned_cart"})
    as_manager.post(reverse("workflows:new-initiator"), {"initiator": "bigcommerce"})
    as_manager.post(reverse("workflows:new-event"), {"event": "shipment_created"})
    response = as_manager.post(
        reverse("workflows:new-authentication"),
        {"mode": "existing", "authentication": auth.pk},
        follow=True,
    )

    # then the workflow is saved without steps (they would not fit), and says why
    workflow = Workflow.objects.get()
    assert not workflow.steps.exists()
    assert "template is for another event: its steps were left out" in (response.content.decode())


def test_an_unknown_template_is_refused_on_the_form(as_manager):
    response = as_manager.post(reverse("workflows:new-name"), {"name": "X", "starter": "nope"})
    assert response.status_code == 200
    assert "starter" in response.context["starter_form"].errors
