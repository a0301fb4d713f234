"""Workflow list and workflow page: status, subscription, settings, activate/pause, test, delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from tests.factories import ACCESS_TOKEN, DELAY
from tests.html import check_page
from workflows.models import Workflow, WorkflowRun

pytestmark = pytest.mark.django_db


def detail(workflow):
    return reverse("workflows:detail", args=[workflow.pk])


def settings_with(workflow, **changes) -> dict:
    """The settings form as the page fills it, with `changes`."""
    data = {
        "name": workflow.name,
        "event": workflow.event,
        "authentication": workflow.authentication_id,
        "send_once_scope": workflow.send_once_scope,
        "send_once_days": workflow.send_once_days,
        **changes,
    }
    return {f"settings-{key}": value for key, value in data.items()}


def test_home_is_the_dashboard_and_links_to_the_workflow_list(as_member):
    html = check_page(as_member.get("/"))
    assert "Dashboard" in html and f'href="{reverse("workflows:list")}"' in html


def test_list_shows_name_event_status_and_last_run(as_member, workflow, create_workflow, run):
    create_workflow(name="Abandoned carts", event="cart_abandoned", steps=[])
    html = check_page(as_member.get(reverse("workflows:list")))
    assert "Post-shipment survey" in html and "Abandoned carts" in html
    assert "Shipment Created" in html and "Cart Abandoned" in html
    assert "Draft" in html
    assert reverse("workflows:run", args=[run.pk]) in html
    assert "Never" in html  # the workflow without runs


def test_empty_list_invites_to_create_one(as_member):
    html = check_page(as_member.get(reverse("workflows:list")))
    assert "No workflows yet" in html and reverse("workflows:new") in html


def test_list_shows_only_own_account(as_member, workflow, other_workflow):
    html = as_member.get(reverse("workflows:list")).content.decode()
    assert workflow.name in html and other_workflow.name not in html


def test_page_shows_initiator_subscription_steps_and_runs(as_manager, workflow, run):
    html = check_page(as_manager.get(detail(workflow)))
    assert "BigCommerce" in html and "Shipment Created" in html
    sub = workflow.authentication.subscriptions.get(event="shipment_created")
    assert f"https://workflows.example.com/webhooks/bigcommerce/{sub.uuid}/" in html
    assert "Not registered" in html
    assert "Activate the workflow to register this webhook" in html
    assert "How was your order" in html  # the step summary
    assert f"#{run.pk}" in html
    for label in (
        "Activate",
        "Send test event",
        "Save settings",
        "+ Send email",
        "+ Condition",
        "+ HTTP request",
        "+ Delay",
    ):
        assert label in html
    assert ACCESS_TOKEN not in html


def test_page_says_why_without_public_url(as_manager, workflow, settings):
    settings.PUBLIC_BASE_URL = ""
    html = as_manager.get(detail(workflow)).content.decode()
    assert "PUBLIC_BASE_URL is not set" in html


def test_member_reads_the_page_without_write_controls(as_member, workflow):
    html = check_page(as_member.get(detail(workflow)))
    assert workflow.name in html
    assert "Integration Manager permission" in html
    for label in ("Send test event", "Save settings", "+ Send email", ">Activate<"):
        assert label not in html


def test_activate_registers_the_hook_and_pause_removes_it(as_manager, workflow, store):
    response = as_manager.post(reverse("workflows:activate", args=[workflow.pk]))
    assert response.url == detail(workflow)
    workflow.refresh_from_db()
    assert workflow.status == "active"
    assert len(store.hooks) == 1
    html = as_manager.get(detail(workflow)).content.decode()
    assert "Registered" in html and ">Pause<" in html
    as_manager.post(reverse("workflows:pause", args=[workflow.pk]))
    workflow.refresh_from_db()
    assert workflow.status == "paused" and store.hooks == {}


def test_activate_without_public_url_warns_why(as_manager, create_workflow, settings):
    # A workflow that emails no customer (a customer email needs the address: tests/workflows)
    workflow = create_workflow(steps=[DELAY])
    settings.PUBLIC_BASE_URL = ""
    response = as_manager.post(reverse("workflows:activate", args=[workflow.pk]), follow=True)
    html = response.content.decode()
    assert "not registered" in html and "PUBLIC_BASE_URL is not set" in html
    workflow.refresh_from_db()
    assert workflow.status == "active"


def test_send_test_event_runs_and_redirects_to_the_run(as_manager, workflow, mailoutbox):
    response = as_manager.post(reverse("workflows:test", args=[workflow.pk]))
    run = WorkflowRun.objects.get()
    assert response.url == reverse("workflows:run", args=[run.pk])
    assert run.is_test and run.status == "succeeded"
    assert [m.to for m in mailoutbox] == [["manny@example.com"]]


def test_settings_save_send_once_and_name(as_manager, workflow, make_authentication, account):
    second = make_authentication(account, name="Second store")
    response = as_manager.post(
        reverse("workflows:settings", args=[workflow.pk]),
        settings_with(
            workflow,
            name="Renamed",
            authentication=second.pk,
            send_once_scope="order",
            send_once_days="14",
        ),
    )
    assert response.url == detail(workflow)
    workflow.refresh_from_db()
    assert (
        workflow.name,
        workflow.authentication,
        workflow.send_once_scope,
        workflow.send_once_days,
    ) == ("Renamed", second, "order", 14)


def test_settings_errors_keep_input(as_manager, workflow, other_auth):
    response = as_manager.post(
        reverse("workflows:settings", args=[workflow.pk]),
        settings_with(
            workflow,
            name="Kept name",
            authentication=other_auth.pk,
            send_once_scope="customer",
            send_once_days="0",
        ),
    )
    assert response.status_code == 200
    html = check_page(response)
    form = response.context["settings_form"]
    assert set(form.errors) == {"authentication", "send_once_days"}
    assert 'value="Kept name"' in html and 'value="0"' in html
    workflow.refresh_from_db()
    assert workflow.name == "Post-shipment survey"


def test_settings_move_the_workflow_to_an_event_its_steps_fit(as_manager, workflow, store):
    # Given an active workflow whose email uses customer codes, which every event offers
    as_manager.post(reverse("workflows:activate", args=[workflow.pk]))
    assert [h["scope"] for h in store.hooks.values()] == ["store/shipment/created"]
    # When its settings move it to Cart Converted
    response = as_manager.post(
        reverse("workflows:settings", args=[workflow.pk]),
        settings_with(workflow, event="cart_converted"),
    )
    # Then it listens to that event now, with its step, and the hooks followed
    assert response.url == detail(workflow)
    workflow.refresh_from_db()
    assert workflow.event == "cart_converted"
    assert workflow.steps.get().config["to"] == "[BigCommerce | Customer | email]"
    assert [h["scope"] for h in store.hooks.values()] == ["store/cart/converted"]


def test_settings_refuse_an_event_without_the_codes_the_steps_use(as_manager, create_workflow):
    # Given an email step that uses the order's id
    email = {
        "type": "send_email",
        "config": {
            "to": "[BigCommerce | Customer | email]",
            "subject": "Order [BigCommerce | Order | id]",
            "body": "Thanks.",
            "format": "text",
        },
    }
    workflow = create_workflow(steps=[email])
    # When its settings try Cart Abandoned, which has no order
    response = as_manager.post(
        reverse("workflows:settings", args=[workflow.pk]),
        settings_with(workflow, event="cart_abandoned", name="Renamed"),
    )
    # Then the page says which step and code don't fit, and nothing changed
    assert response.status_code == 200
    html = check_page(response)
    errors = response.context["settings_form"].errors["event"]
    assert errors[0] == "The steps don't fit the Cart Abandoned event:"
    assert "Step 1 (Send email)" in errors[1] and "[BigCommerce | Order | id]" in errors[1]
    assert "Step 1 (Send email)" in html
    workflow.refresh_from_db()
    assert (workflow.event, workflow.name) == ("shipment_created", "Post-shipment survey")


def test_delete_confirms_then_deletes(as_manager, workflow):
    url = reverse("workflows:delete", args=[workflow.pk])
    html = check_page(as_manager.get(url))
    assert "Delete workflow" in html
    assert as_manager.post(url).url == reverse("workflows:list")
    assert not Workflow.objects.exists()


@pytest.mark.parametrize("action", ["activate", "pause", "test", "delete", "settings"])
def test_member_cannot_write(as_member, workflow, action):
    response = as_member.post(reverse(f"workflows:{action}", args=[workflow.pk]))
    assert response.status_code == 403
    assert INTEGRATION_MANAGER_MESSAGE in response.content.decode()
    workflow.refresh_from_db()
    assert workflow.status == "draft" and not WorkflowRun.objects.exists()


@pytest.mark.parametrize("action", ["activate", "pause", "test"])
def test_actions_are_post_only(as_manager, workflow, action):
    assert as_manager.get(reverse(f"workflows:{action}", args=[workflow.pk])).status_code == 405


def test_runs_are_paginated_newest_first(as_member, workflow, manager):
    from workflows import services

    runs = [services.run_test_event(workflow, manager) for _ in range(21)]
    url = reverse("workflows:detail", args=[workflow.pk])
    first = as_member.get(url).content.decode()
    assert f"#{runs[-1].pk}<" in first and f"#{runs[0].pk}<" not in first
    assert "?runs=2#runs" in first
    second = as_member.get(url + "?runs=2").content.decode()
    assert f"#{runs[0].pk}<" in second
