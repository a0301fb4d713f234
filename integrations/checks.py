"""System checks: fail `manage.py check` (and start-up) on unusable encryption keys, on
BigCommerce limits that would let one delivery task outlive its queue timeout, and on an API
share that is not a percentage."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from integrations import crypto
from integrations.bigcommerce import budget, quota


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


@register()
def queue_timeouts_check(app_configs=None, **kwargs):
    """A task killed at Q_TIMEOUT must not be handed out again while it still runs: the broker's
    Q_RETRY and the delivery lease (DELIVERY_LEASE_SECONDS) must both be longer."""
    from django.conf import settings

    task = budget.delivery_task()
    q_retry = float((getattr(settings, "Q_CLUSTER", None) or {}).get("retry", 0))
    lease = float(getattr(settings, "DELIVERY_LEASE_SECONDS", 0))
    problems = [
        f"{name} is {value:g} s"
        for name, value in (("Q_RETRY", q_retry), ("DELIVERY_LEASE_SECONDS", lease))
        if value <= task.q_timeout
    ]
    if not problems:
        return []
    return [
        Error(
            f"{' and '.join(problems)}, not more than Q_TIMEOUT ({task.q_timeout:g} s): a task "
            "still running could be handed out again and run twice at once.",
            hint="Raise Q_RETRY and DELIVERY_LEASE_SECONDS above Q_TIMEOUT, or lower Q_TIMEOUT.",
            id="integrations.E003",
        )
    ]


@register()
def api_share_check(app_configs=None, **kwargs):
    """BIGCOMMERCE_API_SHARE is the percentage of each store's quota this app may use: a value
    outside (0, 100] would be read as the default at run time, which is not what was asked."""
    from django.conf import settings

    raw = getattr(settings, "BIGCOMMERCE_API_SHARE", quota.DEFAULT_SHARE_PERCENT)
    if quota.valid_share_percent(raw):
        return []
    return [
        Error(
            f"BIGCOMMERCE_API_SHARE is {raw!r}: it must be a percentage above 0, at most 100.",
            hint="Set it to the part of each store's API quota this app may use, e.g. 50.",
            id="integrations.E004",
        )
    ]
