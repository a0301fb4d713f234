from django.urls import path

from accounts.ui import views

app_name = "account"

urlpatterns = [
    path("account/api-token/", views.api_token, name="api-token"),
    path("account/api-token/generate/", views.generate_token, name="api-token-generate"),
    path("account/api-token/revoke/", views.revoke_token, name="api-token-revoke"),
]
