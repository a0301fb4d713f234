from django.urls import path

from surveys.ui import results, views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.survey_list, name="list"),
    path("surveys/new/", views.survey_new, name="new"),
    path("surveys/<int:pk>/", views.survey_edit, name="edit"),
    path("surveys/<int:pk>/delete/", views.survey_delete, name="delete"),
    path("surveys/<int:pk>/results/", results.survey_results, name="results"),
    path("surveys/<int:pk>/results.csv", results.survey_results_csv, name="results-csv"),
]
