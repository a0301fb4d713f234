"""Parse and validate one BigCommerce webhook body.

BigCommerce's payloads are thin and their types drift between its docs and real deliveries
(``store_id`` and ``orderId`` as number or string, ``created_at`` or ``data.token`` missing), so
this module is lenient about those and strict about everything that later becomes part of an API
URL (cart, order and shipment ids) or a unique key (``hash``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from initiator_site import json_input
from integrations.events import EVENTS, EventKey, event_for_scope

MAX_HASH_LENGTH = 128
MAX_ID = 2**63 - 1  # fits a signed 64-bit column
MAX_STORE_ID_LENGTH = 64

_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_PRODUCER_RE = re.compile(r"stores/([A-Za-z0-9_-]{1,64})")
_DIGITS_RE = re.compile(r"[0-9]{1,19}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class PayloadError(ValueError):
    """A webhook body we refuse; ``str(error)`` says what is wrong and is safe to put in a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DeliveryPayload:
    """The parts of a valid webhook body the rest of the app needs."""

    event_key: str
    scope: str
    store_hash: str
    hash: str  # BigCommerce's id of this delivery; duplicates share it
    created_at: int | None
    cart_id: str | None  # lower-case UUID (cart events)
    order_id: int | None  # cart_converted, shipment_created
    shipment_id: int | None  # shipment_created
    raw: dict = field(hash=False, repr=False)
    # A catalog event's body fields, normalised (``order_id``, ``new_status_id``, ...): the
    # "webhook" resource of its merge codes and fetch plan.
    fields: dict = field(default_factory=dict, hash=False)

    @property
    def resource_key(self) -> str:
        """The event's scope and resource: one shipment created, one cart converted (whoever
        stored it: the receiver or a backfill). Empty for abandoned carts, which can happen
        to one cart again."""
        return resource_key(self.event_key, self.scope, self.cart_id, self.shipment_id)


def resource_key(event_key: str, scope: str, cart_id: str | None, shipment_id: int | None) -> str:
    if event_key == EventKey.SHIPMENT_CREATED and shipment_id:
        return f"{scope}:{shipment_id}"
    if event_key == EventKey.CART_CONVERTED and cart_id:
        return f"{scope}:{cart_id.lower()}"
    return ""


def parse_delivery(
    body: bytes, *, expected_scope: str, expected_store_hash: str
) -> DeliveryPayload:
    """Parse ``body`` for a subscription to ``expected_scope`` on ``expected_store_hash``.

    Raises ``PayloadError`` for any body that is not a well-formed delivery for that subscription.
    ``expected_scope`` must be a known event scope (it comes from our own subscription).
    """
    event = event_for_scope(expected_scope)
    if event is None:
        raise ValueError(f"Not a BigCommerce event scope: {expected_scope!r}")

    raw = _load_json(body)
    scope = _required_str(raw, "scope")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise PayloadError(_missing_or_wrong(raw, "data", "a JSON object"))
    hash_ = _parse_hash(raw)
    producer = _required_str(raw, "producer")
    _check_store_id(raw.get("store_id"))
    created_at = _optional_timestamp(raw.get("created_at"))
    token = data.get("token")
    if token is not None and not isinstance(token, str):
        raise PayloadError("Field 'data.token' must be a string when present.")

    if scope != expected_scope:
        raise PayloadError(
            f"Scope {_show(scope)} does not match this subscription, which expects "
            f"'{expected_scope}'."
        )
    match = _PRODUCER_RE.fullmatch(producer)
    if match is None:
        raise PayloadError("Field 'producer' must look like 'stores/{store_hash}'.")
    if match.group(1) != expected_store_hash:
        raise PayloadError(f"Producer {_show(producer)} does not match this subscription's store.")

    cart_id = order_id = shipment_id = None
    if event.key in (EventKey.CART_ABANDONED, EventKey.CART_CONVERTED):
        cart_id = _uuid(data.get("id"), "data.id")
    if event.key in (EventKey.CART_CONVERTED, EventKey.SHIPMENT_CREATED):
        order_id = _positive_int(data.get("orderId"), "data.orderId")
    if event.key == EventKey.SHIPMENT_CREATED:
        shipment_id = _positive_int(data.get("id"), "data.id")
    fields = {name: _field(data, name, path) for name, path in event.payload}
    if "order_id" in fields:
        order_id = fields["order_id"]

    return DeliveryPayload(
        event_key=event.key,
        scope=scope,
        store_hash=expected_store_hash,
        hash=hash_,
        created_at=created_at,
        cart_id=cart_id,
        order_id=order_id,
        shipment_id=shipment_id,
        raw=raw,
        fields=fields,
    )


# How each body field of a catalog event (events_catalog.json's "payload") is checked: ids
# that become part of an API URL are positive integers; status ids may be 0 ("Incomplete");
# the channels are optional. Numbers may come as strings of digits, as for the brief's events.
MAX_CHANNELS = 100
_REQUIRED_IDS = {"order_id", "customer_id", "refund_id"}
_STATUS_IDS = {"previous_status_id", "new_status_id"}
_OPTIONAL_CHANNEL = "origin_channel_id"
_CHANNEL_LIST = "channel_ids"


