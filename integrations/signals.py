"""What integrations announces; it knows nothing of who listens (the task queue lives in
`workflows`, which does), as django-anymail announces tracking events to whoever connects."""

from django.dispatch import Signal

# Sent once a new delivery's row is committed, with `delivery_id`. Not sent for duplicates.
delivery_stored = Signal()

# Sent after an authentication's credentials (store hash, access token) were replaced, with
# `authentication` and `previous` (a client with the credentials it had, still open): hooks
# seen only by the old credentials can be removed with it.
credentials_replaced = Signal()
# Sent after an authentication was deleted, with `authentication` (no longer in the database,
# its credentials still in memory) and `subscription_uuids` (its subscriptions, deleted too).
authentication_deleted = Signal()
# Sent when the periodic check repaired a wanted hook (re-created a missing one, reactivated a
# deactivated one), with `subscription_id` and the gap: `since` (when it was last seen healthy)
# and `until` (now). Events of the gap may have been lost: a listener can backfill them.
hook_repaired = Signal()
