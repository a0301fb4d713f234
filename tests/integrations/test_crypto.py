"""Store credentials are encrypted at rest, rotate with the keys, and never show in full."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from integrations import crypto
from integrations.crypto import DecryptionError
from integrations.models import BigCommerceAuthentication
from tests.factories import ACCESS_TOKEN, CLIENT_ID, credentials

pytestmark = pytest.mark.django_db


def raw_columns(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_id, access_token FROM integrations_bigcommerceauthentication "
            "WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


@pytest.fixture
def fresh_keys(settings):
    crypto._multifernet.cache_clear()
    yield settings
    crypto._multifernet.cache_clear()


def test_raw_columns_hold_no_plaintext(make_authentication, account):
    auth = make_authentication(account)
    client_id_raw, token_raw = raw_columns(auth.pk)
    assert ACCESS_TOKEN not in token_raw and CLIENT_ID not in client_id_raw
    assert ACCESS_TOKEN[-8:] not in token_raw
    # And reading the model gives the plaintext back
    assert BigCommerceAuthentication.objects.get(pk=auth.pk).access_token == ACCESS_TOKEN


def test_wrong_key_fails_loudly_never_returns_ciphertext(make_authentication, account, fresh_keys):
    auth = make_authentication(account)
    fresh_keys.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError, match="cannot be decrypted"):
        BigCommerceAuthentication.objects.get(pk=auth.pk)


def test_rotation_reencrypts_with_the_first_key(make_authentication, account, fresh_keys):
    # Given values encrypted with the old key
    old = fresh_keys.FIELD_ENCRYPTION_KEYS[0]
    auth = make_authentication(account)
    # When a new key is put first and the command runs
    new = Fernet.generate_key().decode()
    fresh_keys.FIELD_ENCRYPTION_KEYS = [new, old]
    crypto._multifernet.cache_clear()
    call_command("rotate_encryption_keys")
    # Then the old key alone can be dropped
    fresh_keys.FIELD_ENCRYPTION_KEYS = [new]
    crypto._multifernet.cache_clear()
    assert BigCommerceAuthentication.objects.get(pk=auth.pk).access_token == ACCESS_TOKEN
    assert Fernet(new.encode()).decrypt(raw_columns(auth.pk)[1].encode()).decode() == ACCESS_TOKEN


def test_secrets_absent_from_logs_api_and_admin(
    api_client, client, account_admin, manager, mocked_bc, caplog
):
    # Given a full create through the API with every log captured
    caplog.set_level(logging.DEBUG)
    api_client.force_authenticate(manager)
    response = api_client.post(
        "/api/v1/bigcommerce/authentications/",
        credentials(name="Main"),
        format="json",
    )
    assert response.status_code == 201
    auth_id = response.json()["id"]
    pages = [
        response.content.decode(),
        api_client.get("/api/v1/bigcommerce/authentications/").content.decode(),
    ]
    # And the admin pages an account admin sees
    client.force_login(account_admin)
    for url in (
        reverse("admin:integrations_bigcommerceauthentication_changelist"),
        reverse("admin:integrations_bigcommerceauthentication_change", args=[auth_id]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        pages.append(page.content.decode())
    # Then neither secret appears anywhere
    for text in [*pages, caplog.text]:
        assert ACCESS_TOKEN not in text
        assert CLIENT_ID not in text


def test_hint_shows_at_most_four_characters():
    assert crypto.hint(ACCESS_TOKEN) == "…" + ACCESS_TOKEN[-4:]
    assert crypto.hint("") == ""
