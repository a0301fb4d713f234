from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"

    def ready(self):
        from workflows import broker  # noqa: F401  (listens to integrations.signals)
