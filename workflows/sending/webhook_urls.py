"""The email providers' tracking webhooks (django-anymail's views; they check the basic-auth
``WEBHOOK_SECRET`` and the provider's signature, see initiator_site/email_url.py), at
``/anymail/{provider}/tracking/``. Only the providers ``EMAIL_URL`` can select."""

from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.urls import path

urlpatterns = [
    path(
        "amazon_ses/tracking/",
        AmazonSESTrackingWebhookView.as_view(),
        name="amazon_ses_tracking_webhook",
    ),
    path(
        "mailgun/tracking/", MailgunTrackingWebhookView.as_view(), name="mailgun_tracking_webhook"
    ),
    path(
        "postmark/tracking/",
        PostmarkTrackingWebhookView.as_view(),
        name="postmark_tracking_webhook",
    ),
    path(
        "sendgrid/tracking/",
        SendGridTrackingWebhookView.as_view(),
        name="sendgrid_tracking_webhook",
    ),
]
