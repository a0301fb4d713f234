"""Consent, from BigCommerce's own fields in a run's merge data (the rule the gate applies)."""

import pytest

from workflows.sending.consent import consent

V2 = "BigCommerce | Customer | accepts_marketing"
V3 = "BigCommerce | Customer | accepts_product_review_abandoned_cart_emails"
OPT_IN = "BigCommerce | Order | is_email_opt_in"
ORDER_CUSTOMER = "BigCommerce | Order | customer_id"
CART_CUSTOMER = "BigCommerce | Cart | customer_id"


@pytest.mark.parametrize(
    ("event", "merge_data", "given"),
    [
        ("cart_abandoned", {CART_CUSTOMER: 11, V2: True}, True),
        ("cart_abandoned", {CART_CUSTOMER: 11, V2: False}, False),
        ("cart_abandoned", {CART_CUSTOMER: 11, V2: "true"}, False),  # only JSON true counts
        ("cart_abandoned", {CART_CUSTOMER: 0, V2: True}, False),  # a guest cart: no opt-in
        ("cart_converted", {ORDER_CUSTOMER: 11, V2: True}, True),
        ("cart_converted", {ORDER_CUSTOMER: 11, V2: None, OPT_IN: True}, False),
        ("cart_converted", {ORDER_CUSTOMER: 0, OPT_IN: True}, True),
        ("cart_converted", {ORDER_CUSTOMER: 0, OPT_IN: False}, False),
        ("shipment_created", {ORDER_CUSTOMER: "11", V3: True}, True),
        ("shipment_created", {ORDER_CUSTOMER: 11, V3: False, V2: True}, False),
        ("shipment_created", {ORDER_CUSTOMER: 0, OPT_IN: True}, True),
        ("shipment_created", {ORDER_CUSTOMER: None, OPT_IN: None}, False),
    ],
)
def test_consent_comes_from_bigcommerces_fields(event, merge_data, given):
    assert consent(event, merge_data)[0] is given


def test_the_reason_names_the_field():
    given, why = consent("shipment_created", {ORDER_CUSTOMER: 0, OPT_IN: False})
    assert not given and why == "the guest did not opt in (is_email_opt_in is not true)"


# --- The workflow setting --------------------------------------------------------------------


@pytest.fixture
def ui_workflow(make_workflow):
    return make_workflow("shipment_created", status="draft")


@pytest.mark.django_db
def test_the_settings_form_says_the_risk_and_turning_consent_off_is_explicit(
    client, manager, ui_workflow
):
    client.force_login(manager)
    page = client.get(f"/workflows/{ui_workflow.pk}/").content.decode()
    assert "Customer consent" in page and "breaks anti-spam laws" in page
    data = {
        "settings-name": ui_workflow.name,
        "settings-event": ui_workflow.event,
        "settings-authentication": ui_workflow.authentication_id,
        "settings-send_once_scope": "order",
        "settings-send_once_days": "30",
    }
    client.post(f"/workflows/{ui_workflow.pk}/settings/", data)
    ui_workflow.refresh_from_db()
    assert ui_workflow.consent == "required"  # left out: unchanged
    client.post(
        f"/workflows/{ui_workflow.pk}/settings/", {**data, "settings-consent": "not_required"}
    )
    ui_workflow.refresh_from_db()
    assert ui_workflow.consent == "not_required"


@pytest.mark.django_db
def test_the_api_reads_and_changes_consent(api_client, manager, ui_workflow):
    api_client.force_authenticate(manager)
    url = f"/api/v1/workflows/{ui_workflow.pk}/"
    assert api_client.get(url).json()["consent"] == "required"
    changed = api_client.patch(url, {"consent": "not_required"}, format="json")
    assert changed.json()["consent"] == "not_required"
    assert api_client.patch(url, {"consent": "maybe"}, format="json").status_code == 400
