"""Real email providers: EMAIL_URL picks SMTP, the console or an anymail provider; the
provider's signed tracking webhooks turn bounces, complaints and unsubscribes into
suppressions and stamp delivered / opened / clicked on the sent email; over SMTP the
unsubscribe headers arrive as a mail client reads them."""

import asyncio
import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import time

import environ
import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from initiator_site.email_url import email_settings
from tests.factories import CUSTOMER
from workflows.models import SentEmail, Suppression

pytestmark = pytest.mark.django_db
BASIC = "hooks:s3cret-webhook-pass"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(BASIC.encode()).decode()}
SIGNING_KEY = "key-mailgun-signing-0123456789"


# --- EMAIL_URL -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "backend", "anymail"),
    [
        ("consolemail://", "django.core.mail.backends.console.EmailBackend", {}),
        ("smtp+tls://u:p@smtp.example.com:587", "django.core.mail.backends.smtp.EmailBackend", {}),
        (
            "postmark://server-token@",
            "anymail.backends.postmark.EmailBackend",
            {"POSTMARK_SERVER_TOKEN": "server-token"},
        ),
        (
            "sendgrid://SG.key@",
            "anymail.backends.sendgrid.EmailBackend",
            {"SENDGRID_API_KEY": "SG.key"},
        ),
        (
            "mailgun://key-1@mg.example.com?region=eu",
            "anymail.backends.mailgun.EmailBackend",
            {
                "MAILGUN_API_KEY": "key-1",
                "MAILGUN_SENDER_DOMAIN": "mg.example.com",
                "MAILGUN_API_URL": "https://api.eu.mailgun.net/v3",
            },
        ),
        (
            "amazonses://?region=eu-west-1",
            "anymail.backends.amazon_ses.EmailBackend",
            {"AMAZON_SES_CLIENT_PARAMS": {"region_name": "eu-west-1"}},
        ),
    ],
)
def test_email_url_selects_the_backend(url, backend, anymail, monkeypatch):
    monkeypatch.setenv("ANYMAIL_WEBHOOK_SECRET", BASIC)
    monkeypatch.setenv("MAILGUN_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
    selected = email_settings(url, environ.Env())
    assert selected["EMAIL_BACKEND"] == backend
    assert selected["ANYMAIL"] == {
        "WEBHOOK_SECRET": BASIC,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        **anymail,
    }


def test_a_provider_url_without_its_key_stops_start_up_naming_it():
    with pytest.raises(ValueError, match=r"postmark://… needs the server token"):
        email_settings("postmark://", environ.Env())


# --- Tracking webhooks -----------------------------------------------------------------------


@pytest.fixture
def provider(settings):
    """Sends go through anymail's test backend; webhooks need the basic-auth secret."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": BASIC, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def sent(provider, survey, fire, store) -> SentEmail:
    survey()
    fire()
    return SentEmail.objects.get()


def postmark(client, record: dict, auth=AUTH):
    return client.post(
        reverse("postmark_tracking_webhook"),
        json.dumps(record),
        content_type="application/json",
        **auth,
    )


def test_the_providers_message_id_is_recorded(sent):
    assert (sent.recipient, sent.message_id) == (CUSTOMER, "0")  # the test backend's id


def test_a_postmark_bounce_suppresses_the_address(client, sent, account):
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "MessageID": sent.message_id,
        "Email": CUSTOMER.upper(),
        "BouncedAt": "2026-03-02T10:00:00Z",
    }
    assert postmark(client, bounce).status_code == 200
    row = Suppression.objects.get()
    assert (row.account, row.email, row.reason, row.source) == (
        account,
        CUSTOMER,
        "bounced",
        "Postmark event",
    )
    sent.refresh_from_db()
    assert sent.last_event == "bounced"


@pytest.mark.parametrize(
    ("record_type", "reason"), [("SpamComplaint", "complained"), ("SubscriptionChange", None)]
)
def test_complaints_and_unsubscribes_at_the_provider_suppress(client, sent, record_type, reason):
    event = {"RecordType": record_type, "MessageID": sent.message_id, "Recipient": CUSTOMER}
    if record_type == "SubscriptionChange":
        event["SuppressSending"] = True
        event["SuppressionReason"] = "ManualSuppression"
    else:
        event.update(Type="SpamComplaint", Email=CUSTOMER)
    assert postmark(client, event).status_code == 200
    assert Suppression.objects.get().reason == (reason or "unsubscribed")


def test_delivered_opened_and_clicked_are_stamped(client, sent):
    for record_type, at_key in (
        ("Delivery", "DeliveredAt"),
        ("Open", "ReceivedAt"),
        ("Click", "ReceivedAt"),
    ):
        event = {
            "RecordType": record_type,
            "MessageID": sent.message_id,
            "Recipient": CUSTOMER,
            at_key: "2026-03-02T10:00:00Z",
        }
        assert postmark(client, event).status_code == 200
    sent.refresh_from_db()
    assert sent.delivered_at and sent.opened_at and sent.clicked_at
    assert sent.last_event == "clicked" and not Suppression.objects.exists()


def test_a_webhook_without_the_secret_changes_nothing(client, sent):
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "MessageID": sent.message_id}
    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hooks:guess").decode()}
    assert postmark(client, bounce, auth=wrong).status_code == 400
    assert postmark(client, bounce, auth={}).status_code == 400
    assert not Suppression.objects.exists()


def test_an_event_for_a_message_we_did_not_send_is_ignored(client, provider):
    event = {"RecordType": "Bounce", "Type": "HardBounce", "MessageID": "not-ours"}
    assert postmark(client, event).status_code == 200
    assert not Suppression.objects.exists()


def mailgun_body(message_id: str, event: str, key: str = SIGNING_KEY) -> str:
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return json.dumps(
        {
            "signature": {
                "timestamp": timestamp,
                "token": token,
                "signature": signature.hexdigest(),
            },
            "event-data": {
                "event": event,
                "timestamp": float(timestamp),
                "recipient": CUSTOMER,
                "message": {"headers": {"message-id": message_id}},
            },
        }
    )


def test_a_signed_mailgun_event_is_recorded_and_a_forged_one_refused(client, sent):
    SentEmail.objects.filter(pk=sent.pk).update(message_id="<20260302.1@mg.example.com>")
    url = reverse("mailgun_tracking_webhook")
    forged = mailgun_body("20260302.1@mg.example.com", "complained", key="not-the-key")
    assert client.post(url, forged, content_type="application/json", **AUTH).status_code == 400
    assert not Suppression.objects.exists()
    signed = mailgun_body("20260302.1@mg.example.com", "delivered")
    assert client.post(url, signed, content_type="application/json", **AUTH).status_code == 200
    sent.refresh_from_db()
    assert sent.delivered_at is not None and sent.last_event == "delivered"


# --- SMTP, on a real server on loopback ------------------------------------------------------


class Inbox:
    def __init__(self):
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content or envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()
    asyncio.set_event_loop(None)


def test_over_smtp_the_unsubscribe_headers_arrive_raw(smtp_server, survey, fire, store):
    survey()
    fire()
    (raw,) = smtp_server.raw
    message = email.message_from_bytes(raw, policy=email.policy.default)  # as a client reads
    assert message["To"] == CUSTOMER
    unsubscribe = message["List-Unsubscribe"].strip()  # a long URL sits on its own folded line
    assert unsubscribe.startswith("<https://workflows.example.com/u/") and unsubscribe[-1] == ">"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    sent = SentEmail.objects.get()
    assert sent.message_id == message["Message-ID"]  # our own id, for SMTP-based tracking


def test_the_run_page_and_the_api_show_what_the_provider_reported(
    client, api_client, manager, sent
):
    delivery = {
        "RecordType": "Delivery",
        "MessageID": sent.message_id,
        "Recipient": CUSTOMER,
        "DeliveredAt": "2026-03-02T10:00:00Z",
    }
    postmark(client, delivery)
    client.force_login(manager)
    page = client.get(reverse("workflows:run", args=[sent.run_id])).content.decode()
    assert "Customer emails" in page and "2026-03-02 10:00" in page
    api_client.force_authenticate(manager)
    (email_row,) = api_client.get(f"/api/v1/runs/{sent.run_id}/").json()["emails"]
    assert email_row["step"] == 0 and email_row["last_event"] == "delivered"
    assert email_row["delivered_at"].startswith("2026-03-02T10:00:00")
