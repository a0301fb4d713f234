from django.urls import path, register_converter

from workflows.ui import dashboard, deliveries, jobs, runs, steps, views, wizard

app_name = "workflows"


class BranchConverter:
    """An If / else's branch in a URL: "then" or "else"."""

    regex = "then|else"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(BranchConverter, "branch")

step = "workflows/<int:pk>/steps/<int:index>/"
branch = "workflows/<int:pk>/steps/<int:position>/<branch:branch>/"
urlpatterns = [
    path("workflows/", views.workflow_list, name="list"),
    path("workflows/new/", wizard.start, name="new"),
    path("workflows/new/name/", wizard.name_step, name="new-name"),
    path("workflows/new/initiator/", wizard.initiator_step, name="new-initiator"),
    path("workflows/new/event/", wizard.event_step, name="new-event"),
    path("workflows/new/overview/", wizard.overview_step, name="new-overview"),
    path("workflows/new/authentication/", wizard.authentication_step, name="new-authentication"),
    path("workflows/<int:pk>/", views.workflow_detail, name="detail"),
    path("workflows/<int:pk>/settings/", views.workflow_settings, name="settings"),
    path("workflows/<int:pk>/activate/", views.workflow_activate, name="activate"),
    path("workflows/<int:pk>/pause/", views.workflow_pause, name="pause"),
    path("workflows/<int:pk>/test/", views.workflow_test, name="test"),
    path("workflows/<int:pk>/delete/", views.workflow_delete, name="delete"),
    path("workflows/<int:pk>/steps/add/<str:step_type>/", steps.step_add, name="step-add"),
    path("workflows/<int:pk>/steps/preview/", steps.step_preview, name="step-preview"),
    path(step + "edit/", steps.step_edit, name="step-edit"),
    path(step + "move/", steps.step_move, name="step-move"),
    path(step + "delete/", steps.step_delete, name="step-delete"),
    path(branch + "add/<str:step_type>/", steps.step_add, name="branch-step-add"),
    path(branch + "<int:index>/edit/", steps.step_edit, name="branch-step-edit"),
    path(branch + "<int:index>/move/", steps.step_move, name="branch-step-move"),
    path(branch + "<int:index>/delete/", steps.step_delete, name="branch-step-delete"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<int:pk>/", runs.run_detail, name="run"),
    path("runs/<int:pk>/retry/", runs.run_retry, name="run-retry"),
    path("deliveries/", deliveries.delivery_list, name="deliveries"),
    path("deliveries/replay/", deliveries.deliveries_replay, name="deliveries-replay"),
    path("deliveries/<int:pk>/replay/", deliveries.delivery_replay, name="delivery-replay"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job"),
    path("alerts/", dashboard.alerts_page, name="alerts"),
    path("alerts/check/", dashboard.alerts_check, name="alerts-check"),
    path(
        "subscriptions/<int:pk>/repair/", dashboard.subscription_repair, name="subscription-repair"
    ),
]
