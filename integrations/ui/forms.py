"""Forms for BigCommerce authentications. Secrets are never rendered back into the page."""

from __future__ import annotations

import re

from django import forms

from integrations.models import BigCommerceAuthentication, store_hash_validator

MAX_SECRET_LENGTH = 256
NAME_MAX_LENGTH = BigCommerceAuthentication._meta.get_field("name").max_length
# The API account file also lists the API PATH: https://api.bigcommerce.com/stores/abc123/v3/
_STORE_PATH_RE = re.compile(r"/stores/([A-Za-z0-9]+)")


class SecretTextInput(forms.TextInput):
    """A plain text box that never renders its value (after an error it comes back empty)."""

    def format_value(self, value):
        return None


class Form(forms.Form):
    """Labels without a trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _secret_attrs(**extra):
    return {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off", **extra}


class NewAuthenticationForm(Form):
    """Client ID, Access Token and Store Hash from the store-level API account file."""

    client_id = forms.CharField(
        label="Client ID",
        max_length=MAX_SECRET_LENGTH,
        widget=SecretTextInput(attrs=_secret_attrs()),
        help_text="From the API account file (“Client ID”). Stored encrypted.",
    )
    access_token = forms.CharField(
        label="Access Token",
        max_length=MAX_SECRET_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs=_secret_attrs()),
        help_text=(
            "From the API account file (“Access Token”). Stored encrypted; never shown again."
        ),
    )
    store_hash = forms.CharField(
        label="Store Hash",
        max_length=200,
        widget=forms.TextInput(attrs=_secret_attrs(placeholder="e.g. abc123")),
        help_text="From the API account file (“Store Hash”), or paste its API PATH.",
    )
    name = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=NAME_MAX_LENGTH,
        help_text="How your team will recognise this store; defaults to the store hash.",
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_store_hash(self) -> str:
        value = self.cleaned_data["store_hash"].strip()
        match = _STORE_PATH_RE.search(value)
        if match:
            value = match.group(1)
        value = value.lower()
        store_hash_validator(value)
        return value

    def clean(self):
        cleaned = super().clean()
        name = (cleaned.get("name") or "").strip()
        taken = BigCommerceAuthentication.objects.filter(account=self.account)
        if name:
            if taken.filter(name=name).exists():
                self.add_error("name", "Your account already has an authentication with this name.")
        elif cleaned.get("store_hash"):
            cleaned["name"] = _free_name(f"BigCommerce {cleaned['store_hash']}", taken)
        return cleaned

    def service_kwargs(self) -> dict:
        """Keyword arguments for ``authentications.create_authentication``."""
        fields = ("name", "store_hash", "client_id", "access_token")
        return {field: self.cleaned_data[field] for field in fields}


def _free_name(base: str, taken) -> str:
    names = set(taken.filter(name__startswith=base).values_list("name", flat=True))
    if base not in names:
        return base
    number = 2
    while f"{base} ({number})" in names:
        number += 1
    return f"{base} ({number})"


class RotateTokenForm(Form):
    """A new Access Token for an existing authentication (verified before it is stored)."""

    access_token = forms.CharField(
        label="New Access Token",
        max_length=MAX_SECRET_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs=_secret_attrs()),
        help_text="Create a new store-level API account (or token) in BigCommerce and paste it.",
    )
