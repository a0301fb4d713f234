"""Search of runs and deliveries: one FilterSet each (django-filter), shared by the API, the
list pages and the bulk replay job, so that a filter means the same everywhere.

Order id and customer email have indexed columns of their own, filled when the row is created
(the receiver's INSERT, the fan-out's plan); a workflow is its own runs, or its subscription's
deliveries (both indexed foreign keys); status leads an index on both tables. Lists are in id
order, newest first, so a page needs no sort; dates narrow it on the way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.scoping import scope_queryset
from integrations.events import EventKey
from integrations.merge_data import MAX_EMAIL_LENGTH, normalise_email
from integrations.models import DeliveryOrigin, DeliveryStatus, WebhookDelivery
from integrations.payloads import MAX_ID
from workflows.models import RunStatus, Workflow, WorkflowRun

DATE_HELP = "A date (YYYY-MM-DD, in UTC) or an ISO 8601 date-time such as 2025-01-31T14:00:00Z."
BAD_DATE = "Enter a date as YYYY-MM-DD, or a date-time such as 2025-01-31T14:00:00Z."
CHECKBOXES = forms.CheckboxSelectMultiple


class DateOrDateTimeField(forms.Field):
    """A date or an aware date-time; cleaned to ``(moment, whole_day)`` in UTC."""

    # Text, not a date picker: it shows back whatever was typed (a date-time too).
    widget = forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            day = parse_date(text)
            moment = None if day is not None else parse_datetime(text)
        except ValueError:  # well-formed but impossible, e.g. 2025-02-30
            raise ValidationError(BAD_DATE, code="invalid") from None
        if day is not None:
            return datetime.combine(day, time.min, tzinfo=UTC), True
        if moment is None:
            raise ValidationError(BAD_DATE, code="invalid")
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC), False
        except OverflowError:
            raise ValidationError("That date is out of range.", code="invalid") from None


class CreatedFilter(django_filters.Filter):
    """`created_after` (from that moment, or that day's start, on) or `created_before` (before
    that moment, or up to the end of that day)."""

    field_class = DateOrDateTimeField

    def __init__(self, *, before: bool, **kwargs):
        self.before = before
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        moment, whole_day = value
        if not self.before:
            return qs.filter(**{f"{self.field_name}__gte": moment})
        if whole_day:
            if moment.date() == date.max:
                return qs  # everything is before the end of time
            moment += timedelta(days=1)
        return qs.filter(**{f"{self.field_name}__lt": moment})


def created(field_name: str, *, before: bool) -> CreatedFilter:
    if before:
        help_text = "Created before this moment; a date alone includes that whole day. "
    else:
        help_text = "Created at or after this moment (a date alone: from its start). "
    schema = {"type": "string", "description": help_text + DATE_HELP}
    label = "Created before" if before else "Created after"
    return extend_schema_field(schema)(
        CreatedFilter(field_name=field_name, before=before, label=label)
    )


def event_filter(field_name: str) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        field_name=field_name, choices=EventKey.choices, label="Event", empty_label="Any event"
    )


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        # Text with a numeric keyboard: a number box would hide a typo instead of showing it.
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        super().__init__(**kwargs)


class SearchForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("created_after"), cleaned.get("created_before")
        if after and before:
            end = before[0]
            if before[1] and end.date() < date.max:  # a whole day: up to its end
                end += timedelta(days=1)
            if end <= after[0]:
                self.add_error("created_before", "Must be later than “created after”.")
        return cleaned


class AccountFilterSet(django_filters.FilterSet):
    """A FilterSet whose workflow choices are the user's (API, pages) or the account's (a job
    run on the cluster, which has no request)."""

    # Subclasses define status, event, the dates, filter_workflow and filter_customer_email.
    workflow = django_filters.ModelChoiceFilter(
        queryset=Workflow.objects.none(),
        method="filter_workflow",
        label="Workflow",
        empty_label="Any workflow",
        help_text="A workflow's id.",
    )
    order_id = IdFilter(label="Order id", help_text="A BigCommerce order id.")
    customer_email = django_filters.CharFilter(
        method="filter_customer_email",
        max_length=MAX_EMAIL_LENGTH,
        label="Customer email",
        help_text="The customer's email address (exact, case-insensitive).",
    )

    class Meta:
        form = SearchForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, account=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        workflows = Workflow.objects.order_by("name", "id")
        if user is not None:
            workflows = scope_queryset(workflows, user)
        else:
            workflows = workflows.filter(account=account)
        self.filters["workflow"].queryset = workflows


class RunFilter(AccountFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices, widget=CHECKBOXES)
    event = event_filter("workflow__event")
    created_after = created("created_at", before=False)
    created_before = created("created_at", before=True)

    delivery = IdFilter(label="Delivery id", help_text="The delivery that started the runs.")

    class Meta(AccountFilterSet.Meta):
        model = WorkflowRun
        fields = [
            "status",
            "workflow",
            "event",
            "created_after",
            "created_before",
            "order_id",
            "customer_email",
            "delivery",
        ]

    def filter_workflow(self, qs, name, value):
        return qs.filter(workflow=value) if value else qs

    def filter_customer_email(self, qs, name, value):
        return qs.filter(customer_email=normalise_email(value)) if value.strip() else qs


class DeliveryFilter(AccountFilterSet):
    """A workflow's deliveries are those of its store and event (its subscription's), run or
    not; a customer email finds the deliveries that started a run for that customer."""

    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, widget=CHECKBOXES)
    event = event_filter("subscription__event")
    origin = django_filters.ChoiceFilter(choices=DeliveryOrigin.choices, label="Origin")
    created_after = created("received_at", before=False)
    created_before = created("received_at", before=True)

    class Meta(AccountFilterSet.Meta):
        model = WebhookDelivery
        fields = [
            "status",
            "workflow",
            "event",
            "origin",
            "created_after",
            "created_before",
            "order_id",
            "customer_email",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def filter_workflow(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(
            subscription__authentication_id=value.authentication_id,
            subscription__event=value.event,
        )

    def filter_customer_email(self, qs, name, value):
        if not value.strip():
            return qs
        runs = WorkflowRun.objects.filter(
            delivery=OuterRef("pk"), customer_email=normalise_email(value)
        )
        return qs.filter(Exists(runs))


def filtered(filterset: django_filters.FilterSet) -> QuerySet | None:
    """The filtered rows, or None when a filter is invalid (the form says what is wrong)."""
    return filterset.qs if filterset.is_valid() else None
