"""Authentications in the Django admin: scoped, verified, secrets write-only."""

import pytest
from django.urls import reverse

from integrations.models import BigCommerceAuthentication
from tests.factories import ACCESS_TOKEN, CLIENT_ID, STORE_HASH, credentials

pytestmark = pytest.mark.django_db


def test_account_admin_sees_only_own_authentications(
    client, account_admin, make_authentication, account, other_account
):
    make_authentication(account, name="Ours")
    make_authentication(other_account, name="Theirs")
    client.force_login(account_admin)
    html = client.get(
        reverse("admin:integrations_bigcommerceauthentication_changelist")
    ).content.decode()
    assert "Ours" in html and "Theirs" not in html


def test_admin_create_verifies_and_sets_account(client, account_admin, mocked_bc):
    client.force_login(account_admin)
    response = client.post(
        reverse("admin:integrations_bigcommerceauthentication_add"),
        credentials(name="Main"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    auth = BigCommerceAuthentication.objects.get()
    assert auth.account_id == account_admin.account_id
    assert auth.store_name == "XYZ T-Shirts" and auth.status == "verified"


def test_admin_create_with_bad_token_shows_error_and_saves_nothing(
    client, account_admin, mocked_bc
):
    client.force_login(account_admin)
    response = client.post(
        reverse("admin:integrations_bigcommerceauthentication_add"),
        credentials(name="Main", access_token="bad-token-xx"),
    )
    assert response.status_code == 200
    assert "rejected the access token" in response.content.decode()
    assert not BigCommerceAuthentication.objects.exists()


def test_admin_change_with_blank_secrets_keeps_them(
    client, account_admin, make_authentication, account
):
    auth = make_authentication(account)
    client.force_login(account_admin)
    response = client.post(
        reverse("admin:integrations_bigcommerceauthentication_change", args=[auth.pk]),
        {"name": "Renamed", "store_hash": STORE_HASH, "client_id": "", "access_token": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    auth.refresh_from_db()
    assert (
        auth.name == "Renamed" and auth.access_token == ACCESS_TOKEN and auth.client_id == CLIENT_ID
    )


def test_verify_again_action(client, account_admin, make_authentication, account, mocked_bc):
    auth = make_authentication(account, access_token="revoked-token-0000", status="verified")
    client.force_login(account_admin)
    client.post(
        reverse("admin:integrations_bigcommerceauthentication_changelist"),
        {"action": "verify_again", "_selected_action": [auth.pk]},
    )
    auth.refresh_from_db()
    assert auth.status == "failed"


def test_admin_delete_in_use_is_refused(client, account_admin, auth, make_workflow):
    make_workflow("cart_converted", name="Survey", status="draft")
    client.force_login(account_admin)
    response = client.post(
        reverse("admin:integrations_bigcommerceauthentication_delete", args=[auth.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert BigCommerceAuthentication.objects.filter(pk=auth.pk).exists()
    assert "Survey" in response.content.decode()
