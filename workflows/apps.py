from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"

    def ready(self):
        from anymail.signals import tracking

        from workflows import backfill, broker  # noqa: F401  (listen to integrations.signals)
        from workflows.sending.tracking import on_tracking

        tracking.connect(on_tracking, dispatch_uid="workflows.sending.tracking")
