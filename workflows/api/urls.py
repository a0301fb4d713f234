from django.urls import path
from rest_framework.routers import SimpleRouter

from workflows.api import deliveries, stats, suppressions, views

router = SimpleRouter()
router.register("workflows", views.WorkflowViewSet, basename="workflow")
router.register("runs", views.RunViewSet, basename="run")
router.register("bigcommerce/deliveries", deliveries.DeliveryViewSet, basename="delivery")
router.register("jobs", deliveries.JobViewSet, basename="job")
router.register("suppressions", suppressions.SuppressionViewSet, basename="suppression")

urlpatterns = [path("stats/", stats.StatsView.as_view(), name="stats"), *router.urls]
