"""The BigCommerce webhook endpoint: a thin view over `integrations.receiver`."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import receiver


@csrf_exempt  # BigCommerce authenticates with the subscription secret, not a CSRF token
@require_POST
def bigcommerce_webhook(request, uuid):
    try:
        sub = receiver.authenticate(uuid, request.headers.get(receiver.SECRET_HEADER))
        receiver.check_size(request.META.get("CONTENT_LENGTH"))
        body = request.read(settings.WEBHOOK_MAX_BODY_BYTES + 1)
        if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
            raise receiver.Rejected(413, f"Body over {settings.WEBHOOK_MAX_BODY_BYTES} bytes.")
        receiver.store(sub, body, request.headers)
    except receiver.Rejected as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return HttpResponse(status=200)
