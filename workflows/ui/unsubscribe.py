"""The public unsubscribe page, ``/u/{token}/``: no login; GET confirms, POST suppresses.

POST is exempt from CSRF because mail clients' one-click unsubscribe (RFC 8058: a POST with
``List-Unsubscribe=One-Click``) can't carry a token; all it can do is the idempotent
suppression the signed token names. The page reveals only the account's name and a masked
address; a bad token is a 400 page, too many requests from one address a 429 page.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import Account
from initiator_site.ratelimit import limited
from workflows.sending import suppressions, unsubscribe
from workflows.sending.addresses import masked
from workflows.sending.models import SuppressionReason

TEMPLATE = "workflows/unsubscribe.html"


def _page(request, status: int = 200, **context):
    response = render(request, TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _too_many(request):
    return _page(request, 429, problem="Too many requests. Please try again in a minute.")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@limited("unsubscribe", limit=30, window_seconds=60, refuse=_too_many)
def unsubscribe_page(request, token: str):
    who = unsubscribe.read_token(token)
    account = Account.objects.filter(pk=who.account_id).first() if who else None
    if account is None:
        return _page(
            request,
            400,
            problem="This unsubscribe link is not valid. Copy the whole link from the email, "
            "or use the unsubscribe link of a more recent email.",
        )
    context = {"account_name": account.name, "masked_email": masked(who.email)}
    if request.method == "GET":
        return _page(request, **context)
    suppressions.suppress(
        account.pk, who.email, SuppressionReason.UNSUBSCRIBED, source="unsubscribe link"
    )
    return _page(request, done=True, **context)
