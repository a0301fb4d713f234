"""Tenant scoping rules shared by admin, API and UI: one place that says what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet


def account_of(user):
    """The account whose objects `user` works on; None for anonymous or account-less users."""
    if not getattr(user, "is_authenticated", False):
        return None
    return user.account if user.account_id else None


def scope_queryset(queryset: QuerySet, user, account_path: str = "account") -> QuerySet:
    """Limit `queryset` to the user's account. Superusers see everything; users without an
    account see nothing."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_superuser:
        return queryset
    if not user.account_id:
        return queryset.none()
    return queryset.filter(**{account_path: user.account_id})