def _field(data: dict, name: str, path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    where = f"data.{path}"
    if name in _REQUIRED_IDS:
        return _positive_int(value, where)
    if name in _STATUS_IDS:
        number = _as_int(value)
        if number is None or not 0 <= number <= 999:
            raise PayloadError(
                f"Field '{where}' must be an order status id (0 to 999), got {_got(value)}."
            )
        return number
    if name == _OPTIONAL_CHANNEL:
        number = None if value is None else _as_int(value)
        if value is not None and (number is None or number < 0):
            raise PayloadError(f"Field '{where}' must be a channel id when present.")
        return number
    if name == _CHANNEL_LIST:
        if value is None:
            return None
        numbers = [_as_int(item) for item in value] if isinstance(value, list) else None
        if (
            numbers is None
            or len(numbers) > MAX_CHANNELS
            or any(n is None or n < 0 for n in numbers)
        ):
            raise PayloadError(
                f"Field '{where}' must be a list of at most {MAX_CHANNELS} channel ids "
                "when present."
            )
        return numbers
    raise RuntimeError(f"events_catalog.json names an unknown body field {name!r}")


def _load_json(body: bytes) -> dict[str, Any]:
    # Bounded in size and depth; NaN/Infinity and numbers beyond a float are refused, so no
    # float sneaks into ids. UTF-8 only: given bytes, json.loads would guess UTF-16/32 from NULs.
    try:
        value = json_input.loads(body, max_bytes=_max_body_bytes(), what="Body")
    except json_input.JSONInputError as exc:
        if exc.kind in (json_input.DEPTH, json_input.SIZE):
            raise PayloadError(exc.message) from None
        raise PayloadError("Body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise PayloadError("Body must be a JSON object.")
    return value


def _max_body_bytes() -> int:
    from django.conf import settings

    return settings.WEBHOOK_MAX_BODY_BYTES


def _missing_or_wrong(obj: dict, name: str, kind: str) -> str:
    if obj.get(name) is None:
        return f"Field '{name}' is required."
    return f"Field '{name}' must be {kind}."


def _required_str(obj: dict, name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise PayloadError(_missing_or_wrong(obj, name, "a string"))
    return value


def _parse_hash(raw: dict) -> str:
    value = _required_str(raw, "hash")
    if not value.strip():
        raise PayloadError("Field 'hash' must not be empty.")
    if len(value) > MAX_HASH_LENGTH:
        raise PayloadError(f"Field 'hash' must be at most {MAX_HASH_LENGTH} characters.")
    if _CONTROL_RE.search(value):
        raise PayloadError("Field 'hash' must not contain control characters.")
    try:
        value.encode("utf-8")  # a lone surrogate (\ud800) is valid JSON but no storable text
    except UnicodeEncodeError:
        raise PayloadError("Field 'hash' must be valid Unicode text.") from None
    return value


def _check_store_id(value: Any) -> None:
    # Documented as a string, sent as a number by some stores; we key on the producer instead.
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PayloadError("Field 'store_id' must be a number or a string.")
    if isinstance(value, str) and len(value) > MAX_STORE_ID_LENGTH:
        raise PayloadError(f"Field 'store_id' must be at most {MAX_STORE_ID_LENGTH} characters.")


def _optional_timestamp(value: Any) -> int | None:
    if value is None:
        return None
    number = _as_int(value)
    if number is None or number < 0:
        raise PayloadError("Field 'created_at' must be a Unix timestamp (whole seconds).")
    return number


def _uuid(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _UUID_RE.fullmatch(value):
        raise PayloadError(f"Field '{name}' must be a cart id (a UUID string), got {_got(value)}.")
    return value.lower()


def _positive_int(value: Any, name: str) -> int:
    number = _as_int(value)
    if number is None or number <= 0:
        raise PayloadError(
            f"Field '{name}' must be a positive integer (a number or a string of digits), "
            f"got {_got(value)}."
        )
    return number


def _as_int(value: Any) -> int | None:
    """An int from a JSON int, a whole float or a string of digits; ``None`` otherwise."""
    if isinstance(value, bool):  # bool is an int subclass; True is not an id
        return None
    whole_float = isinstance(value, float) and value.is_integer()
    digits = isinstance(value, str) and _DIGITS_RE.fullmatch(value) is not None
    if isinstance(value, int) or whole_float or digits:
        number = int(value)
    else:
        return None
    return number if -MAX_ID <= number <= MAX_ID else None


def _got(value: Any) -> str:
    """Describe a bad value for an error message without echoing much of it."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (missing or null)"
    text = json.dumps(value)  # ASCII-only, so safe to echo
    return text if len(text) <= 40 else text[:40] + "..."


def _show(value: str, limit: int = 80) -> str:
    """Quote untrusted text for an error message, shortened."""
    return ascii(value if len(value) <= limit else value[:limit] + "...")


_KNOWN_FIELDS = _REQUIRED_IDS | _STATUS_IDS | {_OPTIONAL_CHANNEL, _CHANNEL_LIST}
_unknown_fields = {
    name for event in EVENTS.values() for name, _path in event.payload
} - _KNOWN_FIELDS
if _unknown_fields:  # fail at import rather than with a half-working catalog
    raise RuntimeError(f"events_catalog.json names unknown body fields: {_unknown_fields}")
