"""The project's URLs plus the two ingest baselines (bench settings only, never production)."""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench-bare"),
    path("bench/insert/", views.insert, name="bench-insert"),
    path("", include("initiator_site.urls")),
]
