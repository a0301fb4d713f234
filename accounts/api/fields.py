"""Serializer fields that respect tenancy."""

from rest_framework import serializers


class AccountScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A primary key that only finds objects of the requesting user's account: another
    account's object is "does not exist", never a hint that it does."""

    def __init__(self, account_path="account", **kwargs):
        self.account_path = account_path
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        qs = super().get_queryset()
        if user is None:
            return qs.none()
        # Even superusers may only attach objects of their own account here.
        return qs.filter(**{self.account_path: user.account_id}) if user.account_id else qs.none()
