"""The send window and "delay until" in the store's time zone, as a store owner sees them:
an email due outside the window waits for it (and the rules are applied again then), a delay
waits until the next allowed weekday at a time of day, right across daylight-saving changes."""

import json
from datetime import UTC, datetime, time

import pytest
import responses
from django.core.exceptions import ValidationError

from integrations import authentications, store_zone
from tests.conftest import ACCESS_TOKEN, BC_BASE, CLIENT_ID, STORE_HASH, load_bigcommerce_example
from tests.factories import CUSTOMER
from workflows import engine, services, tasks
from workflows.models import Step, StepResult, Suppression, WorkflowRun
from workflows.sending import window
from workflows.steps.base import StepContext
from workflows.steps.delay import DelayStep

pytestmark = pytest.mark.django_db
NEW_YORK, LONDON = window.store_zone("America/New_York"), window.store_zone("Europe/London")
WEEKDAYS = frozenset(range(5))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- The clock arithmetic --------------------------------------------------------------------


def test_a_window_opening_after_the_spring_forward_weekend_is_at_9_local():
    # Friday 18:00 EST; the clocks go forward on Sunday 8 March 2026
    opens = window.SendWindow(WEEKDAYS, 9, 17).next_opening(utc("2026-03-06 23:00"), NEW_YORK)
    assert opens == utc("2026-03-09 13:00")  # Monday 09:00 EDT (not 14:00: 09:00 EST)


def test_a_window_opening_after_the_autumn_weekend_is_at_9_local():
    # Saturday noon BST; the clocks go back on Sunday 25 October 2026
    opens = window.SendWindow(WEEKDAYS, 9, 17).next_opening(utc("2026-10-24 11:00"), LONDON)
    assert opens == utc("2026-10-26 09:00")  # Monday 09:00 GMT


def test_inside_the_window_it_is_open_now():
    now = utc("2026-03-09 15:00")  # Monday 11:00 EDT
    assert window.SendWindow(WEEKDAYS, 9, 17).next_opening(now, NEW_YORK) == now


def test_a_time_the_spring_forward_skips_is_the_first_instant_after():
    at = window.next_at(frozenset({6}), time(2, 30), utc("2026-03-08 00:00"), NEW_YORK)
    assert at == utc("2026-03-08 07:30")  # 03:30 EDT: 02:30 never shows on the clock


def delay_until(now: datetime, zone: str, **config) -> tuple[datetime, str]:
    ctx = StepContext(
        run_id=1,
        workflow_id=1,
        event_key="shipment_created",
        merge_data={},
        now=now,
        store_timezone=zone,
    )
    outcome = DelayStep().execute({"amount": 1, "unit": "days", **config}, ctx)
    assert outcome.status == "waiting"
    return outcome.resume_at, outcome.detail


def test_a_delay_then_until_the_next_weekday_at_10_across_the_spring_change():
    # Saturday 12:00 EST + 1 day = Sunday (the clocks went forward) → Monday 10:00 EDT
    resume_at, detail = delay_until(
        utc("2026-03-07 17:00"), "America/New_York", then_weekdays="01234", then_time="10:00"
    )
    assert resume_at == utc("2026-03-09 14:00")
    assert detail == (
        "Waiting 1 day, then until the next Mon–Fri at 10:00: "
        "until Mon 10:00 store time (2026-03-09 14:00 UTC)"
    )


def test_a_delay_then_until_in_london_after_the_clocks_go_back():
    resume_at, _ = delay_until(
        utc("2026-10-24 08:00"), "Europe/London", then_weekdays="0", then_time="10:00"
    )
    assert resume_at == utc("2026-10-26 10:00")  # Monday 10:00 GMT


def test_without_a_known_zone_times_are_utc():
    resume_at, detail = delay_until(
        utc("2026-03-07 17:00"), "", then_weekdays="0", then_time="10:00"
    )
    assert resume_at == utc("2026-03-09 10:00") and "store time" in detail


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"then_weekdays": "01234"}, "then_time"),
        ({"then_weekdays": "7", "then_time": "10:00"}, "then_weekdays"),
        ({"then_weekdays": "0", "then_time": "25:00"}, "then_time"),
        ({"then_time": "10:00"}, "then_weekdays"),
    ],
)
def test_a_half_set_delay_until_is_refused(config, field):
    with pytest.raises(ValidationError) as caught:
        DelayStep().validate({"amount": 1, "unit": "days", **config}, "shipment_created")
    assert field in caught.value.message_dict


