"""Validation of a list of steps against a set of step kinds: a workflow's own steps, or the
steps of an If / else branch (the same rules, with the kinds a branch may hold)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from .base import StepKind


class StepsValidationError(ValidationError):
    """Problems in a step list.

    As a Django ``ValidationError`` it is ``{"steps": ["Step 3 (Send email) · to: ...", ...]}``
    (what a form or DRF shows as is). ``by_index`` keeps the structure: ``{2: {"config":
    {"to": [...]}}}`` or ``{0: {"type": [...]}}``; ``as_list()`` gives DRF's list-serializer
    shape, one dict per submitted step (``{}`` for the valid ones).
    """

    def __init__(self, by_index: dict[int, dict[str, Any]], labels: dict[int, str], count: int):
        self.by_index = by_index
        self.labels = labels
        self.count = count
        super().__init__(
            {"steps": [ValidationError("%(m)s", params={"m": m}) for m in self.lines()]}
        )

    def lines(self) -> list[str]:
        """One message per problem: ``Step 3 (Send email) · to: this field is required.``"""
        messages = []
        for index, problems in sorted(self.by_index.items()):
            label = self.labels.get(index)
            prefix = f"Step {index + 1}" + (f" ({label})" if label else "")
            for where, text in _flatten(problems):
                messages.append(f"{prefix} · {where}: {text}" if where else f"{prefix}: {text}")
        return messages

    def as_list(self) -> list[dict[str, Any]]:
        return [self.by_index.get(index, {}) for index in range(self.count)]


def kind_in(kinds: Mapping[str, StepKind], step_type: Any) -> StepKind:
    """The kind for ``step_type`` among ``kinds``; ``ValidationError`` if it is not one."""
    kind = kinds.get(step_type) if isinstance(step_type, str) else None
    if kind is None:
        raise ValidationError(
            "Unknown step type %(type)s; valid types: %(valid)s.",
            code="invalid_step_type",
            params={"type": repr(step_type), "valid": ", ".join(kinds)},
        )
    return kind


def validate_list(
    steps: list,
    event_key: str,
    kinds: Mapping[str, StepKind],
    refused: Mapping[str, str] | None = None,
) -> list[dict]:
    """``[{"type", "config"}, ...]`` -> the same, cleaned, in order; ``StepsValidationError``
    naming each bad step. ``refused`` maps a step type to why it can't be in this list."""
    cleaned: list[dict] = []
    errors: dict[int, dict[str, Any]] = {}
    labels: dict[int, str] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            errors[index] = {NON_FIELD_ERRORS: ["must be an object with 'type' and 'config'."]}
            continue
        step_type = step.get("type")
        if refused and isinstance(step_type, str) and step_type in refused:
            errors[index] = {"type": [refused[step_type]]}
            continue
        try:
            kind = kind_in(kinds, step_type)
        except ValidationError as exc:
            errors[index] = {"type": exc.messages}
            continue
        labels[index] = kind.label
        problems = unstorable_fields(step.get("config"), keys_only=True)
        if problems:
            errors[index] = {"config": problems}
            continue
        try:
            config = kind.validate(step.get("config"), event_key)
        except ValidationError as exc:
            errors[index] = {"config": _by_field(exc)}
            continue
        problems = unstorable_fields(config)
        if problems:
            errors[index] = {"config": problems}
            continue
        cleaned.append({"type": kind.type, "config": config})
    if errors:
        raise StepsValidationError(errors, labels, len(steps))
    return cleaned


def unstorable_fields(config: Any, *, keys_only: bool = False) -> dict[str, list[str]]:
    """Text the database would refuse, by top-level config field: NUL and lone surrogates are
    valid in JSON strings but not in PostgreSQL's jsonb, nor in UTF-8. Messages name the path
    (``rules[0].value``) and never echo the text itself. `keys_only` checks just the keys — run
    before a kind's own validation, whose messages may quote an unknown key."""
    problems: dict[str, list[str]] = {}
    for path, problem in _walk_text(config, "", keys_only):
        field = path.split(".", 1)[0].split("[", 1)[0] or NON_FIELD_ERRORS
        problems.setdefault(field, []).append(f"{path}: {problem}" if path else problem)
    return problems


def _walk_text(value: Any, path: str, keys_only: bool, depth: int = 0):
    if depth > 20:
        yield path, "is nested too deeply."
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key) if isinstance(key, str) else None
            if problem:
                yield path, f"a key {problem}"
                continue
            yield from _walk_text(item, f"{path}.{key}" if path else str(key), keys_only, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_text(item, f"{path}[{index}]", keys_only, depth + 1)
    elif isinstance(value, str) and not keys_only:
        problem = _text_problem(value)
        if problem:
            yield path, problem


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain NUL characters (\\u0000)."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain unpaired surrogates (\\ud800-\\udfff); use valid Unicode."
    return None


def _by_field(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}


def _flatten(problems: dict[str, Any]) -> list[tuple[str, str]]:
    """``{"config": {"to": ["m"]}}`` -> ``[("to", "m")]``; ``{"type": ["m"]}`` -> same shape."""
    flat = []
    for key, value in problems.items():
        if isinstance(value, dict):
            for field, messages in value.items():
                where = "" if field == NON_FIELD_ERRORS else field
                flat.extend((where, message) for message in messages)
        else:
            where = "" if key == NON_FIELD_ERRORS else key
            flat.extend((where, message) for message in value)
    return flat
