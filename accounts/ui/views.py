"""The API token page: see whether a token exists, create or regenerate it (key shown once),
revoke it."""

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


@require_GET
@login_required
def api_token(request):
    return _render(request, Token.objects.filter(user=request.user).first())


@require_POST
@never_cache
@login_required
def generate_token(request):
    """Create a token, replacing any existing one; the key is shown on this response only."""
    with transaction.atomic():
        Token.objects.filter(user=request.user).delete()
        token = Token.objects.create(user=request.user)
    return _render(request, token, new_key=token.key)


@require_POST
@login_required
def revoke_token(request):
    deleted, _ = Token.objects.filter(user=request.user).delete()
    if deleted:
        messages.success(request, "API token revoked: requests using it are now refused.")
    return redirect("account:api-token")
