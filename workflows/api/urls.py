from rest_framework.routers import SimpleRouter

from workflows.api import suppressions, views

router = SimpleRouter()
router.register("workflows", views.WorkflowViewSet, basename="workflow")
router.register("runs", views.RunViewSet, basename="run")
router.register("suppressions", suppressions.SuppressionViewSet, basename="suppression")

urlpatterns = router.urls
