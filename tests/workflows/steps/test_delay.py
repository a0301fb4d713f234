"""The delay step: the run waits until resume_at; test events skip the wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from tests.factories import SHIPMENT, make_ctx
from workflows.steps import STEP_KINDS, StepOutcome

delay = STEP_KINDS["delay"]
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "unit", "waited", "text"),
    [
        (3, "days", timedelta(days=3), "Waiting 3 days, until 2026-12-01 10:00 UTC"),
        (1, "days", timedelta(days=1), "Waiting 1 day, until 2026-11-29 10:00 UTC"),
        (90, "minutes", timedelta(minutes=90), "Waiting 90 minutes, until 2026-11-28 11:30 UTC"),
        (36, "hours", timedelta(hours=36), "Waiting 36 hours, until 2026-11-29 22:00 UTC"),
    ],
)
def test_delay_waits_until_resume_at(amount, unit, waited, text):
    # given a validated delay and a run at a fixed time
    config = delay.validate({"amount": amount, "unit": unit}, SHIPMENT)

    # when it runs
    outcome = delay.execute(config, make_ctx(now=NOW))

    # then the run waits, and the engine learns when to resume it
    assert outcome.status == "waiting"
    assert outcome.resume_at == NOW + waited
    assert outcome.detail == text


def test_detail_is_in_utc_whatever_the_run_time_zone():
    # given "now" expressed in another time zone
    from zoneinfo import ZoneInfo

    now = datetime(2026, 11, 28, 11, 0, tzinfo=ZoneInfo("Europe/Paris"))

    # when / then
    outcome = delay.execute({"amount": 3, "unit": "days"}, make_ctx(now=now))
    assert outcome.detail == "Waiting 3 days, until 2026-12-01 10:00 UTC"


def test_test_event_skips_the_delay():
    # when a delay runs in a test event
    outcome = delay.execute({"amount": 3, "unit": "days"}, make_ctx(is_test=True, now=NOW))

    # then it succeeds at once (delays shortened to zero)
    assert outcome == StepOutcome("succeeded", "Delay of 3 days skipped in a test event")


def test_delay_has_no_side_effect():
    assert delay.has_side_effect is False


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"amount": 0, "unit": "days"}, "amount"),
        ({"amount": -1, "unit": "hours"}, "amount"),
        ({"amount": 366, "unit": "days"}, "amount"),
        ({"amount": 365 * 24 + 1, "unit": "hours"}, "amount"),
        ({"amount": 365 * 24 * 60 + 1, "unit": "minutes"}, "amount"),
        ({"amount": True, "unit": "days"}, "amount"),  # bools are not ints
        ({"amount": "3", "unit": "days"}, "amount"),
        ({"amount": 2.5, "unit": "days"}, "amount"),
        ({"unit": "days"}, "amount"),
        ({"amount": 3, "unit": "weeks"}, "unit"),
        ({"amount": 3, "unit": ["days"]}, "unit"),
        ({"amount": 3}, "unit"),
        ({"amount": 3, "unit": "days", "seconds": 1}, "seconds"),
    ],
)
def test_invalid_delays_name_the_field(config, field):
    with pytest.raises(ValidationError) as caught:
        delay.validate(config, SHIPMENT)
    assert field in caught.value.message_dict, caught.value.message_dict


@pytest.mark.parametrize(
    ("amount", "unit"),
    [(365, "days"), (365 * 24, "hours"), (365 * 24 * 60, "minutes"), (1, "minutes")],
)
def test_limits_are_inclusive(amount, unit):
    assert delay.validate({"amount": amount, "unit": unit}, SHIPMENT) == {
        "amount": amount,
        "unit": unit,
    }
