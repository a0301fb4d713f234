"""Consent, from BigCommerce's own fields in the run's merge data.

- A registered customer of the cart events: the v2 customer's ``accepts_marketing``.
- A registered customer of a shipment: the v3 customer's
  ``accepts_product_review_abandoned_cart_emails``.
- A registered customer of the catalog's events (new orders, status changes, refunds, new
  customers): the v2 customer's ``accepts_marketing``, as ``events_catalog.json`` names it.
- A guest (``customer_id`` 0): the order's ``is_email_opt_in``; an abandoned cart of a guest
  has no such field, so a guest cart never consents.

Only ``true`` is consent: a missing customer, ``null`` or any other value is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from integrations.events import EVENTS, EventKey

CODE = "BigCommerce | {} | {}".format


@dataclass(frozen=True)
class ConsentRule:
    customer_id: str  # the code holding the customer id (0 = guest)
    registered: str  # the code saying a registered customer accepts these emails
    guest: str | None  # the code saying a guest opted in, if the event has one


RULES = {
    EventKey.CART_ABANDONED: ConsentRule(
        CODE("Cart", "customer_id"), CODE("Customer", "accepts_marketing"), None
    ),
    EventKey.CART_CONVERTED: ConsentRule(
        CODE("Order", "customer_id"),
        CODE("Customer", "accepts_marketing"),
        CODE("Order", "is_email_opt_in"),
    ),
    EventKey.SHIPMENT_CREATED: ConsentRule(
        CODE("Order", "customer_id"),
        CODE("Customer", "accepts_product_review_abandoned_cart_emails"),
        CODE("Order", "is_email_opt_in"),
    ),
}


# The catalog's events name their codes (events_catalog.json, "consent").
RULES.update({key: ConsentRule(**event.consent) for key, event in EVENTS.items() if event.consent})


def consent(event_key: str, merge_data: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether BigCommerce says the run's customer accepts these emails, and why (words for
    the step log)."""
    rule = RULES[EventKey(event_key)]
    if _is_guest(merge_data.get(rule.customer_id)):
        if rule.guest is None:
            return False, "a guest's cart carries no email opt-in"
        if merge_data.get(rule.guest) is True:
            return True, f"the guest opted in ({_field(rule.guest)} is true)"
        return False, f"the guest did not opt in ({_field(rule.guest)} is not true)"
    if merge_data.get(rule.registered) is True:
        return True, f"the customer accepts them ({_field(rule.registered)} is true)"
    return False, f"the customer does not accept them ({_field(rule.registered)} is not true)"


def _is_guest(customer_id: Any) -> bool:
    if isinstance(customer_id, bool):
        return True
    if isinstance(customer_id, str) and customer_id.strip().isdigit():
        customer_id = int(customer_id)
    return not isinstance(customer_id, int) or customer_id <= 0


def _field(code: str) -> str:
    return code.rsplit(" | ", 1)[1]
