"""Forms of the customer emails page: add a suppression, import a CSV, the frequency cap."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Account
from integrations.ui.forms import Form
from workflows.sending import suppressions
from workflows.sending.models import SuppressionReason


class AddSuppressionForm(Form):
    email = forms.CharField(label="Email address", max_length=254)
    reason = forms.ChoiceField(
        label="Reason", choices=SuppressionReason.choices, initial=SuppressionReason.MANUAL
    )

    def clean_email(self):
        return suppressions.clean_address(self.cleaned_data["email"])


class ImportSuppressionsForm(Form):
    file = forms.FileField(
        label="CSV file",
        help_text="One address per row: email[,reason]. A header row “email,reason” is fine; "
        "the reason is manual when missing.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > suppressions.MAX_IMPORT_BYTES:
            raise ValidationError("At most 1 MB per file; split a bigger list.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The file must be UTF-8 text (CSV).") from None


class FrequencyCapForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["frequency_cap_emails", "frequency_cap_hours"]
        labels = {
            "frequency_cap_emails": "At most this many customer emails per recipient",
            "frequency_cap_hours": "Within (hours)",
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, prefix="cap", **kwargs)
