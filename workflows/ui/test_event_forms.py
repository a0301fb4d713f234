"""The forms that pick the data of a test event or an email preview: sample data (a registered
customer or a guest checkout) or one of the workflow's recent real events."""

from __future__ import annotations

from django import forms

from workflows import test_data


class EventDataField(forms.ChoiceField):
    """A choice of ``test_data.choices``; cleaned to (TestData value, run id or None)."""

    def clean(self, value):
        return test_data.parse_choice(super().clean(value))


class TestEventForm(forms.Form):
    data = EventDataField(label="Data", help_text="Sample data, or a recent real event's data.")
    send_http = forms.BooleanField(
        label="Send HTTP requests",
        required=False,
        help_text="Off: HTTP steps are not sent; the run shows each as “not sent in a test”.",
    )

    def __init__(self, *args, workflow, runs=None, **kwargs):
        super().__init__(*args, prefix="test", label_suffix="", **kwargs)
        self.fields["data"].choices = test_data.choices(workflow, runs)


class PreviewDataForm(forms.Form):
    data = EventDataField(label="Preview with")

    def __init__(self, *args, workflow, runs=None, **kwargs):
        super().__init__(*args, prefix="preview", label_suffix="", **kwargs)
        choices = test_data.choices(workflow, runs)
        self.fields["data"].choices = choices
        if len(choices) > 2:
            self.fields["data"].initial = choices[2][0]  # the latest real event
