from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "BigCommerce"

    def ready(self):
        from integrations import (
            checks,  # noqa: F401  (registers system checks)
            signals,
            subscriptions,
        )

        signals.credentials_replaced.connect(subscriptions.reregister_after_new_credentials)
        signals.authentication_deleted.connect(subscriptions.remove_hooks_of_deleted)
