"""One form per step type. The forms only shape input into a step config; the rules are
``workflows.steps.registry.validate_step``'s, and its messages land next to the right field."""

from __future__ import annotations

import contextlib
import re
from typing import ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from integrations.events import get_event
from workflows.conditions import MATCH_MODES, MAX_RULES, OPERATORS
from workflows.merge_codes import offered_codes
from workflows.sending.window import WEEKDAY_NAMES
from workflows.steps.delay import UNITS
from workflows.steps.http_request import METHODS
from workflows.steps.registry import STEP_KINDS, validate_step
from workflows.steps.send_email import FORMATS
from workflows.ui.presenters import merge_code_groups

PREFIX = "step"
MERGE_TARGET = {"data-merge-target": ""}  # the merge-code picker inserts into these
_RULE_ERROR_RE = re.compile(r"^rules\[(\d+)\]\.(\w+): (.*)$", re.DOTALL)
_CONDITION_ERROR_RE = re.compile(r"^(match|rules): (.*)$", re.DOTALL)
IF_ELSE = STEP_KINDS["if_else"]
_VALID_CODES_MARK = " Valid codes: "


def short_message(message: str) -> str:
    """Validation messages list every valid code; the page lists them already."""
    if _VALID_CODES_MARK in message:
        message = message.split(_VALID_CODES_MARK, 1)[0]
        message += " The codes this event offers are listed under “Merge codes”."
    return message[:1:].upper() + message[1:]


def _text(label, help_text="", **attrs):
    widget = forms.TextInput(attrs={**MERGE_TARGET, **attrs})
    return forms.CharField(
        label=label, required=False, strip=False, widget=widget, help_text=help_text
    )


def _area(label, help_text="", rows=6):
    widget = forms.Textarea(attrs={**MERGE_TARGET, "rows": rows})
    return forms.CharField(
        label=label, required=False, strip=False, widget=widget, help_text=help_text
    )


class StepForm(forms.Form):
    """Base: ``config`` is the cleaned config after ``is_valid()``."""

    step_type: ClassVar[str]

    def __init__(self, data=None, *, event_key: str, config: dict | None = None, account_id=None):
        self.event_key = event_key
        self.account_id = account_id  # for forms that offer the account's records (surveys)
        self.config: dict | None = None
        initial = self.initial_from(config) if config else None
        super().__init__(data, initial=initial, prefix=PREFIX, label_suffix="")

    @property
    def label(self) -> str:
        return STEP_KINDS[self.step_type].label

    def initial_from(self, config: dict) -> dict:
        return dict(config)

    def to_config(self, cleaned: dict) -> dict:
        raise NotImplementedError

    def field_for(self, key: str) -> str | None:
        return key if key in self.fields else None

    def clean(self):
        cleaned = super().clean()
        try:
            self.config = validate_step(self.step_type, self.to_config(cleaned), self.event_key)
        except ValidationError as exc:
            self.add_config_errors(exc)
        return cleaned

    def add_config_errors(self, exc: ValidationError) -> None:
        problems = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc}
        for key, messages in problems.items():
            field = self.field_for(key)
            if field is not None and field in self._errors:
                continue  # the form already said what is wrong with this field
            for message in messages:
                self.add_error(field, short_message(message))


class SendEmailForm(StepForm):
    step_type = "send_email"
    to = _text(
        "To",
        "An address or a merge code such as [BigCommerce | Customer | email]; separate "
        "several with commas. Fallbacks for guests: [BigCommerce | Customer | email] or "
        "[BigCommerce | Order | billing_address | email] (the first that is not empty).",
    )
    subject = _text("Subject")
    body = _area("Body", rows=8)
    format = forms.ChoiceField(
        label="Body format",
        choices=[(f, f.upper() if f == "html" else "Plain text") for f in FORMATS],
        help_text=(
            "In HTML, merge-code values are escaped; a value that starts a link (href, src) must "
            "be an https://, http://, mailto: or tel: address, else the link is left empty."
        ),
    )

    def to_config(self, cleaned):
        return {k: cleaned.get(k) or "" for k in ("to", "subject", "body", "format")}


