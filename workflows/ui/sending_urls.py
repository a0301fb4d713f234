from django.urls import path

from workflows.ui import suppressions

app_name = "sending"

urlpatterns = [
    path("suppressions/", suppressions.suppression_list, name="suppressions"),
    path("suppressions/add/", suppressions.suppression_add, name="suppression-add"),
    path("suppressions/import/", suppressions.suppression_import, name="suppression-import"),
    path("suppressions/export/", suppressions.suppression_export, name="suppression-export"),
    path(
        "suppressions/<int:pk>/remove/",
        suppressions.suppression_remove,
        name="suppression-remove",
    ),
    path("suppressions/frequency-cap/", suppressions.frequency_cap, name="frequency-cap"),
]
