"""Survey reminders: only to the customers who have not answered, at most the two configured,
through the sending gate, in a bounded number of queries per pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import reminders
from surveys.models import Invitation
from tests.surveys.conftest import survey_path
from workflows.models import Suppression

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_invited(invite_workflow, fire, store, mailoutbox):
    """Ann and Bob, each invited after their own shipment (reminders after 2, then 3 days)."""
    invite_workflow(reminder_days=[2, 3])
    for order_id, email in ((301, "ann@example.com"), (302, "bob@example.com")):
        store.customer_v3["email"] = email
        fire(orderId=order_id)
    ann, bob = mailoutbox
    assert (ann.to, bob.to) == (["ann@example.com"], ["bob@example.com"])
    mailoutbox.clear()
    return ann, bob


def test_a_reminder_goes_only_to_the_customer_who_did_not_answer(two_invited, client, mailoutbox):
    ann_invitation, bob_invitation = two_invited
    # Given Ann answered and Bob did not
    assert client.post(survey_path(ann_invitation), {"q-nps": "8"}).status_code == 302
    now = timezone.now()

    # When the reminders' pass runs before any is due, nothing is sent
    assert reminders.send_due(now).sent == 0

    # When it runs two days later
    first = now + timedelta(days=2, minutes=1)
    result = reminders.send_due(first)

    # Then only Bob is reminded, with his own link
    assert result.sent == 1
    [reminder] = mailoutbox
    assert reminder.to == ["bob@example.com"]
    assert reminder.subject == "Reminder: How was order 302?"
    assert survey_path(reminder) == survey_path(bob_invitation)
    assert "List-Unsubscribe" in reminder.extra_headers

    # And a second pass at the same time sends nothing more
    assert reminders.send_due(first).sent == 0

    # When three more days pass, Bob gets the second and last reminder
    assert reminders.send_due(first + timedelta(days=3, minutes=1)).sent == 1
    assert reminders.send_due(first + timedelta(days=20)).sent == 0
    assert [mail.to for mail in mailoutbox] == [["bob@example.com"]] * 2
    assert Invitation.objects.get(email="bob@example.com").reminders_sent == 2
    # And Bob's run shows his invitation and both reminders, as sent
    bob_run = Invitation.objects.get(email="bob@example.com").run
    subjects = list(bob_run.sent_messages.values_list("subject", flat=True))
    assert subjects == ["How was order 302?"] + ["Reminder: How was order 302?"] * 2


def test_a_customer_who_unsubscribed_is_not_reminded(two_invited, account, mailoutbox):
    # Given Bob unsubscribed after the invitation
    Suppression.objects.create(account=account, email="bob@example.com", reason="unsubscribed")
    later = timezone.now() + timedelta(days=2, minutes=1)

    # When the reminders are due
    result = reminders.send_due(later)

    # Then only Ann is reminded; Bob never again
    assert (result.sent, result.held) == (1, 1)
    assert [mail.to for mail in mailoutbox] == [["ann@example.com"]]
    assert reminders.send_due(later + timedelta(days=4)).sent == 1  # Ann's second
    assert [mail.to for mail in mailoutbox][-1] == ["ann@example.com"]


def test_an_expired_invitation_gets_no_reminder(two_invited, mailoutbox):
    Invitation.objects.update(expires_at=timezone.now() + timedelta(days=1))
    assert reminders.send_due(timezone.now() + timedelta(days=2, minutes=1)).sent == 0
    assert mailoutbox == []


def test_reading_a_pass_costs_two_queries_however_many_are_due(
    two_invited, django_assert_num_queries
):
    later = timezone.now() + timedelta(days=2, minutes=1)
    with django_assert_num_queries(2):
        due = reminders.due(later)
        [invitation.survey.questions.all() for invitation in due]
        [invitation.run.workflow.account.pk for invitation in due]
    assert len(due) == 2


def test_a_reminder_the_backend_refuses_is_counted_logged_and_the_next_still_goes(
    two_invited, client, settings, caplog, mailoutbox
):
    # Given Ann answered, and an email backend that refuses every message
    ann_invitation, _bob_invitation = two_invited
    client.post(survey_path(ann_invitation), {"q-nps": "8"})
    settings.EMAIL_BACKEND = "tests.workflows.steps.test_send_email.FailingBackend"
    first = timezone.now() + timedelta(days=2, minutes=1)
    # When Bob's first reminder is due
    result = reminders.send_due(first)
    # Then it is counted as failed, the backend's reason logged, and nothing recorded as sent
    assert (result.sent, result.failed) == (0, 1)
    assert "not sent: SMTPRecipientsRefused" in caplog.text
    bob_run = Invitation.objects.get(email="bob@example.com").run
    assert bob_run.sent_messages.count() == 1  # the invitation only
    # And once the backend works again, the second reminder goes when it is due
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.send_due(first + timedelta(days=3, minutes=1)).sent == 1
    assert [mail.to for mail in mailoutbox] == [["bob@example.com"]]
