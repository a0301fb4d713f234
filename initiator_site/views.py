from django.db import connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness for load balancers: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request, exception):
    """Django's 404 page, but the API's JSON error for an /api/ path no route matches (an id
    the router refuses, like `0.5`), as for an object that is not there."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
