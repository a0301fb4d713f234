"""Alerts: each kind of problem opens an alert, is emailed once to the account's Integration
Managers (or its alert address) and not again the same day, shows in the banner, and is
resolved — banner gone — once the problem is. BigCommerce is the `responses` fake store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import subscriptions
from integrations.models import SubscriptionStatus
from workflows.alerts import evaluate
from workflows.alerts.models import Alert, AlertKind
from workflows.models import WorkflowRun

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def team(account, manager, member):
    """The account, with its Integration Manager and a member who is not one."""
    return account


def sub_of(workflow):
    return workflow.authentication.subscriptions.get(event=workflow.event)


def setup_hook_not_registered(store, make_workflow, auth, make_delivery, settings):
    sub = sub_of(make_workflow(name="Survey"))
    sub.status, sub.status_detail = SubscriptionStatus.ERROR, "BigCommerce said 500"
    sub.save()

    def resolve():
        subscriptions.ensure_registered(sub)

    return resolve


def setup_hook_deactivated(store, make_workflow, auth, make_delivery, settings):
    sub = subscriptions.ensure_registered(sub_of(make_workflow(name="Survey")))
    store.hooks[sub.hook_id]["is_active"] = False

    def resolve():
        store.hooks[sub.hook_id]["is_active"] = True

    return resolve


def setup_domain_blocked(store, make_workflow, auth, make_delivery, settings):
    subscriptions.ensure_registered(sub_of(make_workflow(name="Survey")))
    store.blocked_domains.append(
        {
            "destination": "https://workflows.example.com",
            "time_left": 3000,
            "reasons": [{"failure_description": "Request timed out", "count": 8}],
        }
    )

    def resolve():
        store.blocked_domains.clear()

    return resolve


def setup_auth_failing(store, make_workflow, auth, make_delivery, settings):
    subscriptions.ensure_registered(sub_of(make_workflow(name="Survey")))
    store.fail_next("/v3/hooks/admin", 401)

    def resolve():
        auth.status = "verified"
        auth.save()

    return resolve


def setup_dead_deliveries(store, make_workflow, auth, make_delivery, settings):
    delivery = make_delivery(status="dead")

    def resolve():
        delivery.status = "processed"
        delivery.save()

    return resolve


def setup_failure_rate(store, make_workflow, auth, make_delivery, settings):
    settings.ALERT_FAILURE_MIN_RUNS = 3
    workflow = make_workflow(name="Flaky", status="draft")
    runs = [WorkflowRun.objects.create(workflow=workflow, status="failed") for _ in range(3)]
    WorkflowRun.objects.filter(pk__in=[r.pk for r in runs]).update(created_at=T0)

    def resolve():
        WorkflowRun.objects.filter(pk__in=[r.pk for r in runs]).update(status="succeeded")

    return resolve


SETUPS = {
    AlertKind.HOOK_NOT_REGISTERED: setup_hook_not_registered,
    AlertKind.HOOK_DEACTIVATED: setup_hook_deactivated,
    AlertKind.DOMAIN_BLOCKED: setup_domain_blocked,
    AlertKind.AUTH_FAILING: setup_auth_failing,
    AlertKind.DEAD_DELIVERIES: setup_dead_deliveries,
    AlertKind.FAILURE_RATE: setup_failure_rate,
}


def banner(client) -> bool:
    return 'id="alert-banner"' in client.get(reverse("workflows:list")).content.decode()


@pytest.mark.parametrize("kind", list(SETUPS))
def test_an_alert_is_emailed_once_a_day_and_resolved_with_its_problem(
    kind,
    store,
    team,
    manager,
    as_manager,
    make_workflow,
    auth,
    make_delivery,
    settings,
    time_machine,
):
    # Given a problem of this kind
    time_machine.move_to(T0, tick=False)
    resolve = SETUPS[kind](store, make_workflow, auth, make_delivery, settings)

    # When the alert pass runs
    evaluate.run_pass(T0)

    # Then one alert of that kind is open, emailed once to the Integration Manager, in the banner
    alert = Alert.objects.get(kind=kind)
    assert alert.resolved_at is None and alert.last_emailed_at == T0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager.email]
    assert alert.get_kind_display() in mail.outbox[0].subject
    assert alert.detail in mail.outbox[0].body
    assert banner(as_manager)

    # When it runs again the same day, the problem still there
    evaluate.run_pass(T0 + timedelta(hours=5))

    # Then no second email
    assert len(mail.outbox) == 1
    assert Alert.objects.filter(kind=kind, resolved_at__isnull=True).count() == 1

    # When the problem is resolved and the pass runs
    resolve()
    evaluate.run_pass(T0 + timedelta(hours=6))

    # Then the alert is resolved, nothing more is emailed, and the banner is gone
    alert.refresh_from_db()
    assert alert.resolved_at == T0 + timedelta(hours=6)
    assert len(mail.outbox) == 1
    assert not banner(as_manager)


def test_a_lasting_problem_is_emailed_again_the_next_day(store, team, make_delivery):
    # Given a dead delivery, alerted at T0
    make_delivery(status="dead")
    evaluate.run_pass(T0)

    # When the pass runs a day later, the delivery still dead
    evaluate.run_pass(T0 + timedelta(hours=23))
    evaluate.run_pass(T0 + timedelta(hours=24))

    # Then a second email went, exactly one day after the first
    assert len(mail.outbox) == 2
    assert Alert.objects.get().last_emailed_at == T0 + timedelta(hours=24)


def test_the_accounts_alert_address_replaces_the_managers(store, team, make_delivery):
    # Given an account with its own alert address
    team.alert_email = "ops@example.com"
    team.save()
    make_delivery(status="dead")

    # When the pass runs, then only that address is emailed
    evaluate.run_pass(T0)
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]


def test_alerts_stay_in_their_account(
    store, team, other_account, other_auth, make_user, make_delivery, as_manager
):
    # Given a dead delivery in the other account, whose manager is rival@example.com
    make_user(other_account, "rival", integration_manager=True)
    make_delivery(status="dead", authentication=other_auth)

    # When the pass runs
    evaluate.run_pass(T0)

    # Then only the other account's manager is told, and our banner says nothing
    assert [m.to for m in mail.outbox] == [["rival@example.com"]]
    assert not banner(as_manager)
    assert Alert.objects.get().account == other_account


def test_a_blocked_domain_is_one_alert_until_bigcommerce_can_be_read(
    store, team, make_workflow, auth, settings
):
    # Given a blocked domain, alerted
    setup_domain_blocked(store, make_workflow, auth, None, settings)
    evaluate.run_pass(T0)

    # When BigCommerce can't be reached at the next pass
    store.fail_next("/v3/hooks/admin", 503, 503, 503)
    evaluate.run_pass(T0 + timedelta(minutes=15))

    # Then the alert stays open (unknown is not resolved)
    assert Alert.objects.get(kind=AlertKind.DOMAIN_BLOCKED).resolved_at is None


def test_the_repair_button_reactivates_a_deactivated_hook_and_clears_its_alert(
    store, team, as_manager, make_workflow, auth, settings
):
    # Given a hook BigCommerce deactivated, alerted
    setup_hook_deactivated(store, make_workflow, auth, None, settings)
    evaluate.run_pass()
    alert = Alert.objects.get(kind=AlertKind.HOOK_DEACTIVATED)
    html = as_manager.get("/").content.decode()
    repair = reverse("workflows:subscription-repair", args=[alert.subject_id])
    assert repair in html

    # When the manager presses the dashboard's button
    response = as_manager.post(repair)

    # Then the hook is active again at BigCommerce, the alert resolved, the banner gone
    assert response.status_code == 302
    assert all(h["is_active"] for h in store.hooks.values())
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert not banner(as_manager)


def test_members_can_not_repair_or_change_the_alert_address(
    as_member, store, team, auth, make_workflow
):
    sub = sub_of(make_workflow(name="Survey"))
    assert (
        as_member.post(reverse("workflows:subscription-repair", args=[sub.pk])).status_code == 403
    )
    assert as_member.post(reverse("workflows:alerts-check")).status_code == 403
    response = as_member.post(reverse("workflows:alerts"), {"alert_email": "x@example.com"})
    assert response.status_code == 403
    team.refresh_from_db()
    assert team.alert_email == ""


def test_a_manager_sets_the_alert_address(as_manager, team):
    response = as_manager.post(reverse("workflows:alerts"), {"alert_email": "not an address"})
    assert response.status_code == 200 and "valid email" in response.content.decode()
    as_manager.post(reverse("workflows:alerts"), {"alert_email": "ops@example.com"})
    team.refresh_from_db()
    assert team.alert_email == "ops@example.com"


def test_another_accounts_hook_can_not_be_repaired(as_manager, other_auth):
    from tests.factories import wanted_subscription

    sub = wanted_subscription(other_auth, "shipment_created")
    assert (
        as_manager.post(reverse("workflows:subscription-repair", args=[sub.pk])).status_code == 404
    )


def test_the_pass_needs_the_same_queries_for_more_accounts(
    store, make_account, make_user, make_authentication, make_delivery, settings
):
    # Given one account with a problem of every kind found in our tables (a hook not
    # registered, a failing authentication, a failing workflow, a dead delivery)
    from tests.factories import make_workflow

    settings.ALERT_FAILURE_MIN_RUNS = 1

    def troubled(name):
        account = make_account(name)
        make_user(account, f"m-{name}", integration_manager=True)
        auth = make_authentication(account, status="failed")
        workflow = make_workflow(name="Flaky", account=account, authentication=auth)
        WorkflowRun.objects.create(workflow=workflow, status="failed")
        make_delivery(status="dead", authentication=auth)

    def queries():
        Alert.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            evaluate.run_pass(timezone.now())
        return len(ctx.captured_queries)

    troubled("One")
    one = queries()

    # When there are four such accounts
    for name in ("Two", "Three", "Four"):
        troubled(name)
    four = queries()

    # Then the pass needs no more queries, and each account got its email
    assert four == one
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 4 * 4
    assert len(mail.outbox) == 1 + 4


def test_account_admins_see_their_accounts_alerts_only(
    client, account_admin, account, other_account
):
    # Given an alert in each account
    for owner, key in ((account, "subscription:1"), (other_account, "subscription:2")):
        Alert.objects.create(
            account=owner,
            kind=AlertKind.HOOK_NOT_REGISTERED,
            subject_key=key,
            detail=key,
            opened_at=T0,
        )

    # When the account admin lists alerts in the admin, then only their account's is there
    client.force_login(account_admin)
    html = client.get(reverse("admin:workflows_alert_changelist")).content.decode()
    assert "subscription:1" in html and "subscription:2" not in html


def test_the_pass_is_scheduled_every_15_minutes_and_reports_what_it_did(store, team, make_delivery):
    from django_q.models import Schedule

    from workflows import tasks

    # Given the migrated schedule, then the task runs every 15 minutes
    schedule = Schedule.objects.get(func="workflows.tasks.check_alerts")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 15, -1)

    # When the task runs with a dead delivery, then it says what it opened and emailed
    make_delivery(status="dead")
    assert tasks.check_alerts() == {"opened": 1, "resolved": 0, "open": 1, "emailed": 1}
