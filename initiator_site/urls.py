from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from initiator_site import views
from surveys.ui.respond import survey_page
from workflows.ui.unsubscribe import unsubscribe_page

api_v1 = [
    path("", include("integrations.api.urls")),
    path("", include("workflows.api.urls")),
    path("", include("surveys.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("u/<str:token>/", unsubscribe_page, name="unsubscribe"),
    path("s/<str:token>/", survey_page, name="survey"),
    path("", include("accounts.urls")),
    path("", include("integrations.urls")),
    path("", include("workflows.ui.urls")),
    path("", include("workflows.ui.sending_urls")),
    path("", include("surveys.ui.urls")),
    path("", include("integrations.ui.urls")),
    path("", include("accounts.ui.urls")),
    path("admin/", admin.site.urls),
    path("anymail/", include("workflows.sending.webhook_urls")),
    path("api/v1/", include((api_v1, "api"))),
]

handler404 = "initiator_site.views.not_found"
