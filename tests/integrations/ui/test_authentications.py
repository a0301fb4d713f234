"""Authentications page: list, create, rotate token, verify again, delete (refused in use)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from integrations.models import BigCommerceAuthentication
from tests.factories import ACCESS_TOKEN, CLIENT_ID, STORE_HASH, credentials
from tests.html import check_page

pytestmark = pytest.mark.django_db

LIST = reverse("authentications:list")
CREATE = reverse("authentications:create")


def test_list_shows_store_status_hints_and_workflow_count(as_member, auth, workflow, other_auth):
    response = as_member.get(LIST)
    html = check_page(response)
    assert auth.name in html and STORE_HASH in html and "XYZ T-Shirts" in html
    assert "Verified" in html and auth.client_id_hint in html and auth.access_token_hint in html
    assert ACCESS_TOKEN not in html and CLIENT_ID not in html
    assert [a.workflow_count for a in response.context["authentications"]] == [1]
    assert other_auth.name not in html
    assert "Rotate token" not in html  # members only read


def test_manager_sees_actions(as_manager, auth):
    html = check_page(as_manager.get(LIST))
    for label in ("New authentication", "Rotate token", "Verify again", "Delete"):
        assert label in html


def test_create_page_has_the_guidance(as_manager):
    html = check_page(as_manager.get(CREATE))
    assert "A store-level API account is recommended." in html
    assert "Settings › Store-level API accounts" in html and "read-only" in html


def test_create_verifies_then_stores(as_manager, mocked_bc):
    data = credentials(name="Main")
    assert as_manager.post(CREATE, data).url == LIST
    auth = BigCommerceAuthentication.objects.get()
    assert (auth.name, auth.store_name, auth.access_token) == ("Main", "XYZ T-Shirts", ACCESS_TOKEN)


def test_create_refused_keeps_input_but_not_secrets(as_manager, mocked_bc):
    data = credentials(access_token="tok_nope_5678", name="Main")
    response = as_manager.post(CREATE, data)
    assert response.status_code == 200
    html = check_page(response)
    assert "rejected the access token" in response.context["form"].errors["access_token"][0]
    assert 'value="Main"' in html and f'value="{STORE_HASH}"' in html
    assert "tok_nope_5678" not in html and CLIENT_ID not in html
    assert not BigCommerceAuthentication.objects.exists()


def test_create_needs_the_three_fields(as_manager):
    response = as_manager.post(CREATE, {"name": "x"})
    assert set(response.context["form"].errors) == {"client_id", "access_token", "store_hash"}


def test_default_names_do_not_collide(as_manager, mocked_bc, auth):
    auth.name = f"BigCommerce {STORE_HASH}"
    auth.save()
    as_manager.post(CREATE, credentials())
    names = set(BigCommerceAuthentication.objects.values_list("name", flat=True))
    assert names == {f"BigCommerce {STORE_HASH}", f"BigCommerce {STORE_HASH} (2)"}


def test_rotate_token_is_verified(as_manager, auth, mocked_bc):
    url = reverse("authentications:rotate", args=[auth.pk])
    html = check_page(as_manager.get(url))
    assert auth.access_token_hint in html and ACCESS_TOKEN not in html
    bad = as_manager.post(url, {"access_token": "tok_bad_0000"})
    assert bad.status_code == 200 and "rejected" in bad.context["form"].errors["access_token"][0]
    auth.refresh_from_db()
    assert auth.access_token == ACCESS_TOKEN
    # The mock accepts ACCESS_TOKEN only; rotate away and back to prove saving works.
    auth.access_token = "tok_old_token_1111"
    auth.save()
    assert as_manager.post(url, {"access_token": ACCESS_TOKEN}).url == LIST
    auth.refresh_from_db()
    assert auth.access_token == ACCESS_TOKEN and auth.status == "verified"


def test_verify_again_records_the_outcome(as_manager, auth, mocked_bc):
    url = reverse("authentications:verify", args=[auth.pk])
    ok = as_manager.post(url, follow=True)
    assert "BigCommerce accepted the credentials" in ok.content.decode()
    auth.access_token = "tok_revoked_2222"
    auth.save()
    failed = as_manager.post(url, follow=True)
    auth.refresh_from_db()
    assert auth.status == "failed"
    assert "could not be verified" in failed.content.decode()
    assert as_manager.get(url).status_code == 405


def test_delete_in_use_is_refused_naming_the_workflows(as_manager, auth, workflow):
    url = reverse("authentications:delete", args=[auth.pk])
    page = check_page(as_manager.get(url))
    assert workflow.name in page and 'type="submit" class="danger"' not in page
    response = as_manager.post(url)
    assert response.status_code == 409
    assert workflow.name in response.content.decode()
    assert BigCommerceAuthentication.objects.filter(pk=auth.pk).exists()


def test_delete_unused(as_manager, auth):
    url = reverse("authentications:delete", args=[auth.pk])
    check_page(as_manager.get(url))
    assert as_manager.post(url).url == LIST
    assert not BigCommerceAuthentication.objects.exists()


@pytest.mark.parametrize("name", ["create", "rotate", "verify", "delete"])
def test_member_cannot_write(as_member, auth, name):
    url = CREATE if name == "create" else reverse(f"authentications:{name}", args=[auth.pk])
    for response in (
        as_member.post(url, {"access_token": "x"}),
        None if name == "verify" else as_member.get(url),
    ):
        if response is None:
            continue
        assert response.status_code == 403
        assert INTEGRATION_MANAGER_MESSAGE in response.content.decode()
    assert BigCommerceAuthentication.objects.filter(pk=auth.pk).exists()
