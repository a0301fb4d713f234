"""Forms of the setup wizard and the workflow settings (name, authentication, send-once)."""

from __future__ import annotations

from django import forms

from integrations.events import EVENTS
from integrations.models import BigCommerceAuthentication
from integrations.ui.forms import Form
from workflows.models import SendOnceScope, Workflow

NAME_MAX_LENGTH = Workflow._meta.get_field("name").max_length


class WorkflowNameForm(Form):
    name = forms.CharField(
        label="Workflow name",
        max_length=NAME_MAX_LENGTH,
        help_text="For example “Post-shipment feedback survey”.",
    )


class EventForm(Form):
    event = forms.ChoiceField(
        label="BigCommerce event",
        choices=[(key, event.name) for key, event in EVENTS.items()],
        widget=forms.RadioSelect,
    )


class AuthenticationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, auth):
        store = auth.store_name or "store name unknown"
        return (
            f"{auth.name} — {store} ({auth.store_hash}); Client ID {auth.client_id_hint}, "
            f"Access Token {auth.access_token_hint}"
        )


def _authentications(account):
    return BigCommerceAuthentication.objects.filter(account=account).order_by("name", "id")


class ExistingAuthenticationForm(Form):
    """Reuse one of the account's authentications."""

    authentication = AuthenticationChoiceField(
        label="Existing BigCommerce authentication",
        queryset=BigCommerceAuthentication.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authentication"].queryset = _authentications(account)


class WorkflowSettingsForm(Form):
    """The editable fields of a saved workflow; the event is fixed once steps use its codes."""

    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
    authentication = AuthenticationChoiceField(
        label="BigCommerce authentication", queryset=BigCommerceAuthentication.objects.none()
    )
    send_once_scope = forms.ChoiceField(
        label="Send once",
        choices=SendOnceScope.choices,
        required=False,
        help_text="Run at most once per order, cart or customer within the window below.",
    )
    send_once_days = forms.IntegerField(
        label="Send-once window (days)", min_value=1, max_value=3650
    )

    def __init__(self, *args, workflow, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": workflow.name,
                "authentication": workflow.authentication_id,
                "send_once_scope": workflow.send_once_scope,
                "send_once_days": workflow.send_once_days,
            },
        )
        super().__init__(*args, prefix="settings", **kwargs)
        self.fields["authentication"].queryset = _authentications(workflow.account_id)
