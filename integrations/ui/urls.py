from django.urls import path

from integrations.ui import views

app_name = "authentications"

urlpatterns = [
    path("authentications/", views.authentication_list, name="list"),
    path("authentications/new/", views.authentication_create, name="create"),
    path("authentications/<int:pk>/rotate/", views.authentication_rotate, name="rotate"),
    path("authentications/<int:pk>/verify/", views.authentication_verify, name="verify"),
    path("authentications/<int:pk>/delete/", views.authentication_delete, name="delete"),
]