# --- A customer email outside the window -----------------------------------------------------


@pytest.fixture
def windowed(survey, auth):
    auth.store_settings = {"timezone": {"name": "America/New_York"}}
    auth.save()
    return survey(send_window_weekdays="01234", send_window_start_hour=9, send_window_end_hour=17)


def test_an_email_due_on_saturday_waits_for_monday_9_store_time(
    windowed, fire, store, mailoutbox, time_machine
):
    # Given a shipment on Saturday 7 March 2026, 12:00 in New York
    time_machine.move_to("2026-03-07 17:00Z", tick=False)
    fire()
    # Then the email waits: the step says until when, the run is waiting
    run = WorkflowRun.objects.get()
    step = run.step_results.get()
    assert mailoutbox == [] and run.status == "waiting"
    assert run.resume_at == utc("2026-03-09 13:00")
    assert step.status == "waiting"
    assert step.detail == (
        "Waiting for the send window: Mon 09:00 store time (2026-03-09 13:00 UTC)."
    )
    # Nothing happens on Sunday
    time_machine.move_to("2026-03-08 20:00Z", tick=False)
    assert tasks.sweep()["runs"] == 0
    # And on Monday at 09:00 store time the sweeper sends it
    time_machine.move_to("2026-03-09 13:00:30Z", tick=False)
    assert tasks.sweep()["runs"] == 1
    run.refresh_from_db()
    assert run.status == "succeeded" and [m.to for m in mailoutbox] == [[CUSTOMER]]
    assert run.step_results.get().detail == f"Sent to {CUSTOMER}"


def test_the_rules_are_applied_again_when_the_window_opens(
    windowed, fire, store, account, mailoutbox, time_machine
):
    time_machine.move_to("2026-03-07 17:00Z", tick=False)
    fire()
    # Given the customer unsubscribes during the weekend
    Suppression.objects.create(account=account, email=CUSTOMER, reason="unsubscribed")
    time_machine.move_to("2026-03-09 13:01Z", tick=False)
    tasks.sweep()
    run = WorkflowRun.objects.get()
    assert mailoutbox == [] and (run.status, run.skip_reason) == ("skipped", "suppressed")


def test_a_delay_then_the_window(survey, auth, fire, store, mailoutbox, time_machine):
    # Given: wait 2 hours, then email, within Mon–Fri 09–17 New York time
    auth.store_settings = {"timezone": {"name": "America/New_York"}}
    auth.save()
    workflow = survey(send_window_weekdays="01234")
    Step.objects.filter(workflow=workflow).update(position=1)
    Step.objects.create(
        workflow=workflow, position=0, type="delay", config={"amount": 2, "unit": "hours"}
    )
    # When a shipment comes on Friday at 16:00 EST
    time_machine.move_to("2026-03-06 21:00Z", tick=False)
    fire()
    # Then after the delay (18:00, window closed) the email waits for Monday 09:00 EDT
    time_machine.move_to("2026-03-06 23:00:30Z", tick=False)
    tasks.sweep()
    run = WorkflowRun.objects.get()
    assert run.status == "waiting" and run.resume_at == utc("2026-03-09 13:00")
    assert mailoutbox == []


def test_a_test_event_outside_the_window_sends_and_says_it_would_wait(
    windowed, manager, mailoutbox, time_machine
):
    time_machine.move_to("2026-03-07 17:00Z", tick=False)
    run = services.run_test_event(windowed, manager)
    assert run.status == "succeeded" and len(mailoutbox) == 1
    assert "A real event would have waited: waiting for the send window: Mon 09:00" in (
        run.step_results.get().detail
    )


# --- The store's time zone -------------------------------------------------------------------


def store_info(zone: str) -> str:
    body = load_bigcommerce_example("v2_store_information_response.json")
    body["timezone"]["name"] = zone
    return json.dumps(body)


