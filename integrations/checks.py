"""System checks: fail `manage.py check` (and start-up) on unusable encryption keys, and on
BigCommerce limits that would let one delivery task outlive its queue timeout."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from integrations import crypto
from integrations.bigcommerce import budget


@register()
def encryption_keys_check(app_configs=None, **kwargs):
    try:
        crypto.fernet()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See .env.example.", id="integrations.E001")]
    return []


@register()
def delivery_task_budget_check(app_configs=None, **kwargs):
    """Every wait of a delivery task — BigCommerce's timeouts × attempts, the sleeps between
    retries, the inline runs — must add up to less than Q_TIMEOUT, or django-q2 kills the task
    mid-delivery (and the delivery waits for its lease instead of its retry)."""
    task = budget.delivery_task()
    if task.fits:
        return []
    return [
        Error(
            f"{task.explain()} It must be less than Q_TIMEOUT, or the task is killed mid-delivery.",
            hint=(
                "Lower BIGCOMMERCE_CONNECT_TIMEOUT, BIGCOMMERCE_READ_TIMEOUT, "
                "BIGCOMMERCE_MAX_RETRIES, BIGCOMMERCE_MAX_WAIT_SECONDS or FANOUT_INLINE_SECONDS, "
                "or raise Q_TIMEOUT (keeping Q_RETRY and DELIVERY_LEASE_SECONDS above it)."
            ),
            id="integrations.E002",
        )
    ]
