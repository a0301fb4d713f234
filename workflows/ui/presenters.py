"""Read-only views of workflows for templates: step summaries, subscription status, values."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.events import MERGE_CODE_PREFIX, MERGE_CODE_SEPARATOR
from integrations.merge_data import ALL, build_merge_data
from integrations.models import SubscriptionStatus
from integrations.sample_data import sample_resources
from integrations.subscriptions import registration_problem, webhook_url
from workflows.conditions import MATCH_MODES, OPERATORS, VALUELESS_OPERATORS
from workflows.merge_codes import FILTERS, format_value, group_of, offered_codes
from workflows.models import WorkflowRun
from workflows.sending.window import SendWindow, weekdays_text
from workflows.steps.delay import describe
from workflows.steps.registry import STEP_KINDS

_PREFIX = MERGE_CODE_PREFIX + MERGE_CODE_SEPARATOR


def short_code(code: str) -> str:
    """``BigCommerce | Order | id`` -> ``Order | id``."""
    return code.removeprefix(_PREFIX)


def merge_code_groups(event, codes=None) -> list[tuple[str, list[tuple[str, str]]]]:
    """``[("Customer", [(code, "Customer | email"), ...]), ("Order", ...)]``, event order
    (``codes``: these instead of the event's own)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in event.merge_codes if codes is None else codes:
        label = short_code(code)
        groups.setdefault(label.split(MERGE_CODE_SEPARATOR, 1)[0], []).append((code, label))
    return list(groups.items())


@dataclass(frozen=True)
class PickerCode:
    code: str  # BigCommerce | Order | id
    short: str  # Order | id
    label: str  # Order id
    value: str  # its value in the latest run (or the sample), shortened; "" when empty
    from_sample: bool


@dataclass(frozen=True)
class Picker:
    groups: list[tuple[str, list[PickerCode]]]
    count: int
    source: str  # where the values come from, in words
    formats: list[tuple[str, str]]  # (example, what it does)
    format_options: list[tuple[str, str]]  # (what is inserted after the code, what it does)


def picker(workflow, event) -> Picker:
    """The merge-code picker: every code the workflow may use, with a friendly label and the
    value it had in the workflow's latest delivery run (the sample data's where that run has
    none)."""
    latest = (
        WorkflowRun.objects.filter(workflow=workflow, is_test=False, delivery__isnull=False)
        .order_by("-created_at", "-id")
        .only("pk", "merge_data", "created_at")
        .first()
    )
    real = latest.merge_data if latest is not None else {}
    sample = build_merge_data(event.key, sample_resources(event.key), ALL)
    codes = offered_codes(event.key)
    groups: dict[str, list[PickerCode]] = {}
    for code in codes:
        group = group_of(code)
        from_sample = code not in real
        value = sample.get(code) if from_sample else real[code]
        if from_sample and code not in sample and group is not None and group.sample:
            value = group.sample(code)
        short = short_code(code)
        entry = PickerCode(
            code,
            short,
            group.label(code) if group is not None else short,
            _clip(format_value(value), 60) if value not in (None, "") else "",
            from_sample,
        )
        groups.setdefault(short.split(MERGE_CODE_SEPARATOR, 1)[0], []).append(entry)
    if latest is not None:
        source = f"Values from run #{latest.pk} (the latest event), else from sample data."
    else:
        source = "Values from sample data: no event has run this workflow yet."
    formats = [(spec.example, spec.help) for spec in FILTERS.values()]
    options = [
        (variant, spec.help) for spec in FILTERS.values() for variant in spec.example.split(" or ")
    ]
    return Picker(list(groups.items()), len(codes), source, formats, options)


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_summary(step_type: str, config: dict) -> str:
    """One line saying what a step does."""
    if step_type == "condition":
        return f"Continue when {_condition_text(config)}"
    if step_type == "if_else":
        counts = [_count(config.get(branch)) for branch in ("then", "else")]
        condition = _condition_text(config.get("condition") or {})
        return f"If {condition} — then {counts[0]}, else {counts[1]}"
    if step_type == "send_email":
        return f"To {_clip(config.get('to'), 60)} · “{_clip(config.get('subject'), 60)}”"
    if step_type == "http_request":
        return f"{config.get('method', 'POST')} {_clip(config.get('url'), 80)}"
    if step_type == "delay":
        text = f"Wait {describe(config.get('amount'), config.get('unit', 'days'))}"
        if config.get("then_time"):
            days = weekdays_text(config.get("then_weekdays") or "")
            text += f", then until the next {days} at {config['then_time']} (store time)"
        return text
    kind = STEP_KINDS.get(step_type)
    return kind.summary(config) if kind is not None else ""


def _condition_text(config: dict) -> str:
    """``all rules match: Order | total_inc_tax is greater than “50”``."""
    rules = []
    for rule in config.get("rules") or []:
        operator = rule.get("operator", "")
        value = "" if operator in VALUELESS_OPERATORS else f" “{_clip(rule.get('value'), 30)}”"
        rules.append(f"{short_code(rule.get('merge_code', ''))} {OPERATORS.get(operator)}{value}")
    return f"{MATCH_MODES.get(config.get('match'), '')}: " + "; ".join(rules)


def _count(steps) -> str:
    count = len(steps or [])
    return "no step" if count == 0 else f"{count} step" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class SubscriptionView:
    url: str | None
    status: str
    status_label: str
    detail: str
    last_healthy_at: object


def subscription_view(sub) -> SubscriptionView:
    """The webhook URL, its status and why it is not registered (if it is not)."""
    url = webhook_url(sub)
    detail = sub.status_detail
    if sub.status != SubscriptionStatus.REGISTERED and not detail:
        detail = registration_problem(url) or (
            "Activate the workflow to register this webhook with BigCommerce."
        )
    return SubscriptionView(url, sub.status, sub.get_status_display(), detail, sub.last_healthy_at)


def value_text(value) -> str:
    """A merge-data value as the steps would render it (null shown by the template)."""
    return format_value(value)


def send_window_text(workflow) -> str:
    """``Mon–Fri 09:00–17:00 store time (America/Chicago)``; "" when it has none."""
    window = SendWindow.of(workflow)
    if window is None:
        return ""
    zone = workflow.authentication.timezone or "time zone not read yet: UTC"
    return f"{window.describe()} ({zone})"
