"""`manage.py backfill`: a gap given by hand, a dry run that creates nothing, and a clear error
for every bad input."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from integrations.models import WebhookDelivery
from tests import factories
from tests.factories import STANDIN_STORE as STORE
from workflows.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

SHIPMENT = "store/shipment/created"


def backfill(*args) -> str:
    out = io.StringIO()
    call_command("backfill", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def gap_with_shipments(standin, make_active_workflow):
    """A workflow on shipments whose hook is not registered, and two shipments made in the
    store since `since`: BigCommerce delivered neither."""
    _wf, sub = make_active_workflow()
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    for shipment_id, order_id in ((801, 2001), (802, 2002)):
        standin.fire(
            STORE, SHIPMENT, data={"type": "shipment", "id": shipment_id, "orderId": order_id}
        )
    return sub, since


def test_a_dry_run_lists_the_missed_events_and_creates_nothing(gap_with_shipments):
    sub, since = gap_with_shipments
    # When a dry run looks at the gap
    out = backfill("--store", STORE, "--since", since, "--dry-run")
    # Then it names the two shipments and stores nothing
    assert f"{SHIPMENT}:801" in out and f"{SHIPMENT}:802" in out
    assert "2 order(s)" in out
    assert not WebhookDelivery.objects.exists() and not Job.objects.exists()


def test_the_command_queues_a_job_that_backfills_the_gap_once(gap_with_shipments):
    sub, since = gap_with_shipments
    # When the gap is backfilled, twice
    first = backfill("--authentication", str(sub.authentication_id), "--since", since, "--wait")
    backfill("--store", STORE, "--since", since, "--event", "shipment_created")
    # Then the job said what it did, and each shipment is one backfilled delivery, run once
    assert "Backfill job" in first and "2 created" in first
    backfilled = WebhookDelivery.objects.filter(origin="backfill")
    assert sorted(backfilled.values_list("order_id", flat=True)) == [2001, 2002]
    assert [j.params["created"] for j in Job.objects.order_by("pk")] == [2, 0]
    assert set(backfilled.values_list("status", flat=True)) == {"processed"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-05-01"], "one of the arguments --authentication --store is required"),
        (["--store", "nosuchstore", "--since", "2024-05-01"], "No authentication is for"),
        (["--authentication", "999999", "--since", "2024-05-01"], "No authentication has id"),
        (["--store", STORE, "--since", "yesterday"], "is not a date or time"),
        (["--store", STORE, "--since", "2024-05-02", "--until", "2024-05-01"], "before its end"),
        (["--store", STORE, "--since", "2999-01-01", "--until", "2999-01-02"], "in the future"),
        (["--store", STORE, "--since", "2024-05-01", "--event", "cart_abandoned"], "can't be"),
        (["--store", STORE, "--since", "2024-05-01", "--event", "order_paid"], "Unknown event"),
    ],
)
def test_bad_input_is_a_clear_error(standin_auth, args, message):
    with pytest.raises(CommandError, match=message):
        backfill(*args)
    assert not Job.objects.exists()


def test_nothing_to_backfill_without_a_listening_workflow(standin_auth):
    with pytest.raises(CommandError, match="nothing to backfill"):
        backfill("--store", STORE, "--since", "2024-05-01")


def test_a_store_of_two_authentications_must_be_chosen(standin_auth, account):
    factories.make_authentication(account, "Second", store_hash=STORE)
    with pytest.raises(CommandError, match="Several authentications are for"):
        backfill("--store", STORE, "--since", "2024-05-01")
