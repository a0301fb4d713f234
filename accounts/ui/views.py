"""The API token page: see whether a token exists, create or regenerate it (key shown once),
revoke it.

Creating redirects to the page (post/redirect/get), which shows the new key once from the
session: reloading the page shows the token's state, never makes another token.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token


def _render(request, token, new_key=None):
    response = render(request, "accounts/api_token.html", {"token": token, "new_key": new_key})
    response["Cache-Control"] = "no-store"
    return response


NEW_KEY_SESSION_KEY = "api_token_new_key"


@require_GET
@never_cache
@login_required
def api_token(request):
    token = Token.objects.filter(user=request.user).first()
    new_key = request.session.pop(NEW_KEY_SESSION_KEY, None)
    if token is None or new_key != token.key:
        new_key = None  # revoked or replaced since: nothing to show
    return _render(request, token, new_key=new_key)


@require_POST
@never_cache
@login_required
def generate_token(request):
    """Create a token, replacing any existing one; the page shows its key once."""
    with transaction.atomic():
        Token.objects.filter(user=request.user).delete()
        token = Token.objects.create(user=request.user)
    request.session[NEW_KEY_SESSION_KEY] = token.key
    return redirect("account:api-token")


@require_POST
@login_required
def revoke_token(request):
    deleted, _ = Token.objects.filter(user=request.user).delete()
    if deleted:
        messages.success(request, "API token revoked: requests using it are now refused.")
    return redirect("account:api-token")
