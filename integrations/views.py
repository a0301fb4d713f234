"""The BigCommerce webhook endpoint: a thin view over `integrations.receiver`."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import receiver


@csrf_exempt  # BigCommerce authenticates with the subscription secret, not a CSRF token
@require_POST
def bigcommerce_webhook(request, uuid):
    try:
        sub = receiver.authenticate(uuid, request.headers.get(receiver.SECRET_HEADER))
        body = receiver.read_body(request)  # with or without a Content-Length (chunked)
        receiver.store(sub, body, request.headers)
    except receiver.Rejected as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return HttpResponse(status=200)
