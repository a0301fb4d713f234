"""BigCommerce authentications over the REST API, as an external system would use them."""

import pytest
import responses

from integrations.models import BigCommerceAuthentication
from tests.factories import ACCESS_TOKEN, BC_BASE, CLIENT_ID, STORE_HASH, credentials

pytestmark = pytest.mark.django_db
URL = "/api/v1/bigcommerce/authentications/"


def create_body(**overrides):
    return credentials(**{"name": "Main store", **overrides})


def test_create_verifies_then_stores_and_shows_store_name(api_client, manager, mocked_bc):
    # Given an Integration Manager with good credentials
    api_client.force_authenticate(manager)
    # When they create an authentication
    response = api_client.post(URL, create_body(), format="json")
    # Then BigCommerce was asked, and the response shows the store's name and hints only
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["store_name"] == "XYZ T-Shirts"
    assert data["status"] == "verified"
    assert data["access_token_hint"] == "…" + ACCESS_TOKEN[-4:]
    assert data["client_id_hint"] == "…" + CLIENT_ID[-4:]
    assert "access_token" not in data and "client_id" not in data
    assert ACCESS_TOKEN not in response.content.decode()
    assert data["workflow_count"] == 0
    assert data["created_by"] == "manny"
    sent = mocked_bc.calls[0].request
    assert sent.url == f"{BC_BASE}/stores/{STORE_HASH}/v2/store"
    assert sent.headers["X-Auth-Token"] == ACCESS_TOKEN


def test_create_with_rejected_token_is_400_and_saves_nothing(api_client, manager, mocked_bc):
    api_client.force_authenticate(manager)
    response = api_client.post(URL, create_body(access_token="wrong-token-1234"), format="json")
    assert response.status_code == 400
    assert "rejected the access token" in response.json()["access_token"][0]
    assert not BigCommerceAuthentication.objects.exists()


@pytest.mark.parametrize(
    ("status", "field", "words"),
    [(403, "store_hash", "scopes"), (404, "store_hash", "no store with this store hash")],
)
def test_create_explains_403_and_404(api_client, manager, status, field, words):
    api_client.force_authenticate(manager)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{BC_BASE}/stores/{STORE_HASH}/v2/store", status=status, json={})
        response = api_client.post(URL, create_body(), format="json")
    assert response.status_code == 400
    assert words in response.json()[field][0].lower()


def test_create_when_bigcommerce_unreachable_says_so(api_client, manager, settings):
    import requests

    settings.BIGCOMMERCE_MAX_RETRIES = 0
    api_client.force_authenticate(manager)
    with responses.RequestsMock() as rsps:
        rsps.add(
            responses.GET,
            f"{BC_BASE}/stores/{STORE_HASH}/v2/store",
            body=requests.ConnectionError("connection refused"),
        )
        response = api_client.post(URL, create_body(), format="json")
    assert response.status_code == 400
    assert "could not be reached" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [("store_hash", "ABC 123!"), ("store_hash", ""), ("name", ""), ("access_token", "x" * 300)],
)
def test_create_rejects_bad_fields_before_calling_bigcommerce(api_client, manager, field, value):
    api_client.force_authenticate(manager)
    with responses.RequestsMock():  # any BigCommerce call would fail the test
        response = api_client.post(URL, create_body(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_member_without_permission_gets_403_naming_integration_manager(api_client, member):
    api_client.force_authenticate(member)
    response = api_client.post(URL, create_body(), format="json")
    assert response.status_code == 403
    assert "Integration Manager" in response.json()["detail"]
    assert "account admin" in response.json()["detail"]


def test_member_without_permission_may_read(api_client, member, make_authentication, account):
    make_authentication(account)
    api_client.force_authenticate(member)
    response = api_client.get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_other_accounts_authentication_is_404(
    api_client, other_member, make_authentication, account
):
    auth = make_authentication(account)
    api_client.force_authenticate(other_member)
    assert api_client.get(f"{URL}{auth.pk}/").status_code == 404
    assert api_client.patch(f"{URL}{auth.pk}/", {"name": "x"}, format="json").status_code == 404
    assert api_client.delete(f"{URL}{auth.pk}/").status_code == 404
    assert api_client.get(URL).json()["count"] == 0


def test_token_auth_works(api_client, manager, make_authentication, account):
    from rest_framework.authtoken.models import Token

    make_authentication(account)
    token = Token.objects.create(user=manager)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get(URL).status_code == 200


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code in (401, 403)


def test_rename_does_not_call_bigcommerce(api_client, manager, make_authentication, account):
    auth = make_authentication(account)
    api_client.force_authenticate(manager)
    with responses.RequestsMock():
        response = api_client.patch(f"{URL}{auth.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"


def test_rotate_token_is_reverified(api_client, manager, make_authentication, account, mocked_bc):
    # Given an authentication whose token is being replaced by a wrong one
    auth = make_authentication(account, access_token="old-token-aaaa1111")
    api_client.force_authenticate(manager)
    response = api_client.patch(
        f"{URL}{auth.pk}/", {"access_token": "still-wrong-9999"}, format="json"
    )
    # Then it is refused and the old token kept
    assert response.status_code == 400
    auth.refresh_from_db()
    assert auth.access_token == "old-token-aaaa1111"
    # When the right token is given, it is verified and stored
    response = api_client.patch(f"{URL}{auth.pk}/", {"access_token": ACCESS_TOKEN}, format="json")
    assert response.status_code == 200
    assert response.json()["access_token_hint"] == "…" + ACCESS_TOKEN[-4:]
    auth.refresh_from_db()
    assert auth.access_token == ACCESS_TOKEN


def test_verify_again_records_failure(api_client, manager, make_authentication, account, mocked_bc):
    auth = make_authentication(account, access_token="revoked-token-0000")
    api_client.force_authenticate(manager)
    response = api_client.post(f"{URL}{auth.pk}/verify/")
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    assert "rejected the access token" in response.json()["status_detail"]


def test_delete_in_use_is_409_naming_workflows(api_client, manager, auth, make_workflow):
    make_workflow("shipment_created", name="Post-shipment survey", status="draft")
    api_client.force_authenticate(manager)
    response = api_client.delete(f"{URL}{auth.pk}/")
    assert response.status_code == 409
    assert response.json()["workflows"] == ["Post-shipment survey"]
    assert "Post-shipment survey" in response.json()["detail"]
    assert BigCommerceAuthentication.objects.filter(pk=auth.pk).exists()


def test_delete_unused(api_client, manager, make_authentication, account):
    auth = make_authentication(account)
    api_client.force_authenticate(manager)
    assert api_client.delete(f"{URL}{auth.pk}/").status_code == 204
    assert not BigCommerceAuthentication.objects.exists()


def test_duplicate_name_in_account_is_400(
    api_client, manager, make_authentication, account, mocked_bc
):
    make_authentication(account, name="Main store")
    api_client.force_authenticate(manager)
    response = api_client.post(URL, create_body(name="Main store"), format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_list_query_count_is_constant(
    api_client, manager, make_authentication, account, django_assert_max_num_queries
):
    api_client.force_authenticate(manager)
    for i in range(3):
        make_authentication(account, name=f"s{i}")
    with django_assert_max_num_queries(6) as small:
        api_client.get(URL)
    for i in range(3, 20):
        make_authentication(account, name=f"s{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        api_client.get(URL)