def test_the_time_zone_is_read_at_verification_and_again_a_day_later(
    api_client, manager, time_machine, settings
):
    settings.BIGCOMMERCE_MAX_RETRIES = 0
    url = f"{BC_BASE}/stores/{STORE_HASH}/v2/store"
    time_machine.move_to("2026-03-01 12:00Z", tick=False)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, url, body=store_info("America/Chicago"))
        api_client.force_authenticate(manager)
        created = api_client.post(
            "/api/v1/bigcommerce/authentications/",
            {
                "name": "Main",
                "store_hash": STORE_HASH,
                "client_id": CLIENT_ID,
                "access_token": ACCESS_TOKEN,
            },
            format="json",
        )
    assert created.status_code == 201
    auth = authentications.BigCommerceAuthentication.objects.get()
    assert auth.timezone == "America/Chicago"
    # Within a day nothing is read again; a day later the store moved
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, url, body=store_info("Europe/London"))
        assert authentications.refresh_store_settings([auth.pk]) == 0
        time_machine.move_to("2026-03-02 12:01Z", tick=False)
        assert authentications.refresh_store_settings([auth.pk]) == 1
    auth.refresh_from_db()
    assert auth.timezone == "Europe/London"


def test_an_unknown_zone_name_is_ignored():
    assert store_zone.zone_name({"timezone": {"name": "Mars/Olympus"}}) == ""
    assert store_zone.zone_name({"timezone": "UTC"}) == ""


# --- Settings --------------------------------------------------------------------------------


def test_the_window_is_set_in_the_api(api_client, manager, windowed):
    api_client.force_authenticate(manager)
    url = f"/api/v1/workflows/{windowed.pk}/"
    assert api_client.get(url).json()["send_window"] == {
        "weekdays": [0, 1, 2, 3, 4],
        "start_hour": 9,
        "end_hour": 17,
    }
    changed = api_client.patch(
        url, {"send_window": {"weekdays": [5, 6], "start_hour": 10, "end_hour": 14}}, format="json"
    )
    assert changed.json()["send_window"]["weekdays"] == [5, 6]
    bad = api_client.patch(url, {"send_window": {"start_hour": 15, "end_hour": 14}}, format="json")
    assert bad.status_code == 400 and "send_window" in bad.json()


def test_the_window_is_set_in_the_settings_form(client, manager, windowed):
    client.force_login(manager)
    page = client.get(f"/workflows/{windowed.pk}/").content.decode()
    assert "Send window: weekdays" in page and "Window opens at (hour, store time)" in page
    data = {
        "settings-name": windowed.name,
        "settings-event": windowed.event,
        "settings-authentication": windowed.authentication_id,
        "settings-send_once_scope": "",
        "settings-send_once_days": "30",
        "settings-send_window_weekdays": ["5", "6"],
        "settings-send_window_start_hour": "10",
        "settings-send_window_end_hour": "12",
    }
    client.post(f"/workflows/{windowed.pk}/settings/", data)
    windowed.refresh_from_db()
    assert (windowed.send_window_weekdays, windowed.send_window_start_hour) == ("56", 10)
    refused = client.post(
        f"/workflows/{windowed.pk}/settings/", {**data, "settings-send_window_end_hour": "9"}
    )
    assert "The window must close after it opens." in refused.content.decode()


def test_resumed_window_row_is_running_before_the_send(
    windowed, fire, store, time_machine, monkeypatch
):
    """A worker dying right at the send leaves the row running: reported, never re-sent."""
    time_machine.move_to("2026-03-07 17:00Z", tick=False)
    fire()
    run = WorkflowRun.objects.get()
    time_machine.move_to("2026-03-09 13:01Z", tick=False)
    seen = []
    original = engine.attempt

    def spy(kind, step, ctx):
        seen.append(StepResult.objects.get(run=run).status)
        return original(kind, step, ctx)

    monkeypatch.setattr(engine, "attempt", spy)
    tasks.sweep()
    assert seen == ["running"]


def test_the_delay_form_adds_then_until(client, manager, windowed):
    client.force_login(manager)
    url = f"/workflows/{windowed.pk}/steps/add/delay/"
    form = client.get(url).content.decode()
    assert "Then until the next" in form and "at (HH:MM, store time)" in form
    data = {
        "step-amount": "3",
        "step-unit": "days",
        "step-then_weekdays": ["0", "1", "2", "3", "4"],
        "step-then_time": "10:00",
    }
    client.post(url, data)
    step = Step.objects.get(workflow=windowed, type="delay")
    assert step.config == {
        "amount": 3,
        "unit": "days",
        "then_weekdays": "01234",
        "then_time": "10:00",
    }
    page = client.get(f"/workflows/{windowed.pk}/").content.decode()
    assert "Wait 3 days, then until the next Mon–Fri at 10:00 (store time)" in page
    refused = client.post(url, {**data, "step-then_time": "10h"})
    assert "A time of day as HH:MM" in refused.content.decode()
