"""Admin forms for users: the Integration Manager checkbox and account-admin restrictions."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Permission

from accounts.models import INTEGRATION_MANAGER_CODENAME, User


def integration_manager_permission() -> Permission:
    return Permission.objects.get(
        content_type__app_label="accounts", codename=INTEGRATION_MANAGER_CODENAME
    )


class IntegrationManagerFormMixin(forms.Form):
    """Adds the Integration Manager checkbox and saves it as the real Django permission."""

    integration_manager = forms.BooleanField(
        required=False,
        label="Integration Manager",
        help_text="Can set up and use integration initiators such as BigCommerce.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["integration_manager"].initial = self.instance.user_permissions.filter(
                codename=INTEGRATION_MANAGER_CODENAME, content_type__app_label="accounts"
            ).exists()

    def save_integration_manager(self, user: User) -> None:
        perm = integration_manager_permission()
        if self.cleaned_data.get("integration_manager"):
            user.user_permissions.add(perm)
        else:
            user.user_permissions.remove(perm)


class AccountUserChangeForm(IntegrationManagerFormMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class AccountUserCreationForm(IntegrationManagerFormMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "account")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "account" in self.fields:
            self.fields["account"].required = False
