"""The email provider's tracking events (django-anymail's ``tracking`` signal), on our records:
delivered, opened and clicked are stamped on the sent email; a bounce, a spam complaint or an
unsubscribe at the provider puts the address on its account's suppression list.

An event is matched to a sent email by the provider's message id (``SentEmail.message_id``,
recorded when the email was handed over), and by recipient when the event names one; an event
for no email of ours is ignored.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from workflows.sending import suppressions
from workflows.sending.addresses import normalise
from workflows.sending.models import SentEmail, SuppressionReason

logger = logging.getLogger(__name__)

SUPPRESSING = {
    "bounced": SuppressionReason.BOUNCED,
    "complained": SuppressionReason.COMPLAINED,
    "unsubscribed": SuppressionReason.UNSUBSCRIBED,
}
STAMPED = {"delivered": "delivered_at", "opened": "opened_at", "clicked": "clicked_at"}


def on_tracking(sender, event, esp_name: str, **kwargs) -> None:
    """anymail's ``tracking`` signal receiver."""
    record(event.event_type, event.message_id, event.recipient, event.timestamp, esp_name)


def record(event_type: str, message_id, recipient, when, esp_name: str) -> SentEmail | None:
    """Apply one tracking event; the sent email it concerns, or None when it is not ours."""
    if not message_id:
        return None
    sent_emails = SentEmail.objects.filter(message_id=str(message_id)[:255])
    if recipient:
        sent_emails = sent_emails.filter(recipient=normalise(recipient))
    sent = sent_emails.order_by("-sent_at").first()
    if sent is None:
        logger.info("%s %s event for a message we did not send; ignored", esp_name, event_type)
        return None
    when = when or timezone.now()
    fields = ["last_event"]
    sent.last_event = event_type
    stamp = STAMPED.get(event_type)
    if stamp and getattr(sent, stamp) is None:
        setattr(sent, stamp, when)
        fields.append(stamp)
    sent.save(update_fields=fields)
    reason = SUPPRESSING.get(event_type)
    if reason:
        suppressions.suppress(sent.account_id, sent.recipient, reason, source=f"{esp_name} event")
    return sent
