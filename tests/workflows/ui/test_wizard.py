"""The setup wizard: name → BigCommerce → event → overview → authentication → saved draft."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from integrations.events import get_event
from integrations.models import BigCommerceAuthentication
from tests.factories import ACCESS_TOKEN, CLIENT_ID, STORE_HASH, credentials
from tests.html import check_page
from workflows.merge_codes import as_tag
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

NAME = reverse("workflows:new-name")
INITIATOR = reverse("workflows:new-initiator")
EVENT = reverse("workflows:new-event")
OVERVIEW = reverse("workflows:new-overview")
AUTH = reverse("workflows:new-authentication")


def walk_to_authentication(client, event="shipment_created", name="Feedback survey"):
    assert client.post(NAME, {"name": name}).url == INITIATOR
    assert client.post(INITIATOR, {"initiator": "bigcommerce"}).url == EVENT
    assert client.post(EVENT, {"event": event}).url == OVERVIEW


def test_start_resets_and_opens_the_name_step(as_manager):
    as_manager.post(NAME, {"name": "Old"})
    response = as_manager.get(reverse("workflows:new"))
    assert response.url == NAME
    html = check_page(as_manager.get(NAME))
    assert 'value="Old"' not in html
    assert 'aria-current="step"' in html


def test_name_is_required_and_kept(as_manager):
    response = as_manager.post(NAME, {"name": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    too_long = "x" * 151
    html = as_manager.post(NAME, {"name": too_long}).content.decode()
    assert f'value="{too_long}"' in html


def test_steps_send_back_to_the_first_missing_one(as_manager):
    assert as_manager.get(INITIATOR).url == NAME
    assert as_manager.get(AUTH).url == NAME
    as_manager.post(NAME, {"name": "X"})
    assert as_manager.get(EVENT).url == INITIATOR
    as_manager.post(INITIATOR, {"initiator": "bigcommerce"})
    assert as_manager.get(OVERVIEW).url == EVENT


def test_initiator_page_offers_bigcommerce(as_manager):
    as_manager.post(NAME, {"name": "X"})
    html = check_page(as_manager.get(INITIATOR))
    assert "Select BigCommerce" in html
    assert INTEGRATION_MANAGER_MESSAGE not in html


def test_member_choosing_bigcommerce_sees_the_permission_message_and_stops(as_member):
    as_member.post(NAME, {"name": "X"})
    response = as_member.post(INITIATOR, {"initiator": "bigcommerce"})
    assert response.status_code == 403
    assert INTEGRATION_MANAGER_MESSAGE in response.content.decode()
    # ... and goes no further: later steps refuse too.
    for url in (EVENT, OVERVIEW, AUTH):
        response = as_member.get(url)
        assert response.status_code == 403
        assert INTEGRATION_MANAGER_MESSAGE in response.content.decode()
    assert as_member.post(AUTH, {"mode": "new"}).status_code == 403


def test_unknown_initiator_is_refused(as_manager):
    as_manager.post(NAME, {"name": "X"})
    assert as_manager.post(INITIATOR, {"initiator": "shopify"}).status_code == 400


def test_event_step_shows_each_event_with_its_meaning(as_manager):
    as_manager.post(NAME, {"name": "X"})
    as_manager.post(INITIATOR, {"initiator": "bigcommerce"})
    html = check_page(as_manager.get(EVENT))
    for key in ("cart_abandoned", "cart_converted", "shipment_created"):
        event = get_event(key)
        assert event.name in html and escape(event.description) in html
    response = as_manager.post(EVENT, {"event": "order_paid"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("event", ["cart_abandoned", "cart_converted", "shipment_created"])
def test_overview_lists_every_merge_code_of_the_event(as_manager, event):
    walk_to_authentication(as_manager, event=event)
    html = check_page(as_manager.get(OVERVIEW))
    codes = get_event(event).merge_codes
    for code in codes:
        assert f"<code>{code}</code>" in html
    assert f"({len(codes)})" in html
    assert AUTH in html  # the Next button


def test_authentication_step_shows_guidance_and_both_choices(as_manager, auth):
    walk_to_authentication(as_manager)
    html = check_page(as_manager.get(AUTH))
    assert "A store-level API account is recommended." in html
    assert "Settings › Store-level API accounts" in html
    assert "Create API account" in html
    assert "read-only" in html
    assert auth.name in html and auth.store_name in html and auth.access_token_hint in html
    for label in ("Client ID", "Access Token", "Store Hash"):
        assert label in html
    assert ACCESS_TOKEN not in html and CLIENT_ID not in html


def test_save_with_a_new_authentication_verifies_and_lands_on_a_draft(as_manager, mocked_bc):
    walk_to_authentication(as_manager)
    response = as_manager.post(
        AUTH,
        {"mode": "new", **credentials(name="")},
    )
    workflow = Workflow.objects.get()
    assert response.url == reverse("workflows:detail", args=[workflow.pk])
    assert (workflow.name, workflow.event, workflow.status) == (
        "Feedback survey",
        "shipment_created",
        "draft",
    )
    auth = workflow.authentication
    assert (auth.name, auth.store_name, auth.status) == (
        f"BigCommerce {STORE_HASH}",
        "XYZ T-Shirts",
        "verified",
    )
    page = as_manager.get(response.url)
    assert "saved as a draft" in page.content.decode()
    # The wizard is over: starting again begins with an empty name.
    assert as_manager.get(AUTH).url == NAME


def test_save_reusing_an_existing_authentication(as_manager, auth):
    walk_to_authentication(as_manager, event="cart_abandoned")
    response = as_manager.post(AUTH, {"mode": "existing", "authentication": auth.pk})
    workflow = Workflow.objects.get()
    assert response.url == reverse("workflows:detail", args=[workflow.pk])
    assert workflow.authentication == auth and workflow.event == "cart_abandoned"


def test_another_accounts_authentication_cannot_be_chosen(as_manager, auth, other_auth):
    walk_to_authentication(as_manager)
    html = as_manager.get(AUTH).content.decode()
    assert other_auth.name not in html
    response = as_manager.post(AUTH, {"mode": "existing", "authentication": other_auth.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Workflow.objects.exists()


def test_refused_token_is_shown_next_to_the_field_and_input_kept(as_manager, mocked_bc):
    walk_to_authentication(as_manager)
    response = as_manager.post(
        AUTH,
        {"mode": "new", **credentials(access_token="tok_wrong_1234", name="Main shop")},
    )
    assert response.status_code == 200
    html = check_page(response)
    form = response.context["new"]
    assert "rejected the access token" in " ".join(form.errors["access_token"])
    assert 'value="Main shop"' in html and f'value="{STORE_HASH}"' in html
    assert "tok_wrong_1234" not in html and CLIENT_ID not in html  # secrets never echoed
    assert not BigCommerceAuthentication.objects.exists() and not Workflow.objects.exists()


def test_store_hash_is_checked_and_can_be_pasted_as_the_api_path(as_manager, mocked_bc):
    walk_to_authentication(as_manager)
    data = {"mode": "new", "client_id": CLIENT_ID, "access_token": ACCESS_TOKEN}
    bad = as_manager.post(AUTH, {**data, "store_hash": "not a hash!"})
    assert "store hash" in " ".join(bad.context["new"].errors["store_hash"]).lower()
    assert 'value="not a hash!"' in bad.content.decode()
    ok = as_manager.post(
        AUTH, {**data, "store_hash": f"https://api.bigcommerce.com/stores/{STORE_HASH}/v3/"}
    )
    assert ok.status_code == 302
    assert Workflow.objects.get().authentication.store_hash == STORE_HASH


def test_duplicate_authentication_name_is_a_field_error(as_manager, auth, mocked_bc):
    walk_to_authentication(as_manager)
    response = as_manager.post(
        AUTH,
        {"mode": "new", **credentials(name=auth.name)},
    )
    assert "already has an authentication" in " ".join(response.context["new"].errors["name"])


def test_unreachable_bigcommerce_is_a_form_error_not_a_500(as_manager, no_network):
    walk_to_authentication(as_manager)
    response = as_manager.post(
        AUTH,
        {"mode": "new", **credentials()},
    )
    assert response.status_code == 200
    assert "could not be reached" in " ".join(response.context["new"].non_field_errors())


def test_wizard_tag_inserts_nothing_unsafe(as_manager):
    name = '<script>alert("x")</script>'
    as_manager.post(NAME, {"name": name})
    html = as_manager.get(INITIATOR).content.decode()
    assert name not in html and "&lt;script&gt;" in html


def test_merge_code_tag_format_in_overview(as_manager):
    walk_to_authentication(as_manager)
    html = as_manager.get(OVERVIEW).content.decode()
    assert as_tag("BigCommerce | Customer | first_name") in html
