"""The alerts page's form: where an account's alert emails go."""

from __future__ import annotations

from django import forms

from accounts.models import Account


class AlertSettingsForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["alert_email"]
        labels = {"alert_email": "Send alert emails to"}
        help_texts = {
            "alert_email": "One address (a team list, say). Leave it empty to email every "
            "Integration Manager of the team."
        }
