"""Condition steps: validate their config and evaluate it against a run's merge data.

Config: ``{"match": "all"|"any", "rules": [{"merge_code", "operator", "value"}, ...]}``.

Comparison rules (decided here, documented for users):

- A value is *numeric* when it is a JSON number (not a boolean) or a string holding a plain
  decimal number (``"69.8400"``, ``"-3"``, ``".5"``; no exponents, no thousands separators).
- A value is a *date* when it is an RFC-2822 date (BigCommerce's v2: ``Tue, 20 Nov 2012
  00:00:00 +0000``) or an ISO-8601 one (v3's ``2019-06-25T17:11:12Z``, or a plain
  ``2024-05-01``); a time without an offset, and a plain date, are taken as UTC.
- ``equals`` / ``not_equals``: numeric when both sides are numeric (``"69.8400"`` equals ``69.84``),
  as instants when both are dates, otherwise case-sensitive equality of the value's text (as
  rendered: ``true``, ``[1,2]``, "").
- ``gt`` / ``gte`` / ``lt`` / ``lte``: the rule's value must be a number or a date (refused on
  save otherwise); numeric when both sides are numeric, by time when both are dates; a value of
  the other kind, or an empty one, is never greater or smaller than anything.
- ``contains`` / ``not_contains``: on a list, membership (with ``equals``); on an object, a key; on
  anything else, a substring of its text. Nothing (null) contains nothing.
- ``is_empty`` / ``is_not_empty``: empty is null, "", [] and {}.
- A rule's ``value`` is literal text; merge codes in it are not rendered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from integrations.events import MERGE_CODE_PREFIX, MERGE_CODE_SEPARATOR
from workflows.dates import as_instant, parse_date
from workflows.merge_codes import (
    format_value,
    is_offered,
    normalize_code,
    unknown_codes_error,
)

OPERATORS: dict[str, str] = {
    "equals": "equals",
    "not_equals": "does not equal",
    "contains": "contains",
    "not_contains": "does not contain",
    "gt": "is greater than",
    "gte": "is greater than or equal to",
    "lt": "is less than",
    "lte": "is less than or equal to",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
}
VALUELESS_OPERATORS = frozenset({"is_empty", "is_not_empty"})
ORDERED_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
MATCH_MODES: dict[str, str] = {"all": "all rules match", "any": "any rule matches"}
MAX_RULES = 20
MAX_VALUE_LENGTH = 1000

_CONFIG_KEYS = {"match", "rules"}
_RULE_KEYS = {"merge_code", "operator", "value"}
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def validate_condition(config: Any, event_key: str) -> dict[str, Any]:
    """Return the cleaned config, or raise ``ValidationError`` listing every problem.

    Each message starts with the field it is about (``rules[1].operator: ...``). Cleaned: ``match``
    defaults to "all", codes are normalised (brackets and spacing), values become text ("" for
    ``is_empty``/``is_not_empty``).
    """
    if not isinstance(config, dict):
        raise ValidationError("A condition must be an object with 'match' and 'rules'.")
    errors: list[ValidationError] = []
    for key in sorted(set(config) - _CONFIG_KEYS):
        errors.append(_error(key, "unknown field; a condition has 'match' and 'rules'."))

    match = config.get("match", "all")
    if not isinstance(match, str) or match not in MATCH_MODES:
        errors.append(_error("match", f"must be one of {_listing(MATCH_MODES)}."))

    rules = config.get("rules")
    cleaned_rules = []
    if not isinstance(rules, list) or not rules:
        errors.append(_error("rules", "must be a non-empty list of rules."))
    elif len(rules) > MAX_RULES:
        errors.append(_error("rules", f"at most {MAX_RULES} rules are allowed."))
    else:
        for index, rule in enumerate(rules):
            cleaned_rules.append(_clean_rule(rule, f"rules[{index}]", event_key, errors))

    if errors:
        raise ValidationError(errors)
    return {"match": match, "rules": cleaned_rules}


def _clean_rule(
    rule: Any, where: str, event_key: str, errors: list[ValidationError]
) -> dict[str, str]:
    if not isinstance(rule, dict):
        errors.append(_error(where, "must be an object with 'merge_code', 'operator', 'value'."))
        return {}
    for key in sorted(set(rule) - _RULE_KEYS):
        errors.append(_error(f"{where}.{key}", "unknown field."))

    raw_code = rule.get("merge_code")
    code = normalize_code(raw_code) if isinstance(raw_code, str) else None
    if raw_code is None or raw_code == "":
        errors.append(_error(f"{where}.merge_code", "required."))
    elif code is None:
        errors.append(
            _error(
                f"{where}.merge_code",
                "not a merge code; write it like [BigCommerce | Order | total_inc_tax].",
            )
        )
    elif not is_offered(code, event_key):
        for message in unknown_codes_error([code], event_key).messages:
            errors.append(_error(f"{where}.merge_code", message))

    operator = rule.get("operator")
    if not isinstance(operator, str):
        operator = None  # a list or object is as unknown as a misspelling
    if operator not in OPERATORS:
        errors.append(
            _error(f"{where}.operator", f"unknown operator; valid: {_listing(OPERATORS)}.")
        )

    value = rule.get("value")
    text = "" if value is None else value
    if isinstance(value, (bool, int, float)):
        text = format_value(value)  # API callers may send 50 or true for "50"/"true"
    elif value is not None and not isinstance(value, str):
        errors.append(_error(f"{where}.value", "must be text or a number."))
        text = ""
    if operator in VALUELESS_OPERATORS:
        text = ""  # ignored by these operators; don't keep a misleading value
    elif operator in OPERATORS and text == "":
        errors.append(_error(f"{where}.value", f"required for operator '{operator}'."))
    elif len(text) > MAX_VALUE_LENGTH:
        errors.append(_error(f"{where}.value", f"at most {MAX_VALUE_LENGTH} characters."))
    elif operator in ORDERED_OPERATORS and _number(text) is None and parse_date(text) is None:
        errors.append(
            _error(
                f"{where}.value",
                f"'{OPERATORS[operator]}' compares numbers or dates; write a number (50, 69.84) "
                "or a date (2024-05-01, 2024-05-01T09:00:00Z or Tue, 20 Nov 2012 00:00:00 +0000).",
            )
        )
    return {"merge_code": code or "", "operator": operator, "value": text}


def evaluate(config: Mapping[str, Any], merge_data: Mapping[str, Any]) -> tuple[bool, str]:
    """Evaluate a validated condition; return the result and a one-line explanation.

    E.g. ``(True, "All of: Order | total_inc_tax (69.8400) gt 50 → true ⇒ true")``.
    """
    match = config.get("match", "all")
    if match not in MATCH_MODES:
        raise ValueError(f"Invalid condition match {match!r}")
    outcomes, lines = [], []
    for rule in config["rules"]:
        result, line = _evaluate_rule(rule, merge_data)
        outcomes.append(result)
        lines.append(line)
    result = all(outcomes) if match == "all" else any(outcomes)
    mode = "All of" if match == "all" else "Any of"
    return result, f"{mode}: {'; '.join(lines)} ⇒ {_bool(result)}"


def _evaluate_rule(rule: Mapping[str, Any], merge_data: Mapping[str, Any]) -> tuple[bool, str]:
    code, operator = rule["merge_code"], rule["operator"]
    if operator not in OPERATORS:
        raise ValueError(f"Invalid condition operator {operator!r}")
    actual = merge_data.get(code)
    expected = format_value(rule.get("value"))
    result = _OPERATIONS[operator](actual, expected)

    label = code.removeprefix(MERGE_CODE_PREFIX + MERGE_CODE_SEPARATOR)
    shown = _shorten(format_value(actual)) if actual not in (None, "") else "empty"
    operand = "" if operator in VALUELESS_OPERATORS else f" {_shorten(expected)}"
    return result, f"{label} ({shown}) {operator}{operand} → {_bool(result)}"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value)) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip()):
        return Decimal(value.strip())
    return None


def _date(value: Any):
    moment = parse_date(value)
    return as_instant(moment) if moment is not None else None


def _equals(actual: Any, expected: str) -> bool:
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left == right
    left, right = _date(actual), _date(expected)
    if left is not None and right is not None:
        return left == right
    return format_value(actual) == expected


def _contains(actual: Any, expected: str) -> bool:
    if actual is None:
        return False
    if isinstance(actual, list):
        return any(_equals(item, expected) for item in actual)
    if isinstance(actual, dict):
        return expected in actual
    return expected in format_value(actual)


def _compare(actual: Any, expected: str) -> int | None:
    """-1, 0 or 1 comparing actual with expected; ``None`` when actual is empty or of another
    kind (a word against a number or a date)."""
    if actual is None or actual == "":
        return None
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        left, right = _date(actual), _date(expected)
    if left is None or right is None:
        if _number(expected) is not None or _date(expected) is not None:
            return None
        # A value saved before numbers-or-dates was the rule: compared as text, as then.
        left, right = format_value(actual), expected
    return (left > right) - (left < right)


def _is_empty(actual: Any) -> bool:
    return actual is None or actual in ("", [], {})


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, str], bool]:
    def operation(actual: Any, expected: str) -> bool:
        order = _compare(actual, expected)
        return order is not None and test(order)

    return operation


_OPERATIONS = {
    "equals": _equals,
    "not_equals": lambda actual, expected: not _equals(actual, expected),
    "contains": _contains,
    "not_contains": lambda actual, expected: not _contains(actual, expected),
    "gt": _ordered(lambda order: order > 0),
    "gte": _ordered(lambda order: order >= 0),
    "lt": _ordered(lambda order: order < 0),
    "lte": _ordered(lambda order: order <= 0),
    "is_empty": lambda actual, expected: _is_empty(actual),
    "is_not_empty": lambda actual, expected: not _is_empty(actual),
}


def _error(field: str, message: str) -> ValidationError:
    # "%" in user-supplied text must not be taken for a format placeholder: keep it in params.
    return ValidationError("%(field)s: %(message)s", params={"field": field, "message": message})


def _listing(options: Mapping[str, str]) -> str:
    return ", ".join(options)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bool(value: bool) -> str:
    return "true" if value else "false"
