"""Trigger filters: which deliveries of its event start a workflow at all.

A workflow's ``trigger_filter`` is checked after the delivery's one fetch and before any run
exists (``fanout.process``); a delivery it holds back creates no run for that workflow and is
counted (``FilteredDelivery``, charted on the dashboard). Config, every part optional (``{}`` lets
everything through):

- ``match`` / ``rules``: a condition in the condition steps' language (``conditions.py``);
- ``status_from`` / ``status_to``: order status ids (BigCommerce's list, ``ORDER_STATUSES``);
  for a status change its previous / new status, for other order events ``status_to`` is the
  order's status;
- ``skip_statuses``: order statuses held back (new orders incomplete, pending or awaiting
  payment, by default);
- ``channels``: channel ids (the order's, the cart's, or the one a customer signed up on).

docs/architecture.md, "Trigger filters".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from integrations.events import get_event
from integrations.merge_data import ORDER_STATUSES
from workflows.conditions import MATCH_MODES, evaluate, validate_condition

STATUS_LISTS = ("status_from", "status_to", "skip_statuses")
LISTS = (*STATUS_LISTS, "channels")
KEYS = frozenset({"match", "rules", *LISTS})
MAX_IDS = 50
MAX_STATUS_ID = 999
MAX_CHANNEL_ID = 2**31 - 1
# The brief's events have no catalog entry; their channel is in these codes.
_BRIEF_CHANNEL_CODES = {
    "cart_abandoned": "BigCommerce | Cart | channel_id",
    "cart_converted": "BigCommerce | Order | channel_id",
    "shipment_created": "BigCommerce | Order | channel_id",
}
_BRIEF_STATUS_CODES = {
    "cart_converted": "BigCommerce | Order | status_id",
    "shipment_created": "BigCommerce | Order | status_id",
}


def status_name(status_id: int) -> str:
    return f"{ORDER_STATUSES.get(status_id, 'status')} ({status_id})"


def _codes(event_key: str) -> dict[str, str]:
    """Which code each list of the filter reads for this event ("" = not offered)."""
    event = get_event(event_key)
    status = event.status_code or _BRIEF_STATUS_CODES.get(event_key, "")
    return {
        "status_from": event.status_from_code,
        "status_to": event.status_to_code or status,
        "skip_statuses": status,
        "channels": event.channel_code or _BRIEF_CHANNEL_CODES.get(event_key, ""),
    }


def options(event_key: str) -> dict[str, bool]:
    """Which parts of a filter the event offers (the settings form shows only those)."""
    codes = _codes(event_key)
    return {
        "status": bool(codes["status_to"]),
        "status_from": bool(codes["status_from"]),
        "channels": bool(codes["channels"]),
    }


def validate_filter(config: Any, event_key: str) -> dict[str, Any]:
    """The cleaned filter, or ``ValidationError`` listing every problem (each message starts
    with its field)."""
    if config in (None, ""):
        return {}
    if not isinstance(config, dict):
        raise ValidationError("A trigger filter must be an object (or {} for none).")
    errors: list[ValidationError] = []
    for key in sorted(set(config) - KEYS, key=str):
        errors.append(ValidationError(f"{key}: unknown field; a trigger filter has {_keys()}."))
    cleaned: dict[str, Any] = {}
    codes = _codes(event_key)
    for name in LISTS:
        if config.get(name) in (None, []):
            continue
        if not codes[name]:
            errors.append(ValidationError(f"{name}: the {event_key} event has no {_what(name)}."))
            continue
        ids, problem = _ids(config[name], MAX_STATUS_ID if name in STATUS_LISTS else MAX_CHANNEL_ID)
        if problem:
            errors.append(ValidationError(f"{name}: {problem}"))
        else:
            cleaned[name] = ids
    if config.get("rules"):
        condition = {"match": config.get("match", "all"), "rules": config["rules"]}
        try:
            cleaned.update(validate_condition(condition, event_key))
        except ValidationError as exc:
            errors.extend(ValidationError(message) for message in exc.messages)
    elif not isinstance(match := config.get("match", "all"), str) or match not in MATCH_MODES:
        errors.append(ValidationError("match: must be 'all' or 'any'."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _keys() -> str:
    return ", ".join(sorted(KEYS))


def _what(name: str) -> str:
    return "channel" if name == "channels" else "order status to filter on"


def _ids(value: Any, maximum: int) -> tuple[list[int], str]:
    if not isinstance(value, list):
        return [], "must be a list of ids."
    if len(value) > MAX_IDS:
        return [], f"at most {MAX_IDS} ids."
    ids = []
    for item in value:
        number = int(item) if isinstance(item, str) and item.isdigit() and item.isascii() else item
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= maximum:
            return [], f"ids are whole numbers from 0 to {maximum}."
        ids.append(number)
    return sorted(set(ids)), ""


def codes_needed(event_key: str, config: Mapping[str, Any]) -> frozenset[str]:
    """The merge codes the filter reads (so that the fetch asks for their resources)."""
    codes = _codes(event_key)
    needed = {codes[name] for name in LISTS if config.get(name) and codes[name]}
    needed |= {rule["merge_code"] for rule in config.get("rules") or () if "merge_code" in rule}
    return frozenset(needed)


def held_back(event_key: str, config: Mapping[str, Any], merge_data: Mapping[str, Any]) -> str:
    """Why the filter holds this delivery back, or "" to let it through."""
    if not config:
        return ""
    codes = _codes(event_key)
    skip = config.get("skip_statuses")
    if skip:
        status = _id(merge_data.get(codes["skip_statuses"]))
        if status in skip:
            return f"the order is {status_name(status)}, one of the statuses this workflow skips"
    for name, words in (("status_from", "changed from"), ("status_to", "is now")):
        wanted = config.get(name)
        if wanted:
            status = _id(merge_data.get(codes[name]))
            if status not in wanted:
                shown = status_name(status) if status is not None else "unknown"
                allowed = " or ".join(status_name(item) for item in wanted)
                return f"the order status {words} {shown}, not {allowed}"
    channels = config.get("channels")
    if channels:
        channel = _id(merge_data.get(codes["channels"]))
        if channel not in channels:
            allowed = ", ".join(str(item) for item in channels)
            return (
                f"channel {channel if channel is not None else 'unknown'} is not one of {allowed}"
            )
    if config.get("rules"):
        passed, detail = evaluate(config, merge_data)
        if not passed:
            return f"its conditions do not hold ({detail})"
    return ""


def _id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def describe(event_key: str, config: Mapping[str, Any]) -> str:
    """The filter in words, for the workflow's page ("" when it lets everything through)."""
    parts = []
    if config.get("skip_statuses"):
        names = ", ".join(status_name(item) for item in config["skip_statuses"])
        parts.append(f"skip orders that are {names}")
    if config.get("status_from"):
        parts.append("status changed from " + " or ".join(map(status_name, config["status_from"])))
    if config.get("status_to"):
        words = "status changed to " if get_event(event_key).status_to_code else "order status "
        parts.append(words + " or ".join(map(status_name, config["status_to"])))
    if config.get("channels"):
        parts.append("channel " + " or ".join(str(item) for item in config["channels"]))
    if config.get("rules"):
        mode = "all" if config.get("match", "all") == "all" else "any"
        parts.append(f"{mode} of {len(config['rules'])} condition(s)")
    return "; ".join(parts)
