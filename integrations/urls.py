from django.urls import path

from integrations import views

urlpatterns = [
    path(
        "webhooks/bigcommerce/<uuid:uuid>/", views.bigcommerce_webhook, name="bigcommerce-webhook"
    ),
]
