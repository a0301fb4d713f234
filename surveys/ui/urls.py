from django.urls import path

from surveys.ui import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.survey_list, name="list"),
    path("surveys/new/", views.survey_new, name="new"),
    path("surveys/<int:pk>/", views.survey_edit, name="edit"),
    path("surveys/<int:pk>/delete/", views.survey_delete, name="delete"),
]
