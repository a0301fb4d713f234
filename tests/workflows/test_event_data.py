"""Event data for real jobs: the extra codes cost calls only when a workflow uses them, once
per delivery; formats and recipient fallbacks reach the email a customer gets."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations.models import BigCommerceAuthentication
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body, event_resource_id
from workflows.models import Step, WorkflowRun

pytestmark = pytest.mark.django_db

BRIEF_ONLY = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Thanks [BigCommerce | Customer | first_name]",
    "body": "Your order [BigCommerce | Order | id] of [BigCommerce | Order | total_inc_tax].",
}
EVERYTHING = {
    "to": "[BigCommerce | Customer | email] or [BigCommerce | Order | billing_address | email]",
    "subject": "Your [Store | name] order has shipped",
    "body": (
        "Hi [BigCommerce | Customer | first_name | default:there],\n"
        "Tracking: [BigCommerce | Shipment | tracking_number] "
        "([BigCommerce | Shipment | shipping_provider_display_name]) "
        "[BigCommerce | Shipment | tracking_link]\n"
        "Shipped on [BigCommerce | Shipment | date_created | date:%d %B %Y]\n"
        "[BigCommerce | Shipment | items | list]\n"
        "You ordered:\n[BigCommerce | Order | products | list]\n"
        "Total [BigCommerce | Order | total_inc_tax | money]\n[Store | url]"
    ),
}


def email_workflow(make_workflow, config, name="Shipped", event="shipment_created"):
    """An active workflow emailing `config`; these tests count calls and emails, so the sending
    rules that hold repeats back (send once, the frequency cap) are off."""
    workflow = make_workflow(event, name=name, send_once_scope="")
    workflow.account.frequency_cap_emails = 0
    workflow.account.save(update_fields=["frequency_cap_emails"])
    Step.objects.create(workflow=workflow, position=0, type="send_email", config=config)
    return workflow


def deliver(auth, post_delivery, event="shipment_created", times=1, first=0):
    """`times` new events (the first BigCommerce's example, unless `first` is past it)."""
    sub = subscription_for(auth, event)
    for number in range(first, first + times):
        body = delivery_body(event, **({"id": event_resource_id(event, number)} if number else {}))
        body["hash"] = uuid.uuid4().hex
        assert post_delivery(sub, body).status_code == 200


def test_a_workflow_using_only_the_briefs_codes_costs_two_calls_per_delivery(
    make_workflow, auth, post_delivery, store
):
    # given a shipment workflow whose email uses only the brief's codes
    email_workflow(make_workflow, BRIEF_ONLY)
    # when four shipments are delivered
    deliver(auth, post_delivery, times=4)
    # then each cost the order and the customer, nothing more: 2.00 calls per delivery
    calls = store.resource_calls()
    assert len(calls) / 4 == 2.00
    assert {call.split("?")[0] for call in calls} == {"GET /v2/orders/251", "GET /v3/customers"}
    # and the runs' merge data holds the brief's codes only
    run = WorkflowRun.objects.first()
    assert not any("Shipment" in code or code.startswith("Store") for code in run.merge_data)
    assert len(mail.outbox) == 4


def test_a_workflow_using_everything_fetches_each_extra_resource_once(
    make_workflow, auth, post_delivery, store
):
    # given a shipment workflow using shipment, products, store codes and formats
    email_workflow(make_workflow, EVERYTHING)
    # when one shipment is delivered
    deliver(auth, post_delivery)
    # then the order, the customer, the shipment, the products and the store were read once each
    assert store.resource_calls() == [
        "GET /v2/orders/251",
        "GET /v3/customers?id:in=11",
        "GET /v2/orders/251/shipments/12",
        "GET /v2/orders/251/products?limit=250&page=1",
        "GET /v2/store",
    ]
    # and the customer's email says what shipped, how, and what it cost, in the order's currency
    sent = mail.outbox[0]
    assert sent.to == ["jane.smith@example.com"]
    assert sent.subject == "Your BigCommerce order has shipped"
    assert "Tracking: EJ958083578US (USPS) http://trkcnfrm1.smi.usps.com/" in sent.body
    assert "Shipped on 13 March 2019" in sent.body  # 16:35 UTC is the same day in Chicago
    assert "1 × Fog Linen Chambray Towel - Beige Stripe (S-ORAN)" in sent.body
    assert "1 × Fog Linen Chambray Towel - Beige Stripe (S-ORAN) — $65.23" in sent.body
    assert "Total $69.84" in sent.body
    assert "https://my-awesome.store" in sent.body


def test_the_stores_settings_are_read_once_a_day_per_authentication(
    make_workflow, auth, post_delivery, store
):
    # given a workflow using everything, and one delivery already processed
    email_workflow(make_workflow, EVERYTHING)
    deliver(auth, post_delivery, times=3)
    # then the store was read for the first delivery only: (5 + 4 + 4) / 3 calls per delivery
    assert len(store.calls("GET", "/v2/store")) == 1
    assert len(store.resource_calls()) == 13
    # when a day has passed and another shipment arrives
    BigCommerceAuthentication.objects.filter(pk=auth.pk).update(
        store_settings_fetched_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    deliver(auth, post_delivery, times=1, first=3)
    # then the store is read again
    assert len(store.calls("GET", "/v2/store")) == 2


def test_two_workflows_share_one_fetch_of_what_either_uses(
    make_workflow, auth, post_delivery, store
):
    # given one workflow using the tracking number and another the ordered products
    email_workflow(
        make_workflow, {**BRIEF_ONLY, "body": "[BigCommerce | Shipment | tracking_number]"}
    )
    email_workflow(
        make_workflow, {**BRIEF_ONLY, "body": "[BigCommerce | Order | products | list]"}, "Items"
    )
    # when a shipment is delivered
    deliver(auth, post_delivery)
    # then the shipment and the products were each read once, for both runs
    assert len(store.calls("GET", "/shipments/")) == 1
    assert len(store.calls("GET", "/products")) == 1
    assert not store.calls("GET", "/v2/store")
    assert WorkflowRun.objects.filter(status="succeeded").count() == 2


def test_a_date_format_fetches_the_stores_time_zone(make_workflow, auth, post_delivery, store):
    # given an email showing the order date in the store's time zone, late on 13 March UTC
    store.order["date_created"] = "Thu, 14 Mar 2019 03:30:00 +0000"
    email_workflow(
        make_workflow, {**BRIEF_ONLY, "body": "Ordered [BigCommerce | Order | date_created | date]"}
    )
    # when a shipment is delivered
    deliver(auth, post_delivery)
    # then the store's settings were read for its time zone, and Chicago's date is shown
    assert len(store.calls("GET", "/v2/store")) == 1
    assert "Ordered Mar 13, 2019" in mail.outbox[0].body


def test_a_guest_order_goes_to_the_billing_email(make_workflow, auth, post_delivery, store):
    # given a guest checkout (no customer) and a workflow whose "to" falls back to the billing email
    store.order["customer_id"] = 0
    store.order["is_email_opt_in"] = True  # the guest agreed to emails at checkout
    email_workflow(make_workflow, EVERYTHING)
    # when the shipment is delivered
    deliver(auth, post_delivery)
    # then the email goes to the address on the order, greeting "there"
    assert mail.outbox[0].to == ["janedoe@example.com"]
    assert "Hi there," in mail.outbox[0].body


def test_an_abandoned_cart_lists_its_items_and_links_to_the_cart(
    make_workflow, auth, post_delivery, store
):
    # given an abandoned-cart workflow listing the cart's items with a link back to the cart
    email_workflow(
        make_workflow,
        {
            "to": "[BigCommerce | Customer | email] or [BigCommerce | Cart | email]",
            "subject": "You left something at [Store | name]",
            "body": "[BigCommerce | Cart | line_items | list]\n[BigCommerce | Cart | recovery_url]",
            "format": "text",
        },
        event="cart_abandoned",
    )
    # when a cart is abandoned
    deliver(auth, post_delivery, event="cart_abandoned")
    # then the items came with the cart (no call for them), the link needed the store's address
    assert [call.split("/")[2] for call in store.resource_calls()] == [
        "carts",
        "customers",
        "store",
    ]
    body = mail.outbox[0].body
    assert "2 × mug (SM-13) — $27.72" in body
    assert "https://my-awesome.store/cart.php" in body


def test_an_html_email_shows_the_products_as_a_table(make_workflow, auth, post_delivery, store):
    # given an HTML email with the ordered products
    store.order_products[0]["name"] = "Towel <script>alert(1)</script>"
    email_workflow(
        make_workflow,
        {
            **BRIEF_ONLY,
            "body": "<p>Your items:</p>[BigCommerce | Order | products | list]",
            "format": "html",
        },
    )
    # when a shipment is delivered
    deliver(auth, post_delivery)
    # then the HTML part has a table of the items, their names escaped; the text part has lines
    sent = mail.outbox[0]
    html_body = sent.alternatives[0][0]
    assert "<table" in html_body and "<th" in html_body and "Towel &lt;script&gt;" in html_body
    assert "<script>" not in html_body
    assert "$65.23" in html_body
