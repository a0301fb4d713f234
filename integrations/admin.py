"""Admin for BigCommerce objects: account-scoped, secrets write-only and masked."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages

from accounts.admin_mixins import AccountScopedAdmin, scoped_related_filter
from accounts.models import INTEGRATION_MANAGER_PERM
from integrations import authentications as service
from integrations import deliveries, subscriptions
from integrations.models import (
    BigCommerceAuthentication,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)


class AuthenticationAdminForm(forms.ModelForm):
    """Secrets are typed in, never rendered back: blank on change means "keep the current one"."""

    client_id = forms.CharField(
        required=False, max_length=256, widget=forms.PasswordInput(render_value=False)
    )
    access_token = forms.CharField(
        required=False, max_length=256, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = BigCommerceAuthentication
        fields = ["account", "name", "store_hash", "client_id", "access_token"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for field in ("client_id", "access_token"):
                hint = getattr(self.instance, f"{field}_hint")
                self.fields[
                    field
                ].help_text = f"Current value ends in {hint}. Leave blank to keep it."
        else:
            self.fields["client_id"].required = True
            self.fields["access_token"].required = True

    def clean(self):
        cleaned = super().clean()
        for field in ("client_id", "access_token"):
            if not cleaned.get(field):
                cleaned.pop(field, None)
        if self.errors:
            return cleaned
        changes = {
            f: cleaned[f] for f in ("store_hash", "client_id", "access_token") if f in cleaned
        }
        try:
            self.verified = service.verify_changes(self.instance, changes)
        except service.VerificationFailed as exc:
            self.add_error(exc.field, exc.message)
        return cleaned

    def _post_clean(self):
        # Blank secret fields keep the stored values: don't copy "" onto the instance.
        for field in ("client_id", "access_token"):
            if not self.cleaned_data.get(field):
                self.cleaned_data[field] = getattr(self.instance, field)
        super()._post_clean()


@admin.register(BigCommerceAuthentication)
class AuthenticationAdmin(AccountScopedAdmin):
    form = AuthenticationAdminForm
    list_display = ("name", "store_hash", "store_name", "status", "last_verified_at", "account")
    list_filter = ("status",)
    search_fields = ("name", "store_hash", "store_name")
    readonly_fields = ("store_name", "status", "status_detail", "last_verified_at", "hints")
    actions = ["verify_again"]
    scoped_related = {"account": "pk"}

    @admin.display(description="Credentials")
    def hints(self, obj):
        return f"Client ID {obj.client_id_hint}, access token {obj.access_token_hint}"

    def get_fields(self, request, obj=None):
        fields = ["name", "store_hash", "client_id", "access_token"]
        if request.user.is_superuser:
            fields.insert(0, "account")
        if obj is not None:
            fields += ["hints", "store_name", "status", "status_detail", "last_verified_at"]
        return fields

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.account_id = request.user.account_id
        if not change:
            obj.created_by = request.user
        verified = getattr(form, "verified", None)
        if verified is not None:
            service.mark_verified(obj, verified)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        try:
            service.delete_authentication(obj)
        except service.AuthenticationInUse as exc:
            self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description="Verify again with BigCommerce")
    def verify_again(self, request, queryset):
        for auth in queryset:
            service.reverify(auth)
            level = messages.SUCCESS if auth.status == "verified" else messages.WARNING
            self.message_user(
                request, f"{auth.name}: {auth.get_status_display()}. {auth.status_detail}", level
            )


@admin.register(WebhookSubscription)
class SubscriptionAdmin(AccountScopedAdmin):
    account_path = "authentication__account"
    list_display = ("uuid", "authentication", "event", "status", "last_healthy_at")
    list_filter = ("event", "status")
    list_select_related = ("authentication",)
    readonly_fields = (
        "uuid",
        "authentication",
        "event",
        "hook_id",
        "status",
        "status_detail",
        "last_checked_at",
        "last_healthy_at",
        "created_at",
    )
    exclude = ("secret", "previous_secret")
    actions = ["rotate_secret"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Rotate the webhook secret (the old one works "
        f"{subscriptions.ROTATION_GRACE / timedelta(hours=1):g} hours more)"
    )
    def rotate_secret(self, request, queryset):
        for sub in queryset.select_related("authentication"):
            sub = subscriptions.rotate_secret(sub)
            detail = f" {sub.status_detail}" if sub.status_detail else ""
            level = messages.WARNING if sub.status == SubscriptionStatus.ERROR else messages.SUCCESS
            self.message_user(
                request, f"{sub}: new secret; hook {sub.get_status_display()}.{detail}", level
            )


@admin.register(WebhookDelivery)
class DeliveryAdmin(AccountScopedAdmin):
    account_path = "subscription__authentication__account"
    list_display = (
        "id",
        "scope",
        "store_hash",
        "order_id",
        "status",
        "origin",
        "attempts",
        "received_at",
        "processed_at",
    )
    list_filter = (
        "status",
        "origin",
        "scope",
        scoped_related_filter("subscription", "authentication__account"),
    )
    search_fields = ("hash",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["replay_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_replay_permission(self, request):
        return request.user.has_perm(INTEGRATION_MANAGER_PERM)

    @admin.action(description="Replay selected failed and dead deliveries", permissions=["replay"])
    def replay_selected(self, request, queryset):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        rate = settings.DELIVERY_REPLAY_PER_SECOND or None
        replayed = deliveries.replay_many(ids, per_second=rate)
        self.message_user(
            request,
            f"Replayed {replayed} deliver{'y' if replayed == 1 else 'ies'}: each is fetched "
            "again and fanned out in turn (workflows whose run for it succeeded are not run "
            "again).",
            messages.SUCCESS if replayed else messages.WARNING,
        )
        if len(ids) > replayed:
            self.message_user(
                request,
                f"{len(ids) - replayed} left as they are: only failed and dead deliveries can be "
                "replayed (an unusable one's body can't be used).",
                messages.WARNING,
            )
