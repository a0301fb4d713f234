"""Admin for accounts and users, usable by superusers and by account admins (scoped)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django_q import admin as q_admin
from django_q import models as q_models

from accounts.admin_mixins import AccountScopedAdmin, SuperuserOnlyAdmin, is_admin_user
from accounts.forms import AccountUserChangeForm, AccountUserCreationForm
from accounts.models import Account, User

ACCOUNT_ADMIN_FIELDSETS = (
    (None, {"fields": ("username", "password")}),
    ("Personal info", {"fields": ("first_name", "last_name", "email")}),
    (
        "Permissions",
        {
            "fields": ("is_active", "is_staff", "integration_manager"),
            "description": "Staff users are account admins: they manage this account's users.",
        },
    ),
    ("Important dates", {"fields": ("last_login", "date_joined")}),
)
SUPERUSER_FIELDSETS = (
    (None, {"fields": ("username", "password", "account")}),
    ("Personal info", {"fields": ("first_name", "last_name", "email")}),
    (
        "Permissions",
        {
            "fields": (
                "is_active",
                "is_staff",
                "is_superuser",
                "integration_manager",
                "groups",
                "user_permissions",
            )
        },
    ),
    ("Important dates", {"fields": ("last_login", "date_joined")}),
)


@admin.register(User)
class UserAdmin(AccountScopedAdmin, DjangoUserAdmin):
    form = AccountUserChangeForm
    add_form = AccountUserCreationForm
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "account",
        "is_staff",
        "is_active",
    )
    list_filter = ("is_staff", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    readonly_fields = ("last_login", "date_joined")

    def get_list_filter(self, request):
        # The account filter would list every tenant: superusers only.
        if request.user.is_superuser:
            return ("account", "is_superuser", *self.list_filter)
        return self.list_filter

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("account")
        # Account admins never see superusers, even one attached to their account.
        return qs if request.user.is_superuser else qs.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = ["username", "email", "password1", "password2", "integration_manager"]
            if request.user.is_superuser:
                fields.insert(2, "account")
            return ((None, {"classes": ("wide",), "fields": fields}),)
        return SUPERUSER_FIELDSETS if request.user.is_superuser else ACCOUNT_ADMIN_FIELDSETS

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            if change and obj.account_id != request.user.account_id:
                raise PermissionDenied("Users cannot be moved to another account.")
            obj.account_id = request.user.account_id
            obj.is_superuser = False
        super().save_model(request, obj, form, change)
        form.save_integration_manager(obj)

    def has_delete_permission(self, request, obj=None):
        # An account admin cannot delete themself (and lock the account out of its admin).
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Account)
class AccountAdmin(AccountScopedAdmin):
    account_path = "pk"
    list_display = ("name", "created_at")
    search_fields = ("name",)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return is_admin_user(request.user)


# django-q2's pages show task arguments, results and schedules: superusers only.
for model, base in (
    (q_models.Schedule, q_admin.ScheduleAdmin),
    (q_models.Success, q_admin.TaskAdmin),
    (q_models.Failure, q_admin.FailAdmin),
    (q_models.OrmQ, q_admin.QueueAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (SuperuserOnlyAdmin, base), {}))
