"""The ingest baselines, served by the same gunicorn and middleware as the receiver."""

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.models import BaselineBody


@csrf_exempt
@require_POST
def bare(request):
    """(a) Django answering 200: the floor of any view."""
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def insert(request):
    """(b) Store the body with one INSERT (autocommit: the statement is its own transaction):
    the floor of any durable receiver."""
    body = request.read(settings.WEBHOOK_MAX_BODY_BYTES + 1)
    BaselineBody.objects.create(body=body.decode("utf-8"))
    return HttpResponse(status=200)
