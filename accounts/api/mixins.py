"""Tenant scoping for API views: another account's object is simply not found (404)."""

from rest_framework.exceptions import ValidationError

from accounts.scoping import account_of, scope_queryset


class AccountScopedMixin:
    account_path = "account"

    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.request.user, self.account_path)

    def request_account(self):
        account = account_of(self.request.user)
        if account is None:
            raise ValidationError(
                {"detail": "Your user belongs to no account; an admin must add you to one."}
            )
        return account
