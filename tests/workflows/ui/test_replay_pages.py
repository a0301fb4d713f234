"""Replay from the web UI and the admin: a button per failed or dead delivery, one for all
that the filters select (a job, with a progress page that refreshes itself until done)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from integrations.models import WebhookDelivery
from tests.html import check_page
from workflows.models import Job

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("workflows:deliveries")


def status_of(delivery) -> str:
    return WebhookDelivery.objects.get(pk=delivery.pk).status


@pytest.fixture
def listening(make_workflow):
    return make_workflow("shipment_created")


def test_a_manager_replays_one_dead_delivery_and_comes_back_to_the_same_list(
    as_manager, listening, make_delivery
):
    dead = make_delivery(status="dead")
    unusable = make_delivery(status="unusable")
    page = f"{DELIVERIES}?order_id=251"

    # The list offers a replay for the dead one only, and says why not for the unusable one
    html = check_page(as_manager.get(page))
    assert reverse("workflows:delivery-replay", args=[dead.pk]) in html
    assert reverse("workflows:delivery-replay", args=[unusable.pk]) not in html
    assert "Can't be replayed" in html

    # When they replay it
    response = as_manager.post(
        reverse("workflows:delivery-replay", args=[dead.pk]), {"next": page}, follow=True
    )

    # Then they are back on the filtered list, told what happens next
    assert response.redirect_chain[-1][0] == page
    assert f"Delivery #{dead.pk} is queued again" in response.content.decode()
    assert status_of(dead) == "received"


def test_replaying_an_unusable_delivery_says_why_not(as_manager, listening, make_delivery):
    unusable = make_delivery(status="unusable", last_error="Unusable body: Body is not valid JSON.")

    response = as_manager.post(
        reverse("workflows:delivery-replay", args=[unusable.pk]), follow=True
    )

    html = response.content.decode()
    assert "An unusable delivery can&#x27;t be replayed" in html
    assert "Body is not valid JSON." in html
    assert status_of(unusable) == "unusable"


def test_an_offsite_next_is_not_followed(as_manager, listening, make_delivery):
    dead = make_delivery(status="dead")

    response = as_manager.post(
        reverse("workflows:delivery-replay", args=[dead.pk]), {"next": "https://evil.example/"}
    )

    assert response.status_code == 302 and response["Location"] == DELIVERIES


def test_replay_needs_the_permission_and_another_accounts_delivery_is_404(
    as_member, client, other_member, listening, make_delivery
):
    dead = make_delivery(status="dead")

    refused = as_member.post(reverse("workflows:delivery-replay", args=[dead.pk]))
    assert refused.status_code == 403
    assert INTEGRATION_MANAGER_MESSAGE in refused.content.decode()
    assert as_member.post(reverse("workflows:deliveries-replay")).status_code == 403

    client.force_login(other_member)
    assert client.post(reverse("workflows:delivery-replay", args=[dead.pk])).status_code == 404
    assert status_of(dead) == "dead"


def test_replaying_all_that_match_shows_the_jobs_progress(
    as_manager, listening, make_delivery, django_capture_on_commit_callbacks
):
    # Given two dead deliveries of order 251 among others
    wanted = [make_delivery(status="dead", order_id=251) for _ in range(2)]
    make_delivery(status="processed", order_id=251)
    other = make_delivery(status="dead", order_id=999)

    # The filtered list offers to replay the two
    html = check_page(as_manager.get(DELIVERIES, {"order_id": "251"}))
    assert "Replay 2 failed or dead deliveries" in html

    # When the manager does, the job is queued and they see its page
    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(reverse("workflows:deliveries-replay"), {"order_id": "251"})
    job = Job.objects.get()
    assert response["Location"] == reverse("workflows:job", args=[job.pk])

    # Then (the job run here) the page shows it done, and stops refreshing itself
    html = check_page(as_manager.get(response["Location"]))
    assert "2 of 2" in html and "Done" in html
    assert 'http-equiv="refresh"' not in html
    assert f"{DELIVERIES}?order_id=251" in html  # the same deliveries, whatever their status
    assert [status_of(d) for d in wanted] == ["received", "received"]
    assert status_of(other) == "dead"


def test_a_job_under_way_refreshes_its_page(as_manager, listening, make_delivery, manager):
    from django.http import QueryDict

    from workflows import replay

    make_delivery(status="dead")
    job = replay.start(manager.account, manager, QueryDict(""))  # queued, not yet run

    html = as_manager.get(reverse("workflows:job", args=[job.pk])).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in html
    assert "0 of 1" in html and "Queued" in html


def test_nothing_to_replay_says_so(as_manager, listening, make_delivery):
    make_delivery(status="processed")

    response = as_manager.post(
        reverse("workflows:deliveries-replay"), {"status": "processed"}, follow=True
    )

    assert "No failed or dead delivery matches these filters." in response.content.decode()
    assert response.redirect_chain[-1][0] == f"{DELIVERIES}?status=processed"
    assert not Job.objects.exists()


def test_another_accounts_job_page_is_404(client, other_member, listening, make_delivery, manager):
    from django.http import QueryDict

    from workflows import replay

    make_delivery(status="dead")
    job = replay.start(manager.account, manager, QueryDict(""))
    client.force_login(other_member)

    assert client.get(reverse("workflows:job", args=[job.pk])).status_code == 404


def test_account_admins_replay_from_the_admin(client, account_admin, listening, make_delivery):
    dead = make_delivery(status="dead")
    processed = make_delivery(status="processed")
    client.force_login(account_admin)

    response = client.post(
        reverse("admin:integrations_webhookdelivery_changelist"),
        {"action": "replay_selected", "_selected_action": [dead.pk, processed.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "Replayed 1 delivery" in html
    assert "1 left as they are: only failed and dead deliveries can be replayed" in html
    assert (status_of(dead), status_of(processed)) == ("received", "processed")


def test_the_admin_action_needs_the_permission(
    client, make_user, account, listening, make_delivery
):
    make_delivery(status="dead")
    staff = make_user(account, "stan", staff=True)  # an account admin without the permission
    client.force_login(staff)

    html = client.get(reverse("admin:integrations_webhookdelivery_changelist")).content.decode()

    assert "delete_selected" in html  # the actions are there, but not this one
    assert "replay_selected" not in html
