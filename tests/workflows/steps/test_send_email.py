"""The send_email step: rendering for headers and bodies, recipients, test runs, failures.

Emails go to Django's locmem backend (pytest-django's ``mailoutbox``): nothing leaves the test.
"""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from tests.factories import ABANDONED, CONVERTED, SHIPMENT, make_ctx, sample_merge_data
from workflows.steps import STEP_KINDS

send_email = STEP_KINDS["send_email"]
EMAIL = "[BigCommerce | Customer | email]"
FIRST_NAME = "[BigCommerce | Customer | first_name]"
HOSTILE_VALUES = [
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "[BigCommerce | Customer | email]",
    "<script>alert(1)</script>",
    "Jane\r\nBcc: evil@x.com",
]


def config(**values: str) -> dict:
    base = {
        "to": EMAIL,
        "subject": f"How was order [BigCommerce | Order | id], {FIRST_NAME}?",
        "body": f"Hi {FIRST_NAME},\nyour total was [BigCommerce | Order | total_inc_tax].",
    }
    return send_email.validate(base | values, SHIPMENT)


def test_sends_rendered_email_to_the_customer(mailoutbox, settings):
    # given the default sender and a shipment of Jane's order 218
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"

    # when the step runs
    outcome = send_email.execute(config(), make_ctx())

    # then one email went to Jane, with merge codes filled in
    assert outcome.status == "succeeded"
    assert outcome.detail == "Sent to janedoe@example.com"
    [message] = mailoutbox
    assert message.to == ["janedoe@example.com"]
    assert message.from_email == "shop@example.com"
    assert message.subject == "How was order 218, Jane?"
    assert message.body == "Hi Jane,\nyour total was 69.8400."
    assert message.cc == [] and message.bcc == []


def test_several_recipients_literal_and_merged(mailoutbox):
    # given a fixed address beside the customer's (and the customer twice)
    step = config(to=f"{EMAIL}, team@example.com,{EMAIL}")

    # when / then: each address once
    outcome = send_email.execute(step, make_ctx())
    assert outcome.status == "succeeded"
    assert mailoutbox[0].to == ["janedoe@example.com", "team@example.com"]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_are_inserted_literally_in_text_bodies(mailoutbox, value):
    # given a customer whose first name is hostile text
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": value})

    # when the email is sent
    outcome = send_email.execute(config(), make_ctx(merge_data))

    # then the value is in the body as is: never rendered again, never a template
    assert outcome.status == "succeeded"
    body = mailoutbox[0].body
    assert body.startswith(f"Hi {value},\n")
    assert "janedoe@example.com" not in body  # the code-like value was not re-rendered


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_never_add_headers(mailoutbox, value):
    # given a hostile first name in the subject
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": value})

    # when the email is sent
    send_email.execute(config(), make_ctx(merge_data))

    # then the subject is one line, and the message has no Bcc or extra recipient
    [message] = mailoutbox
    assert "\r" not in message.subject and "\n" not in message.subject
    assert message.bcc == [] and message.cc == [] and message.to == ["janedoe@example.com"]
    raw = message.message().as_string()
    header_block = raw.split("\n\n", 1)[0]
    assert not any(line.lower().startswith("bcc:") for line in header_block.splitlines())
    if "Bcc" in value:
        assert message.subject == "How was order 218, JaneBcc: evil@x.com?"


