"""The sending gate, as a store owner sees it: which customer emails go out, which runs are
skipped and why (run page, API, counts), and what a test event says."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CUSTOMER, SURVEY
from workflows import engine, services
from workflows.models import SentEmail, Suppression, WorkflowRun
from workflows.sending import stats

pytestmark = pytest.mark.django_db


def only_run(workflow) -> WorkflowRun:
    return WorkflowRun.objects.get(workflow=workflow)


# --- Suppression list ------------------------------------------------------------------------


def test_a_suppressed_customer_gets_no_email_and_the_run_says_why(
    survey, fire, store, account, mailoutbox
):
    # Given the customer unsubscribed earlier (stored in another case)
    Suppression.objects.create(account=account, email=CUSTOMER, reason="unsubscribed")
    store.customer_v3["email"] = "  Jane.Smith@Example.com "
    workflow = survey()
    # When the shipment is created
    fire()
    # Then nothing is sent; the run and its step are skipped, with the reason
    assert mailoutbox == []
    run = only_run(workflow)
    assert (run.status, run.skip_reason) == ("skipped", "suppressed")
    step = run.step_results.get()
    assert step.status == "skipped" and "suppression list (unsubscribed)" in step.detail
    assert SentEmail.objects.count() == 0


def test_another_accounts_suppression_does_not_count(
    survey, fire, store, other_account, mailoutbox
):
    Suppression.objects.create(account=other_account, email=CUSTOMER, reason="bounced")
    survey()
    fire()
    assert [mail.to for mail in mailoutbox] == [[CUSTOMER]]


def test_a_fixed_recipient_is_not_a_customer_email(survey, fire, store, account, mailoutbox):
    # Given a workflow that tells the team, and the team address on the list by mistake
    Suppression.objects.create(account=account, email="team@example.com", reason="manual")
    store.customer_v3["accepts_product_review_abandoned_cart_emails"] = False
    workflow = survey(to="team@example.com")
    fire()
    # Then no sending rule applies: it is not a customer email
    assert [mail.to for mail in mailoutbox] == [["team@example.com"]]
    assert "List-Unsubscribe" not in mailoutbox[0].extra_headers
    assert only_run(workflow).status == "succeeded"


# --- Consent ---------------------------------------------------------------------------------


def test_a_customer_who_declined_these_emails_is_skipped(survey, fire, store, mailoutbox):
    store.customer_v3["accepts_product_review_abandoned_cart_emails"] = False
    workflow = survey()
    fire()
    run = only_run(workflow)
    assert mailoutbox == []
    assert (run.status, run.skip_reason) == ("skipped", "no_consent")
    assert "accepts_product_review_abandoned_cart_emails is not true" in run.error


def test_consent_not_required_is_an_explicit_choice(survey, fire, store, mailoutbox):
    store.customer_v3["accepts_product_review_abandoned_cart_emails"] = False
    survey(consent="not_required")
    fire()
    assert [mail.to for mail in mailoutbox] == [[CUSTOMER]]


def test_a_guest_order_sends_only_when_the_order_opted_in(survey, fire, store, mailoutbox):
    # Given a guest checkout (customer_id 0) whose billing address has the email
    store.order.update(customer_id=0, is_email_opt_in=False)
    workflow = survey(to="[BigCommerce | Order | billing_address | email]")
    fire()
    assert mailoutbox == [] and only_run(workflow).skip_reason == "no_consent"
    # When the next guest order opted in
    store.order["is_email_opt_in"] = True
    fire(orderId=252)
    assert len(mailoutbox) == 1


def test_the_cart_events_use_the_v2_customers_accepts_marketing(survey, fire, store, mailoutbox):
    store.customer_v2["accepts_marketing"] = False
    workflow = survey(event="cart_abandoned")
    fire("cart_abandoned")
    assert only_run(workflow).skip_reason == "no_consent" and mailoutbox == []


# --- Frequency cap ---------------------------------------------------------------------------


def test_the_frequency_cap_counts_emails_of_every_workflow(survey, fire, store, mailoutbox):
    # Given two workflows emailing the same customer about the same shipment
    first, second = survey("Survey"), survey("Review request")
    # When it is created
    fire()
    # Then one email goes out (the default: 1 per 16 hours), the other run is skipped
    assert len(mailoutbox) == 1
    runs = {run.workflow_id: run for run in WorkflowRun.objects.all()}
    assert runs[first.pk].status == "succeeded"
    assert (runs[second.pk].status, runs[second.pk].skip_reason) == ("skipped", "frequency_cap")
    assert "already had 1 email(s) in the last 16 hours" in runs[second.pk].error


def test_emails_sent_before_the_cap_changed_still_count(
    survey, fire, store, account, mailoutbox, time_machine
):
    survey(send_once_scope="")
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    fire()
    # Given the account then allows 2 emails per 48 hours
    account.frequency_cap_emails, account.frequency_cap_hours = 2, 48
    account.save()
    # When the customer's next two orders ship over the next day
    time_machine.move_to("2026-03-02 20:00Z", tick=False)
    fire(orderId=252)
    time_machine.move_to("2026-03-03 08:00Z", tick=False)
    fire(orderId=253)
    # Then the email sent before the change counts: the third one is capped
    assert len(mailoutbox) == 2
    assert WorkflowRun.objects.filter(skip_reason="frequency_cap").count() == 1
    # And two days after the first, the customer can be emailed again
    time_machine.move_to("2026-03-04 09:30Z", tick=False)
    fire(orderId=254)
    assert len(mailoutbox) == 3


def test_the_rules_apply_in_order(survey, fire, store, account, mailoutbox):
    # Given a customer both suppressed and declining: the first rule names the skip
    Suppression.objects.create(account=account, email=CUSTOMER, reason="complained")
    store.customer_v3["accepts_product_review_abandoned_cart_emails"] = False
    workflow = survey()
    fire()
    assert only_run(workflow).skip_reason == "suppressed"


# --- Test events -----------------------------------------------------------------------------


def test_a_test_event_sends_to_the_tester_and_says_what_would_apply(
    make_workflow, manager, account, mailoutbox
):
    # Given the sample customer is suppressed, and a workflow emailing customers
    workflow = services.create_workflow(
        account=account,
        created_by=manager,
        steps=[{"type": "send_email", "config": SURVEY}],
        name="Survey",
        event="shipment_created",
        authentication=make_workflow().authentication,
    )
    Suppression.objects.create(account=account, email="janedoe@example.com", reason="manual")
    # When a test event is sent
    run = services.run_test_event(workflow, manager)
    # Then the tester gets it, and the step says the real one would have been skipped
    assert [mail.to for mail in mailoutbox] == [[manager.email]]
    assert run.status == "succeeded" and run.skip_reason == ""
    detail = run.step_results.get().detail
    assert "A real event would have been skipped: the recipient is on the suppression" in detail
    assert SentEmail.objects.count() == 0  # a test email is no customer email: not capped


# --- Where a skip is seen --------------------------------------------------------------------


def test_a_skip_shows_on_the_run_page_in_the_api_and_in_the_counts(
    survey, fire, store, account, manager, client, api_client, mailoutbox
):
    store.customer_v3["accepts_product_review_abandoned_cart_emails"] = False
    workflow = survey()
    fire()
    run = only_run(workflow)
    client.force_login(manager)
    page = client.get(reverse("workflows:run", args=[run.pk])).content.decode()
    assert "Skipped:" in page and "The customer has not accepted these emails" in page
    api_client.force_authenticate(manager)
    assert api_client.get(f"/api/v1/runs/{run.pk}/").json()["skip_reason"] == "no_consent"
    counts = api_client.get("/api/v1/runs/skip-counts/").json()
    assert counts["counts"]["no_consent"] == 1 and counts["total"] == 1
    assert stats.skip_counts(account.pk)["suppressed"] == 0


def test_skip_counts_are_per_account(survey, fire, store, other_member, api_client):
    store.customer_v3["accepts_product_review_abandoned_cart_emails"] = False
    survey()
    fire()
    api_client.force_authenticate(other_member)
    assert api_client.get("/api/v1/runs/skip-counts/").json()["total"] == 0


# --- Cost ------------------------------------------------------------------------------------


def test_the_gate_adds_at_most_two_queries_per_run(survey, fire, store, account, mailoutbox):
    # Given one workflow emailing a fixed address (no gate) and one emailing the customer
    ungated, gated = survey("Team", to="team@example.com"), survey("Customer")

    def queries_of(workflow) -> int:
        run = WorkflowRun.objects.create(
            workflow=workflow,
            merge_data=only_run(workflow).merge_data,
            leased_until=only_run(workflow).leased_until,
        )
        with CaptureQueriesContext(connection) as captured:
            engine.execute(run.pk)
        run.refresh_from_db()
        assert run.status == "succeeded"
        return len(captured.captured_queries)

    account.frequency_cap_emails = 0  # no cap: both send
    account.save()
    fire()
    WorkflowRun.objects.all().delete()
    fire(orderId=252)
    assert queries_of(gated) - queries_of(ungated) <= 2
