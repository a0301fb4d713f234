"""HTML emails as a customer's mail client gets them (multipart/alternative, the default layout
with the store's name, the unsubscribe headers), and each sent email recorded on its run: shown
on the run page in a frame where nothing can run, and in the run API."""

import email
import email.policy
import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import CUSTOMER
from tests.html import assert_email_frames_are_inert
from workflows.models import SentMessage, Step, WorkflowRun

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HTML_SURVEY = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "How was order [BigCommerce | Order | id]?",
    "body": (
        "<p>Hi [BigCommerce | Customer | first_name],</p>"
        '<p><a href="https://survey.example.com/s?o=[BigCommerce | Order | id]">Tell us</a></p>'
    ),
    "format": "html",
}


@pytest.fixture
def html_survey(survey):
    workflow = survey()
    Step.objects.filter(workflow=workflow).update(config=HTML_SURVEY)
    return workflow


def raw_mime(message) -> email.message.EmailMessage:
    """The message as the SMTP server would receive it, parsed back."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def test_an_html_email_is_multipart_alternative_in_the_layout_with_the_store_name(
    html_survey, fire, store
):
    # Given an HTML customer email, and a store whose name needs escaping
    store.store_info["name"] = "Acme <Tees> & Co"

    # When a shipment is delivered
    fire()

    # Then the raw email has a text part and an HTML part, in that order
    (sent,) = mail.outbox
    raw = raw_mime(sent)
    assert raw.get_content_type() == "multipart/alternative"
    text_part, html_part = raw.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    # ... the HTML is a whole document in the layout, carrying the store's name (escaped)
    html = html_part.get_content()
    assert html.startswith("<!DOCTYPE html>") and 'name="viewport"' in html
    assert "max-width:600px" in html and "Acme &lt;Tees&gt; &amp; Co" in html
    assert "<link" not in html and "<style" not in html  # inline CSS, nothing loaded
    # ... the text part reads as text, the link's address kept
    text = text_part.get_content()
    assert "Hi Jane," in text and "<p>" not in text
    assert "Tell us (https://survey.example.com/s?o=251)" in text
    # ... and the unsubscribe headers are still there, the link in both parts' footers
    unfolded = raw["List-Unsubscribe"].strip()  # a long header is folded onto its own line
    header = re.fullmatch(r"<(https://workflows\.example\.com/u/[^/\s]+/)>", unfolded)
    assert header is not None, unfolded
    url = header.group(1)
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{url}"' in html and f"Unsubscribe: {url}" in text


def test_the_store_name_comes_from_the_authentication_when_the_store_has_none(
    html_survey, fire, store
):
    # Given the store's settings give no name
    store.store_info["name"] = ""

    # When a shipment is delivered
    fire()

    # Then the layout names the store as its authentication knows it
    (sent,) = mail.outbox
    assert "XYZ T-Shirts" in sent.alternatives[0][0]


def test_a_plain_text_email_stays_one_text_part(survey, fire, store):
    # Given a plain-text customer email
    survey()

    # When a shipment is delivered
    fire()

    # Then the raw email is text/plain only, with its unsubscribe footer
    raw = raw_mime(mail.outbox[0])
    assert raw.get_content_type() == "text/plain"
    assert "Unsubscribe: https://workflows.example.com/u/" in raw.get_content()


def test_the_sent_email_is_recorded_on_the_run_as_it_was_sent(html_survey, fire, store):
    # When a shipment is delivered
    fire()

    # Then the run records the email: recipient, subject, text and HTML, as sent
    run = WorkflowRun.objects.get()
    (sent,) = mail.outbox
    record = SentMessage.objects.get()
    assert (record.run, record.position) == (run, 0)
    assert record.to == [CUSTOMER]
    assert record.subject == sent.subject == "How was order 251?"
    assert record.text_body == sent.body
    assert record.html_body == sent.alternatives[0][0]


def test_the_run_page_shows_the_email_where_no_script_can_run(html_survey, fire, store, as_manager):
    # Given a customer whose name is a script, and a store name that tries to close the frame
    store.customer_v3["first_name"] = HOSTILE
    store.store_info["name"] = '"></iframe><script>alert(2)</script>'
    fire()
    run = WorkflowRun.objects.get()

    # When the run page is opened
    page = as_manager.get(reverse("workflows:run", args=[run.pk])).content.decode()

    # Then the email is shown in a sandboxed frame that allows nothing (no scripts), and the
    # page holds no script but the app's own: the email is only in the frame's srcdoc
    (frame,) = assert_email_frames_are_inert(page)
    assert frame["srcdoc"] == SentMessage.objects.get().html_body
    assert 'Hi &lt;script&gt;alert("x")&lt;/script&gt;&lt;img' in frame["srcdoc"]
    assert "&lt;/iframe&gt;&lt;script&gt;alert(2)" in frame["srcdoc"]  # the name, escaped
    assert "How was order 251?" in page


def test_a_test_run_records_the_email_sent_to_the_tester(create_workflow, manager, as_manager):
    # Given a workflow emailing the customer, tested by its manager
    workflow = create_workflow()

    # When a test event is sent from the workflow page
    response = as_manager.post(reverse("workflows:test", args=[workflow.pk]), follow=True)

    # Then the run page shows the email as it went to the tester
    record = SentMessage.objects.get()
    assert record.to == [manager.email]
    page = response.content.decode()
    assert "Emails sent (1)" in page and record.subject in page


def test_the_run_api_gives_each_sent_email(html_survey, fire, store, api_client, manager):
    # Given a run that sent an HTML email
    fire()
    run = WorkflowRun.objects.get()

    # When the run is read over the API
    api_client.force_authenticate(manager)
    data = api_client.get(f"/api/v1/runs/{run.pk}/").json()

    # Then it lists the email with its recipient, subject, text and HTML
    (sent,) = data["sent_messages"]
    record = SentMessage.objects.get()
    assert sent["step"] == 0 and sent["to"] == [CUSTOMER]
    assert (sent["subject"], sent["text"], sent["html"]) == (
        record.subject,
        record.text_body,
        record.html_body,
    )
