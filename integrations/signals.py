"""What integrations announces; it knows nothing of who listens (the task queue lives in
`workflows`, which does), as django-anymail announces tracking events to whoever connects."""

from django.dispatch import Signal

# Sent once a new delivery's row is committed, with `delivery_id`. Not sent for duplicates.
delivery_stored = Signal()
