"""Shared UI access rules: login, account scoping and the Integration Manager permission.

Every UI view is login-required; objects are looked up through ``scope_queryset`` so another
account's object is a 404; writes to BigCommerce workflows and authentications answer 403 with
the Integration Manager message (never a 500) when the permission is missing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from accounts.models import INTEGRATION_MANAGER_MESSAGE, INTEGRATION_MANAGER_PERM
from accounts.scoping import account_of, scope_queryset

NO_ACCOUNT_MESSAGE = (
    "Your user belongs to no account, so there is nothing to set up here. "
    "Ask an account admin to add you to your team's account."
)


def can_manage(user) -> bool:
    """May this user write BigCommerce workflows and authentications?"""
    return user.is_authenticated and user.has_perm(INTEGRATION_MANAGER_PERM)


def refuse(request, message: str = INTEGRATION_MANAGER_MESSAGE, status: int = 403):
    """The refusal page: says what is missing and who can grant it."""
    return render(request, "accounts/permission_denied.html", {"message": message}, status=status)


def manager_required(view):
    """Login required, and the Integration Manager permission (else 403 with the message)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_manage(request.user):
            return refuse(request)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def account_or_refusal(request):
    """``(account, None)`` or ``(None, refusal response)`` for users without an account."""
    account = account_of(request.user)
    if account is None:
        return None, refuse(request, NO_ACCOUNT_MESSAGE)
    return account, None


def scoped_or_404(queryset, request, account_path: str = "account", **lookup):
    """The object of the user's account, or 404 (also for another account's object)."""
    return get_object_or_404(scope_queryset(queryset, request.user, account_path), **lookup)
