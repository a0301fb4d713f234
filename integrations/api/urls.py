from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations.api import views

router = SimpleRouter()
router.register(
    "bigcommerce/authentications", views.AuthenticationViewSet, basename="authentication"
)

urlpatterns = [
    path("initiators/", views.InitiatorListView.as_view(), name="initiator-list"),
    path(
        "initiators/bigcommerce/events/<str:event>/merge-codes/",
        views.MergeCodesView.as_view(),
        name="merge-codes",
    ),
    *router.urls,
]
