"""Workflows and runs in the Django admin: scoped, steps validated, failed runs retryable."""

import pytest
from django.urls import reverse

from workflows.models import Step, WorkflowRun

pytestmark = pytest.mark.django_db


def test_account_admin_sees_only_own_workflows_and_runs(
    client, account_admin, make_workflow, make_authentication, other_account
):
    ours = make_workflow("shipment_created", name="Ours")
    theirs_auth = make_authentication(other_account, name="Theirs auth")
    theirs = make_workflow(
        "cart_converted",
        name="Theirs",
        status="draft",
        account=other_account,
        authentication=theirs_auth,
    )
    WorkflowRun.objects.create(workflow=ours, status="succeeded")
    WorkflowRun.objects.create(workflow=theirs, status="failed")
    client.force_login(account_admin)
    html = client.get(reverse("admin:workflows_workflow_changelist")).content.decode()
    assert "Ours" in html and "Theirs" not in html
    html = client.get(reverse("admin:workflows_workflowrun_changelist")).content.decode()
    assert "Ours" in html and "Theirs" not in html
    assert (
        client.get(reverse("admin:workflows_workflow_change", args=[theirs.pk])).status_code == 302
    )


def test_workflow_page_lists_merge_codes_and_scopes_authentications(
    client, account_admin, make_workflow, make_authentication, other_account
):
    wf = make_workflow("cart_abandoned")
    make_authentication(other_account, name="Foreign credentials")
    client.force_login(account_admin)
    html = client.get(reverse("admin:workflows_workflow_change", args=[wf.pk])).content.decode()
    assert "[BigCommerce | Cart | currency | code]" in html
    assert "Foreign credentials" not in html


def inline_data(wf, config):
    return {
        "name": wf.name,
        "event": wf.event,
        "authentication": wf.authentication_id,
        "send_once_scope": "",
        "send_once_days": 30,
        "consent": "required",
        "send_window_start_hour": 9,
        "send_window_end_hour": 17,
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-position": "0",
        "steps-0-type": "send_email",
        "steps-0-config": config,
    }


def save_with_a_step(client, wf, config: str):
    """Save the workflow's admin page with one send_email step of `config` (JSON text)."""
    return client.post(
        reverse("admin:workflows_workflow_change", args=[wf.pk]), inline_data(wf, config)
    )


def test_admin_step_with_unknown_merge_code_is_refused(client, account_admin, make_workflow):
    wf = make_workflow("cart_abandoned", status="draft")
    client.force_login(account_admin)
    config = '{"to": "[BigCommerce | Order | id]", "subject": "s", "body": "b"}'
    response = save_with_a_step(client, wf, config)
    assert response.status_code == 200
    assert "BigCommerce | Cart | email" in response.content.decode()
    assert not Step.objects.exists()


def test_admin_valid_step_is_saved(client, account_admin, make_workflow):
    wf = make_workflow("cart_abandoned", status="draft")
    client.force_login(account_admin)
    config = '{"to": "[BigCommerce | Cart | email]", "subject": "Forgot something?", "body": "Hi"}'
    response = save_with_a_step(client, wf, config)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Step.objects.get().config["to"] == "[BigCommerce | Cart | email]"


def test_retry_action_on_failed_runs(
    client, account_admin, make_workflow, django_capture_on_commit_callbacks
):
    wf = make_workflow("shipment_created")
    run = WorkflowRun.objects.create(workflow=wf, status="failed", error="boom")
    client.force_login(account_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:workflows_workflowrun_changelist"),
            {"action": "retry_failed", "_selected_action": [run.pk]},
        )
    run.refresh_from_db()
    assert run.status == "succeeded"  # no steps: the retried run just succeeds


def test_changing_an_active_workflows_event_in_admin_moves_its_hook(
    client, account_admin, make_workflow, store
):
    from integrations.subscriptions import subscription_for
    from workflows import services

    wf = services.activate(make_workflow("shipment_created", status="draft"))
    client.force_login(account_admin)
    data = inline_data(wf, "{}")
    data.update({"event": "cart_converted", "steps-TOTAL_FORMS": "0"})
    response = client.post(reverse("admin:workflows_workflow_change", args=[wf.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert subscription_for(wf.authentication, "cart_converted").status == "registered"
    assert subscription_for(wf.authentication, "shipment_created").hook_id is None
    assert [h["scope"] for h in store.hooks.values()] == ["store/cart/converted"]


@pytest.mark.parametrize(
    "config", ["[" * 1_100 + "]" * 1_100, '{"a":' * 5_000 + "1" + "}" * 5_000, '{"a": NaN}']
)
def test_admin_step_config_beyond_the_json_limits_is_a_form_error(
    client, account_admin, make_workflow, config
):
    # Given a step config typed into the admin that nests past JSON_MAX_DEPTH (or is not JSON)
    wf = make_workflow("cart_abandoned", status="draft")
    client.force_login(account_admin)
    client.raise_request_exception = False  # a crash must show as the 500 it would be
    # When the workflow is saved
    response = client.post(
        reverse("admin:workflows_workflow_change", args=[wf.pk]), inline_data(wf, config)
    )
    # Then the form is shown again with the reason, and nothing was saved
    assert response.status_code == 200
    html = response.content.decode()
    assert "levels deep (the limit)" in html or "not valid JSON" in html
    assert not Step.objects.exists()
