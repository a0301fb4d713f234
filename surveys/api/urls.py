from rest_framework.routers import SimpleRouter

from surveys.api import views

router = SimpleRouter()
router.register("surveys", views.SurveyViewSet, basename="survey")

urlpatterns = router.urls
