"""Forms of the setup wizard and the workflow settings (name, event, authentication, send-once)."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError

from integrations.events import EVENTS
from integrations.merge_data import ORDER_STATUSES as ALL_ORDER_STATUSES
from integrations.models import BigCommerceAuthentication
from integrations.ui.forms import Form
from workflows import services, trigger_filters
from workflows.models import Consent, SendOnceScope, Workflow
from workflows.sending.window import WEEKDAY_NAMES
from workflows.starters import STARTERS

NAME_MAX_LENGTH = Workflow._meta.get_field("name").max_length
# BigCommerce's order statuses (GET /v2/order_statuses), for "stop after a wait".
ORDER_STATUSES = [
    (4, "Refunded"),
    (14, "Partially Refunded"),
    (5, "Cancelled"),
    (6, "Declined"),
    (13, "Disputed"),
    (12, "Manual Verification Required"),
    (0, "Incomplete"),
]
CONSENT_RISK = (
    "Required: customer emails go only to customers whose BigCommerce record says they accept "
    "them (accepts marketing / review and abandoned-cart emails; a guest's order opt-in). "
    "Turning it off emails customers who never agreed: that breaks anti-spam laws in many "
    "countries (GDPR, CAN-SPAM, CASL), draws spam complaints and can get your sending domain "
    "blocked. Turn it off only for emails customers expect whatever they chose, such as a "
    "receipt."
)
EVENT_CHOICES = [(key, event.name) for key, event in EVENTS.items()]
STATUS_CHOICES = [(str(status), name) for status, name in ALL_ORDER_STATUSES.items()]


def filter_initial(config: dict) -> dict:
    """The settings form's trigger filter fields from a workflow's filter."""
    return {
        "trigger_skip_statuses": [str(i) for i in config.get("skip_statuses", [])],
        "trigger_status_from": [str(i) for i in config.get("status_from", [])],
        "trigger_status_to": [str(i) for i in config.get("status_to", [])],
        "trigger_channels": ", ".join(str(i) for i in config.get("channels", [])),
        "trigger_match": config.get("match", "all"),
        "trigger_rules": json.dumps(config["rules"], indent=1) if config.get("rules") else "",
    }


class WorkflowNameForm(Form):
    name = forms.CharField(
        label="Workflow name",
        max_length=NAME_MAX_LENGTH,
        help_text="For example “Post-shipment feedback survey”.",
    )


class EventForm(Form):
    event = forms.ChoiceField(
        label="BigCommerce event",
        choices=EVENT_CHOICES,
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
    """The editable fields of a saved workflow. Another event is accepted when the steps still
    make sense for it (`services.steps_under_event`); `steps` then holds them, cleaned."""

    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
    event = forms.ChoiceField(
        label="BigCommerce event",
        choices=EVENT_CHOICES,
        help_text="Another event is accepted when every merge code the steps use is one it "
        "offers too.",
    )
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
    consent = forms.ChoiceField(
        label="Customer consent",
        choices=Consent.choices,
        widget=forms.RadioSelect,
        help_text=CONSENT_RISK,
        required=False,  # left out: unchanged (turning it off is always an explicit choice)
    )

    send_window_weekdays = forms.MultipleChoiceField(
        label="Send window: weekdays",
        choices=[(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Customer emails go out only on these days, in the store's time zone; one "
        "due outside the window waits for it. None ticked: any time.",
    )
    send_window_start_hour = forms.IntegerField(
        label="Window opens at (hour, store time)", min_value=0, max_value=23, required=False
    )
    send_window_end_hour = forms.IntegerField(
        label="Window closes at (hour, store time)", min_value=1, max_value=24, required=False
    )

    stop_on_order_statuses = forms.MultipleChoiceField(
        label="After a wait, stop when the order is",
        choices=[(str(status), name) for status, name in ORDER_STATUSES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="When a run resumes, the order is fetched again; with one of these statuses "
        "the run stops (a cart that is gone always stops an abandoned-cart run).",
    )

    trigger_skip_statuses = forms.MultipleChoiceField(
        label="Trigger filter: skip orders whose status is",
        choices=STATUS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Such a delivery starts no run and is counted as filtered.",
    )
    trigger_status_from = forms.MultipleChoiceField(
        label="Trigger filter: status changed from",
        choices=STATUS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: from any status.",
    )
    trigger_status_to = forms.MultipleChoiceField(
        label="Trigger filter: order status is (or changed to)",
        choices=STATUS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: any status.",
    )
    trigger_channels = forms.CharField(
        label="Trigger filter: channel ids",
        required=False,
        max_length=400,
        help_text="Comma-separated BigCommerce channel ids (1 is the store's own storefront); "
        "empty: every channel.",
    )
    trigger_match = forms.ChoiceField(
        label="Trigger filter: conditions must",
        choices=[("all", "all hold"), ("any", "any hold")],
        required=False,
    )
    trigger_rules = forms.CharField(
        label="Trigger filter: conditions (JSON)",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text='Rules as in a Condition step, e.g. [{"merge_code": "BigCommerce | Order | '
        'total_inc_tax", "operator": "gt", "value": "50"}]; empty: none.',
    )

    def __init__(self, *args, workflow, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": workflow.name,
                "event": workflow.event,
                "authentication": workflow.authentication_id,
                "send_once_scope": workflow.send_once_scope,
                "send_once_days": workflow.send_once_days,
                "consent": workflow.consent,
                "send_window_weekdays": list(workflow.send_window_weekdays),
                "send_window_start_hour": workflow.send_window_start_hour,
                "send_window_end_hour": workflow.send_window_end_hour,
                "stop_on_order_statuses": workflow.stop_on_order_statuses.split(","),
                **filter_initial(workflow.trigger_filter or {}),
            },
        )
        super().__init__(*args, prefix="settings", **kwargs)
        self.fields["authentication"].queryset = _authentications(workflow.account_id)
        self.workflow = workflow
        self.steps: list[dict] | None = None

    def clean_stop_on_order_statuses(self):
        if f"{self.prefix}-stop_on_order_statuses-sent" not in self.data:
            return self.workflow.stop_on_order_statuses  # left out: unchanged
        chosen = self.cleaned_data.get("stop_on_order_statuses") or []
        return ",".join(sorted(chosen, key=int))

    def clean_send_window_weekdays(self):
        return "".join(sorted(self.cleaned_data.get("send_window_weekdays") or []))

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("send_window_start_hour")
        end = cleaned.get("send_window_end_hour")
        cleaned["send_window_start_hour"] = (
            self.workflow.send_window_start_hour if start is None else start
        )
        cleaned["send_window_end_hour"] = self.workflow.send_window_end_hour if end is None else end
        if cleaned["send_window_start_hour"] >= cleaned["send_window_end_hour"]:
            self.add_error("send_window_end_hour", "The window must close after it opens.")
        self._clean_trigger_filter(cleaned, cleaned.get("event") or self.workflow.event)
        return cleaned

    def _clean_trigger_filter(self, cleaned, event) -> None:
        """The trigger filter from its fields (left out: unchanged), checked for the event."""
        if f"{self.prefix}-trigger-sent" in self.data:
            config = {
                name: [int(i) for i in cleaned.pop(f"trigger_{name}", None) or []]
                for name in ("skip_statuses", "status_from", "status_to")
            }
            channels = cleaned.pop("trigger_channels", "") or ""
            config["channels"] = [part.strip() for part in channels.split(",") if part.strip()]
            rules = (cleaned.pop("trigger_rules", "") or "").strip()
            config["match"] = cleaned.pop("trigger_match", "") or "all"
            try:
                config["rules"] = json.loads(rules) if rules else []
            except ValueError:
                self.add_error("trigger_rules", "Not valid JSON: give a list of rules.")
                return
        else:
            config = dict(self.workflow.trigger_filter or {})
            for name in [key for key in cleaned if key.startswith("trigger_")]:
                cleaned.pop(name)
        try:
            cleaned["trigger_filter"] = trigger_filters.validate_filter(config, event)
        except ValidationError as exc:
            self.add_error(None, ValidationError(["Trigger filter:", *exc.messages]))

    def clean_consent(self):
        return self.cleaned_data.get("consent") or self.workflow.consent

    def clean_event(self):
        event = self.cleaned_data["event"]
        if event != self.workflow.event:
            try:
                self.steps = services.steps_under_event(self.workflow, event)
            except ValidationError as exc:
                intro = f"The steps don't fit the {EVENTS[event].name} event:"
                raise ValidationError([intro, *exc.messages]) from None
        return event


class StarterForm(Form):
    """The wizard's optional starter template (`workflows/starters.py`)."""

    starter = forms.ChoiceField(
        label="Start from",
        required=False,
        widget=forms.RadioSelect,
        help_text="A template fills in the event and the steps; you review them before activating.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starter"].choices = [("", "A blank workflow")] + [
            (key, f"{starter.name} — {starter.description}") for key, starter in STARTERS.items()
        ]