def test_hostile_email_value_cannot_add_recipients(mailoutbox):
    # given a customer email that tries to add a recipient and a header
    for value in ("jane@example.com, evil@x.com", "jane@example.com\r\nBcc: evil@x.com"):
        merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | email": value})

        # when the step runs
        outcome = send_email.execute(config(), make_ctx(merge_data))

        # then nothing is sent: one merge code is one address, and this is not one
        assert outcome.status == "failed"
        assert "not a valid email address" in outcome.detail
    assert mailoutbox == []


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_html_body_escapes_values_and_has_a_text_alternative(mailoutbox, value):
    # given an HTML email and a hostile first name
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": value})
    step = config(
        body=f"<p>Hi <b>{FIRST_NAME}</b>,</p><p>Total: [BigCommerce | Order | total_inc_tax]</p>",
        format="html",
    )

    # when it is sent
    outcome = send_email.execute(step, make_ctx(merge_data))

    # then the HTML part has the value escaped, and the text part reads as plain text
    assert outcome.status == "succeeded"
    [message] = mailoutbox
    [(html_body, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<script>" not in html_body
    if value.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_body
    assert "<p>" not in message.body and "<b>" not in message.body
    assert "Total: 69.8400" in message.body
    assert value.replace("\r\n", "\n") in message.body.replace("\r\n", "\n")


def test_guest_customer_fails_with_a_clear_detail(mailoutbox):
    # given a guest order: no customer, so the customer's email is null
    merge_data = sample_merge_data(CONVERTED, guest=True)
    step = send_email.validate({"to": EMAIL, "subject": "Thanks", "body": "Thanks!"}, CONVERTED)

    # when the step runs
    outcome = send_email.execute(step, make_ctx(merge_data, event_key=CONVERTED))

    # then it fails, saying which recipient was empty and the likely reason; nothing is sent
    assert outcome.status == "failed"
    assert "The recipient '[BigCommerce | Customer | email]' rendered empty (guest customer?)" in (
        outcome.detail
    )
    assert mailoutbox == []


def test_guest_with_a_second_recipient_sends_nothing(mailoutbox):
    # given a guest and a fixed second address: "failed" must mean "nothing was sent"
    merge_data = sample_merge_data(CONVERTED, guest=True)
    step = send_email.validate(
        {"to": f"team@example.com, {EMAIL}", "subject": "s", "body": "b"}, CONVERTED
    )

    # when / then
    assert send_email.execute(step, make_ctx(merge_data, event_key=CONVERTED)).status == "failed"
    assert mailoutbox == []


def test_test_run_sends_only_to_the_test_recipient(mailoutbox):
    # given a test event requested by manny, for a workflow that emails the customer and a team
    step = config(to=f"{EMAIL}, team@example.com")

    # when it runs
    ctx = make_ctx(is_test=True, test_recipient="manny@example.com")
    outcome = send_email.execute(step, ctx)

    # then only manny got it, and the detail says so (and who a real event would reach)
    assert outcome.status == "succeeded"
    [message] = mailoutbox
    assert message.to == ["manny@example.com"] and message.cc == [] and message.bcc == []
    assert "only to you (manny@example.com)" in outcome.detail
    assert "janedoe@example.com, team@example.com" in outcome.detail


def test_test_run_of_a_guest_still_reaches_the_tester_and_warns(mailoutbox):
    # given a test event whose data has no customer email
    merge_data = sample_merge_data(ABANDONED, guest=True)
    step = send_email.validate({"to": EMAIL, "subject": "s", "body": "b"}, ABANDONED)

    # when it runs
    ctx = make_ctx(merge_data, event_key=ABANDONED, is_test=True, test_recipient="m@example.com")
    outcome = send_email.execute(step, ctx)

    # then the tester gets it and learns a real event would not have sent it
    assert outcome.status == "succeeded"
    assert [m.to for m in mailoutbox] == [["m@example.com"]]
    assert "rendered empty (guest customer?)" in outcome.detail


def test_test_run_without_a_test_recipient_fails(mailoutbox):
    # when a test event runs for a user with no email address
    outcome = send_email.execute(config(), make_ctx(is_test=True, test_recipient=None))

    # then nothing is sent, to the customer least of all
    assert outcome.status == "failed"
    assert "your user has no email address" in outcome.detail
    assert mailoutbox == []


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"janedoe@example.com": (550, b"mailbox unavailable")})


class SilentBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        return 0


def test_backend_error_fails_with_its_class_and_message(settings):
    # given an email backend that refuses the message
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.EMAIL_HOST_PASSWORD = "hunter2-password"

    # when the step runs
    outcome = send_email.execute(config(), make_ctx())

    # then it fails with the error's class and message
    assert outcome.status == "failed"
    assert "SMTPRecipientsRefused" in outcome.detail
    assert "mailbox unavailable" in outcome.detail
    assert "hunter2-password" not in outcome.detail


def test_backend_that_sends_nothing_fails(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SilentBackend"
    outcome = send_email.execute(config(), make_ctx())
    assert outcome.status == "failed"


def test_send_email_is_a_side_effect():
    assert send_email.has_side_effect is True
