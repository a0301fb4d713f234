from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Feedback surveys"

    def ready(self):
        # The [Survey | …] merge codes, the survey_invite step and its form in the editor.
        from surveys import (
            codes,  # noqa: F401  (registers its code group on import)
            dashboard,
        )
        from surveys.invite_step import SurveyInviteStep
        from surveys.starters import register_all
        from surveys.ui.step_form import SurveyInviteForm
        from workflows.steps.registry import register
        from workflows.ui.step_forms import STEP_FORMS

        register(SurveyInviteStep())
        STEP_FORMS[SurveyInviteForm.step_type] = SurveyInviteForm
        register_all()  # the wizard's starter templates
        dashboard.register()  # survey responses per day on the dashboard
