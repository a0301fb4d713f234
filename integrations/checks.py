"""System checks: fail `manage.py check` (and start-up) on unusable encryption keys."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from integrations import crypto


@register()
def encryption_keys_check(app_configs=None, **kwargs):
    try:
        crypto.fernet()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See .env.example.", id="integrations.E001")]
    return []
