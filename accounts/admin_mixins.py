"""Django admin for account admins: staff users of an account see only that account's objects.

Django's admin leaks across tenants in three places by default — the change list, related-object
choices in forms, and list filters built from related models — so each is scoped here.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.scoping import scope_queryset


def is_admin_user(user) -> bool:
    return user.is_active and (user.is_superuser or (user.is_staff and user.account_id is not None))


class AccountScopedAdmin(admin.ModelAdmin):
    """Base for every admin of account-owned models. `account_path` is the lookup from the model
    to its account; `scoped_related` maps FK fields to their own account paths."""

    account_path = "account"
    scoped_related: dict[str, str] = {}

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self.account_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.scoped_related.get(db_field.name)
        if path is not None and field is not None:
            field.queryset = scope_queryset(field.queryset, request.user, path)
        return field

    # Account admins may work with their own account's objects; Django's model permissions are
    # not what gates them (they are per-account roles, not global grants).
    def has_module_permission(self, request):
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_add_permission(self, request):
        return is_admin_user(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin_user(request.user)


def scoped_related_filter(field_name: str, account_path: str):
    """A list filter on a related field whose choices are limited to the user's account."""

    class ScopedRelatedFilter(admin.RelatedFieldListFilter):
        def field_choices(self, field, request, model_admin):
            qs = scope_queryset(
                field.related_model._default_manager.all(), request.user, account_path
            )
            return [(obj.pk, str(obj)) for obj in qs]

    return (field_name, ScopedRelatedFilter)


class SuperuserOnlyAdmin:
    """Mixin: superusers only (task queue pages show task arguments and schedules). It only
    narrows the wrapped admin's own rules (django-q2 forbids adding results, for one)."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class AccountScopedInline:
    """Mixin for inlines of account-scoped admins: same per-account role as the parent page."""

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_add_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin_user(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin_user(request.user)
