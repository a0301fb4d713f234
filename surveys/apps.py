from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Feedback surveys"

    def ready(self):
        from surveys import codes  # noqa: F401  (registers the [Survey | …] merge codes)
