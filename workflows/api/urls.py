from rest_framework.routers import SimpleRouter

from workflows.api import views

router = SimpleRouter()
router.register("workflows", views.WorkflowViewSet, basename="workflow")
router.register("runs", views.RunViewSet, basename="run")

urlpatterns = router.urls
