from rest_framework.routers import SimpleRouter

from integrations.api import views

router = SimpleRouter()
router.register(
    "bigcommerce/authentications", views.AuthenticationViewSet, basename="authentication"
)
router.register("bigcommerce/deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = router.urls