class HttpRequestForm(StepForm):
    step_type = "http_request"
    method = forms.ChoiceField(label="Method", choices=[(m, m) for m in METHODS], initial="POST")
    url = _text(
        "URL",
        "https:// only; merge codes may appear after the host (URL-encoded).",
        inputmode="url",
    )
    headers = _area("Headers", "One per line, as Name: value.", rows=3)
    body = _area("Body", "Leave empty to send the run's merge data as JSON.", rows=6)

    def initial_from(self, config):
        headers = config.get("headers") or {}
        lines = "\n".join(f"{name}: {value}" for name, value in headers.items())
        return {**config, "headers": lines}

    def clean_headers(self) -> dict:
        headers = {}
        for number, line in enumerate(self.cleaned_data["headers"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise ValidationError(
                    "Line %(n)s: write each header as Name: value.", params={"n": number}
                )
            headers[name.strip()] = value.strip()
        return headers

    def to_config(self, cleaned):
        return {
            "method": cleaned.get("method") or "POST",
            "url": (cleaned.get("url") or "").strip(),
            "headers": cleaned.get("headers") or {},
            "body": cleaned.get("body") or "",
        }


class DelayForm(StepForm):
    step_type = "delay"
    amount = forms.IntegerField(label="Wait for", required=False, min_value=1)
    unit = forms.ChoiceField(label="Unit", choices=[(u, u) for u in UNITS], initial="days")

    then_weekdays = forms.MultipleChoiceField(
        label="Then until the next",
        choices=list(enumerate(WEEKDAY_NAMES)),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Optional: after the wait, go on until one of these weekdays (store time)…",
    )
    then_time = forms.CharField(
        label="at (HH:MM, store time)", required=False, max_length=5, help_text="e.g. 10:00"
    )

    def initial_from(self, config):
        return {**config, "then_weekdays": list(config.get("then_weekdays") or "")}

    def to_config(self, cleaned):
        config = {"amount": cleaned.get("amount"), "unit": cleaned.get("unit")}
        days = "".join(sorted(cleaned.get("then_weekdays") or []))
        if days or cleaned.get("then_time"):
            config.update(then_weekdays=days, then_time=(cleaned.get("then_time") or "").strip())
        return config


class ConditionForm(StepForm):
    """``match`` plus rows of (merge code, operator, value); blank rows are ignored."""

    step_type = "condition"
    match = forms.ChoiceField(
        label="Continue when", choices=[(k, v) for k, v in MATCH_MODES.items()]
    )
    rule_rows = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_RULES)

    def __init__(self, data=None, *, event_key, config=None, account_id=None):
        rules = (config or {}).get("rules") or []
        rows = min(MAX_RULES, max(3, len(rules) + 2))
        if data is not None:
            with contextlib.suppress(TypeError, ValueError):
                rows = min(MAX_RULES, max(1, int(data.get(f"{PREFIX}-rule_rows", rows))))
        super().__init__(data, event_key=event_key, config=config, account_id=account_id)
        self.fields["rule_rows"].initial = rows
        event = get_event(event_key)
        codes = [("", "— merge code —"), *merge_code_groups(event, offered_codes(event_key))]
        operators = list(OPERATORS.items())
        for i in range(rows):
            self.fields[f"rule_{i}_merge_code"] = forms.ChoiceField(
                label=f"Rule {i + 1}: merge code", choices=codes, required=False
            )
            self.fields[f"rule_{i}_operator"] = forms.ChoiceField(
                label=f"Rule {i + 1}: operator", choices=operators, required=False
            )
            self.fields[f"rule_{i}_value"] = forms.CharField(
                label=f"Rule {i + 1}: value",
                required=False,
                strip=False,
                widget=forms.TextInput(attrs=MERGE_TARGET),
            )
        self.rows = range(rows)
        self._used_rows: list[int] = []

    def initial_from(self, config):
        initial = {"match": config.get("match", "all")}
        for i, rule in enumerate(config.get("rules") or []):
            initial[f"rule_{i}_merge_code"] = rule.get("merge_code", "")
            initial[f"rule_{i}_operator"] = rule.get("operator", "equals")
            initial[f"rule_{i}_value"] = rule.get("value", "")
        return initial

    def rule_fields(self):
        """``[(merge_code, operator, value) bound fields]`` per row, for the template."""
        return [
            (self[f"rule_{i}_merge_code"], self[f"rule_{i}_operator"], self[f"rule_{i}_value"])
            for i in self.rows
        ]

    def to_config(self, cleaned):
        rules, self._used_rows = [], []
        for i in self.rows:
            code = cleaned.get(f"rule_{i}_merge_code") or ""
            value = cleaned.get(f"rule_{i}_value") or ""
            if not code and not value.strip():
                continue
            self._used_rows.append(i)
            rules.append(
                {
                    "merge_code": code,
                    "operator": cleaned.get(f"rule_{i}_operator") or "equals",
                    "value": value,
                }
            )
        return {"match": cleaned.get("match") or "all", "rules": rules}

    def add_config_errors(self, exc):
        problems = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc}
        for key, messages in problems.items():
            for message in messages:
                field, text = self._locate(key, message)
                self.add_error(field, short_message(text))

    def _locate(self, key: str, message: str) -> tuple[str | None, str]:
        found = _RULE_ERROR_RE.match(message)
        if found and int(found.group(1)) < len(self._used_rows):
            row = self._used_rows[int(found.group(1))]
            field = f"rule_{row}_{found.group(2)}"
            if field in self.fields:
                return field, found.group(3)
        if key == "rules" and message.startswith("must be a non-empty"):
            return None, "Add at least one rule: pick a merge code, an operator and a value."
        return self.field_for(key) if key != "rules" else None, message


class IfElseForm(ConditionForm):
    """An If / else's condition; its branches' steps are kept as they are (the workflow page
    edits them, step by step)."""

    step_type = "if_else"

    def __init__(self, data=None, *, event_key, config=None, account_id=None):
        config = config or {}
        self.branches = {name: list(config.get(name) or []) for name in IF_ELSE.branches}
        condition = config.get("condition") or None
        super().__init__(data, event_key=event_key, config=condition, account_id=account_id)
        self.fields["match"].label = "Take “then” when"

    def to_config(self, cleaned):
        return {"condition": super().to_config(cleaned), **self.branches}

    def _locate(self, key: str, message: str) -> tuple[str | None, str]:
        if key in self.branches:
            return None, f"“{key}” branch: {message}"
        found = _CONDITION_ERROR_RE.match(message) if key == "condition" else None
        if found:
            return super()._locate(found.group(1), found.group(2))
        return super()._locate("rules" if key == "condition" else key, message)


STEP_FORMS: dict[str, type[StepForm]] = {
    form.step_type: form
    for form in (ConditionForm, SendEmailForm, HttpRequestForm, DelayForm, IfElseForm)
}
